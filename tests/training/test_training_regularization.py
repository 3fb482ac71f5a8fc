"""Regularization penalties in training, as Keras 3's ``Trainer.compute_loss`` adds them.

The loss that ``fit`` minimises and reports, ``val_loss`` and ``evaluate`` all include
``sum(model.losses)``. Each step is checked against a float64 NumPy step of plain SGD.
"""
import numpy as np
import pytest
import torch

import seqlab
from seqlab.layers import LSTM, Dense, Input
from seqlab.models import Sequential, load_model
from seqlab.regularizers import L1, L2
from seqlab.utils import set_random_seed

RNG = np.random.default_rng(3)
X = RNG.normal(size=(6, 3))
Y = RNG.normal(size=(6, 2))
LR = 0.1


def dense_model(**regularizers):
    set_random_seed(0)
    model = Sequential([Dense(2, input_shape=(3,), dtype="float64", **regularizers)])
    model.compile(optimizer=seqlab.optimizers.SGD(learning_rate=LR), loss="mse")
    with torch.no_grad():
        model.layers[0].bias.copy_(torch.tensor([0.3, -0.2]))
    return model


def mse_and_gradients(w, b, activity_l1=0.0):
    """Float64 reference: mse (Keras's mean over the last axis, then the batch) and its
    gradients, plus an L1 activity penalty divided by the batch size as Keras 3 does."""
    out = X @ w + b
    residual = out - Y
    loss = (residual ** 2).mean() + activity_l1 * np.abs(out).sum() / len(X)
    d_out = 2 * residual / residual.size + activity_l1 * np.sign(out) / len(X)
    return loss, X.T @ d_out, d_out.sum(axis=0)


def test_one_sgd_step_follows_the_gradient_of_loss_plus_penalty():
    l2 = 0.05
    model = dense_model(kernel_regularizer=L2(l2))
    w, b = model.get_weights()
    history = model.fit(X, Y, batch_size=len(X), epochs=1, shuffle=False, verbose=0)
    data_loss, grad_w, grad_b = mse_and_gradients(w, b)
    penalty = l2 * (w ** 2).sum()
    assert history.history["loss"][0] == pytest.approx(data_loss + penalty, rel=1e-12)
    new_w, new_b = model.get_weights()
    np.testing.assert_allclose(new_w, w - LR * (grad_w + 2 * l2 * w), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(new_b, b - LR * grad_b, rtol=1e-12, atol=1e-14)  # no bias regularizer


def test_an_activity_penalty_joins_the_loss_and_its_gradient():
    l1 = 0.2
    model = dense_model(activity_regularizer=L1(l1))
    w, b = model.get_weights()
    history = model.fit(X, Y, batch_size=len(X), epochs=1, shuffle=False, verbose=0)
    loss, grad_w, grad_b = mse_and_gradients(w, b, activity_l1=l1)
    assert history.history["loss"][0] == pytest.approx(loss, rel=1e-12)
    new_w, new_b = model.get_weights()
    np.testing.assert_allclose(new_w, w - LR * grad_w, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(new_b, b - LR * grad_b, rtol=1e-12, atol=1e-14)


def test_evaluate_and_val_loss_include_the_penalties():
    l2 = 0.05
    model = dense_model(kernel_regularizer=L2(l2), bias_regularizer=L1(0.1))
    history = model.fit(X, Y, batch_size=2, epochs=3, shuffle=False, verbose=0, validation_data=(X, Y))
    w, b = model.get_weights()
    expected = ((X @ w + b - Y) ** 2).mean() + l2 * (w ** 2).sum() + 0.1 * np.abs(b).sum()
    assert model.evaluate(X, Y, batch_size=len(X), verbose=0) == pytest.approx(expected, rel=1e-12)
    assert history.history["val_loss"][-1] == pytest.approx(expected, rel=1e-12)  # final weights
    assert model.test_on_batch(X, Y) == pytest.approx(expected, rel=1e-12)
    assert sum(t.item() for t in model.losses) == pytest.approx(l2 * (w ** 2).sum() + 0.1 * np.abs(b).sum(),
                                                                rel=1e-12)


def test_train_on_batch_reports_loss_plus_penalty():
    model = dense_model(kernel_regularizer=L2(0.05))
    w, b = model.get_weights()
    loss = model.train_on_batch(X, Y)
    assert loss == pytest.approx(mse_and_gradients(w, b)[0] + 0.05 * (w ** 2).sum(), rel=1e-12)


def test_without_regularizers_training_is_unchanged_bit_for_bit():
    plain = dense_model()
    explicit = dense_model(kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None)
    w, b = plain.get_weights()
    first = plain.compiled.loss(torch.as_tensor(Y), plain(torch.as_tensor(X))).item()
    history = plain.fit(X, Y, batch_size=len(X), epochs=1, shuffle=False, verbose=0)
    assert history.history["loss"][0] == first  # the plain loss, nothing added
    explicit.fit(X, Y, batch_size=len(X), epochs=1, shuffle=False, verbose=0)
    for a, b_ in zip(plain.get_weights(), explicit.get_weights()):
        np.testing.assert_array_equal(a, b_)
    assert plain.losses == []


def my_penalty(w):
    return 0.01 * w.abs().sum()


def test_save_and_load_keep_the_regularizers_and_the_loss(tmp_path):
    set_random_seed(0)
    x = RNG.normal(size=(8, 4, 2)).astype("float32")
    y = RNG.normal(size=(8, 1)).astype("float32")
    model = Sequential([Input(shape=(4, 2)),
                        LSTM(3, kernel_regularizer="l2", recurrent_regularizer=L2(0.1), activity_regularizer="l1"),
                        Dense(1, kernel_regularizer=my_penalty)])
    model.compile(optimizer="adam", loss="mse")
    model.fit(x, y, epochs=2, batch_size=4, verbose=0)
    path = tmp_path / "regularized.seqlab"
    model.save(path)
    with pytest.raises(ValueError, match=r"model file '.*regularized.seqlab': Dense: `kernel_regularizer`: the custom "
                                         r"regularizer 'my_penalty' is stored by name only .*; pass load_model\("
                                         r"'.*regularized.seqlab', custom_objects=\{'my_penalty': my_penalty\}\)"):
        load_model(path)
    loaded = load_model(path, custom_objects={"my_penalty": my_penalty})
    assert loaded.get_config() == model.get_config()
    assert loaded.layers[0].get_config()["recurrent_regularizer"] == {"class_name": "L2", "config": {"l2": 0.1}}
    assert loaded.layers[1].kernel_regularizer is my_penalty
    assert loaded.evaluate(x, y, verbose=0) == model.evaluate(x, y, verbose=0)
    np.testing.assert_array_equal([t.item() for t in loaded.losses], [t.item() for t in model.losses])


def test_a_model_without_regularizers_never_collects_penalties(monkeypatch):
    from seqlab.layers import penalties

    def refuse(layers):
        raise AssertionError("penalties collected for a model without regularizers")

    monkeypatch.setattr(penalties, "collect", refuse)
    model = dense_model()
    model.fit(X, Y, batch_size=3, epochs=2, validation_split=0.34, verbose=0)
    model.evaluate(X, Y, verbose=0)
    model.train_on_batch(X, Y)


def test_a_penalty_per_weight_is_summed_as_keras_does():
    elementwise = dense_model(kernel_regularizer=lambda w: 0.01 * w ** 2)
    w, _ = elementwise.get_weights()
    assert float(sum(elementwise.losses).detach()) == pytest.approx(0.01 * (w ** 2).sum(), rel=1e-12)
    loss = elementwise.evaluate(X, Y, verbose=0)
    with torch.no_grad():
        plain = float(elementwise.compiled.loss(torch.as_tensor(Y), elementwise(torch.as_tensor(X))))
    assert loss == pytest.approx(plain + 0.01 * (w ** 2).sum(), rel=1e-9)
    elementwise.fit(X, Y, epochs=1, verbose=0)  # a scalar loss: the step runs


def test_freezing_after_build_freezes_the_weights_and_drops_their_penalties():
    model = dense_model(kernel_regularizer=L2(0.5))
    before = [w.copy() for w in model.get_weights()]
    assert len(model.losses) == 1
    model.layers[0].trainable = False
    assert model.losses == []
    model.fit(X, Y, epochs=2, verbose=0)
    for old, new in zip(before, model.get_weights()):
        np.testing.assert_array_equal(old, new)
    model.layers[0].trainable = True
    model.layers[0].bias.requires_grad_(False)  # one weight frozen by hand: its own penalty only counts
    assert len(model.losses) == 1
    model.fit(X, Y, epochs=1, verbose=0)
    assert not np.array_equal(before[0], model.get_weights()[0])
    np.testing.assert_array_equal(before[1], model.get_weights()[1])


def test_a_regularizer_class_without_get_config_cannot_be_saved(tmp_path):
    class Scaled(seqlab.regularizers.Regularizer):
        def __init__(self, factor=1.0):
            self.factor = factor

        def __call__(self, x):
            return self.factor * x.abs().sum()

    model = dense_model(kernel_regularizer=Scaled(5.0))
    with pytest.raises(NotImplementedError, match=r"the regularizer Scaled has no get_config\(\): define one"):
        model.save(tmp_path / "scaled.seqlab")
    assert not (tmp_path / "scaled.seqlab").exists()
    assert seqlab.regularizers.get("L2").l2 == 0.01 and seqlab.regularizers.get("L1L2").l1 == 0.0


def test_a_whole_model_is_frozen_by_one_assignment():
    model = dense_model()
    before = [w.copy() for w in model.get_weights()]
    model.trainable = False
    assert model.trainable is False and model.layers[0].trainable is False
    model.fit(X, Y, epochs=1, verbose=0)
    for old, new in zip(before, model.get_weights()):
        np.testing.assert_array_equal(old, new)
    model.trainable = True
    model.fit(X, Y, epochs=1, verbose=0)
    assert not np.array_equal(before[0], model.get_weights()[0])


@pytest.mark.parametrize("optimizer", ["adam", "adamw", "rmsprop"])
def test_freezing_between_fits_leaves_the_weights_alone_whatever_the_optimizer_state(optimizer):
    # The optimizer has moments for these weights from the first fit; they must not move them.
    model = Sequential([Dense(3, input_shape=(3,)), Dense(2)])
    model.compile(optimizer=optimizer, loss="mse")
    model.fit(X, Y, epochs=2, verbose=0)
    model.layers[0].trainable = False
    before = [w.copy() for w in model.layers[0].get_weights()]
    model.fit(X, Y, epochs=2, verbose=0)
    for old, new in zip(before, model.layers[0].get_weights()):
        np.testing.assert_array_equal(old, new)
