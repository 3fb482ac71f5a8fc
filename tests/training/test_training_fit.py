"""fit/evaluate/predict end to end on tiny data: learning, Keras semantics, determinism, state."""
import warnings

import numpy as np
import pandas as pd
import pytest
import torch

import seqlab
from seqlab.callbacks import Callback, EarlyStopping, ModelCheckpoint, ReduceLROnPlateau, TerminateOnNaN
from seqlab.layers import Dense, Dropout, Layer
from seqlab.models import Sequential
from seqlab.utils import set_random_seed, to_categorical

XOR_X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype="float32")
XOR_Y = np.array([[0], [1], [1], [0]], dtype="float32")


def regression_data(n=40, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.random((n, 3)).astype("float32")
    return x, x @ np.array([[1.0], [-2.0], [0.5]], dtype="float32") + 0.3


def small_model(seed=0, loss="mse", metrics=("mae",), optimizer="adam", dropout=0.0):
    set_random_seed(seed)
    layers = [Dense(8, activation="tanh", input_shape=(3,))]
    if dropout:
        layers.append(Dropout(dropout))
    model = Sequential(layers + [Dense(1)])
    model.compile(optimizer=optimizer, loss=loss, metrics=list(metrics))
    return model


def test_dense_net_learns_xor():
    set_random_seed(0)
    model = Sequential([Dense(8, activation="tanh", input_shape=(2,)), Dense(1, activation="sigmoid")])
    model.compile(optimizer=seqlab.optimizers.Adam(learning_rate=0.05), loss="binary_crossentropy",
                  metrics=["accuracy"])
    history = model.fit(XOR_X, XOR_Y, epochs=300, batch_size=4, verbose=0)
    assert history.history["loss"][-1] < 0.05
    assert history.history["accuracy"][-1] == 1.0
    np.testing.assert_array_equal(model.predict(XOR_X) > 0.5, XOR_Y > 0.5)


def test_linear_model_reaches_the_exact_solution_with_sgd():
    x, y = regression_data()
    set_random_seed(0)
    model = Sequential([Dense(1, input_shape=(3,))])
    model.compile(optimizer=seqlab.optimizers.SGD(learning_rate=0.5, momentum=0.5), loss="mse")
    model.fit(x, y, epochs=300, batch_size=40, verbose=0)
    kernel, bias = model.get_weights()
    np.testing.assert_allclose(kernel.ravel(), [1.0, -2.0, 0.5], atol=1e-3)
    assert model.evaluate(x, y, verbose=0) < 1e-6


def test_history_keys_follow_the_names_given():
    x, y = regression_data()
    def rmse(y_true, y_pred):
        return ((y_pred - y_true) ** 2).mean().sqrt()
    model = small_model(loss=rmse, metrics=["mean_absolute_error", rmse])
    history = model.fit(x, y, epochs=2, verbose=0, validation_split=0.25,
                        callbacks=[ReduceLROnPlateau(patience=1)])
    assert list(history.history) == ["loss", "mean_absolute_error", "rmse", "val_loss",
                                     "val_mean_absolute_error", "val_rmse", "learning_rate"]
    assert history.epoch == [0, 1] and model.history is history
    assert history.history["loss"][0] == pytest.approx(history.history["rmse"][0], rel=0.5)


def test_epoch_loss_is_the_batch_size_weighted_mean_of_batch_losses():
    # With lr=0 the weights never change, so the epoch loss must equal evaluate's loss on the
    # same data, whatever the uneven batching (10 samples in batches of 4, 4, 2).
    x, y = regression_data(10)
    model = small_model(optimizer=seqlab.optimizers.SGD(learning_rate=1e-30), metrics=["mae", "rmse"])
    history = model.fit(x, y, epochs=1, batch_size=4, verbose=0, shuffle=False)
    loss, mae, rmse = model.evaluate(x, y, batch_size=3, verbose=0)
    assert history.history["loss"][0] == pytest.approx(loss, rel=1e-5)
    assert history.history["mae"][0] == pytest.approx(mae, rel=1e-5)
    prediction = model.predict(x)
    assert rmse == pytest.approx(np.sqrt(np.mean((prediction - y) ** 2)), rel=1e-5)


def test_validation_split_takes_the_last_samples_before_shuffling():
    x, y = regression_data(10)
    model = small_model(metrics=())
    history = model.fit(x, y, epochs=1, validation_split=0.2, shuffle=True, verbose=0)
    assert history.history["val_loss"][0] == pytest.approx(model.evaluate(x[8:], y[8:], verbose=0), rel=1e-6)
    again = model.fit(x, y, epochs=1, validation_data=(x[:3], y[:3]), verbose=0)
    assert again.history["val_loss"][0] == pytest.approx(model.evaluate(x[:3], y[:3], verbose=0), rel=1e-6)


def test_evaluate_returns_keras_shapes():
    x, y = regression_data()
    plain = small_model(metrics=())
    assert isinstance(plain.evaluate(x, y, verbose=0), float)
    model = small_model(metrics=["mae", "mse"])
    loss, mae, mse = model.evaluate(x, y, verbose=0)
    assert loss == pytest.approx(mse, rel=1e-6)
    assert model.evaluate(x, y, verbose=0, return_dict=True) == {"loss": loss, "mae": mae, "mse": mse}


def test_seeded_runs_repeat_exactly_and_different_seeds_differ():
    x, y = regression_data()

    def run(seed):
        model = small_model(seed=seed, dropout=0.3)
        model.fit(x, y, epochs=3, batch_size=8, verbose=0, shuffle=True)
        return model.get_weights()

    first, second, other = run(1), run(1), run(2)
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)
    assert any(not np.array_equal(a, b) for a, b in zip(first, other))


def test_shuffle_changes_the_batches_but_not_the_data():
    x, y = regression_data(12)
    seen = []

    class Recorder(Callback):
        def on_train_batch_end(self, batch, logs=None):
            seen.append(logs["loss"])

    shuffled, ordered = small_model(), small_model()
    set_random_seed(5)
    shuffled.fit(x, y, epochs=1, batch_size=4, verbose=0, shuffle=True, callbacks=[Recorder()])
    shuffled_losses, seen[:] = list(seen), []
    ordered.fit(x, y, epochs=1, batch_size=4, verbose=0, shuffle=False, callbacks=[Recorder()])
    assert len(shuffled_losses) == len(seen) == 3
    assert shuffled_losses != seen


def test_sparse_labels_and_one_hot_give_the_same_loss():
    rng = np.random.default_rng(0)
    x = rng.random((20, 3)).astype("float32")
    labels = rng.integers(0, 4, size=20)
    set_random_seed(0)
    model = Sequential([Dense(4, activation="softmax", input_shape=(3,))])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    sparse = model.evaluate(x, labels, verbose=0)
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    dense = model.evaluate(x, to_categorical(labels, 4), verbose=0)
    np.testing.assert_allclose(sparse, dense, rtol=1e-6)
    with pytest.raises(ValueError, match=r"`y` holds class label 7, but model '.*' outputs 4 classes \(labels must be in 0..3\)"):
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
        model.fit(x, np.full(20, 7), verbose=0)


def test_sample_and_class_weights_weigh_the_loss_like_keras():
    x, y = regression_data(6)
    model = small_model(metrics=())
    weights = np.array([0.0, 1.0, 2.0, 0.0, 1.0, 3.0], dtype="float32")
    per_sample = ((model.predict(x) - y) ** 2).ravel()
    weighted = model.evaluate(x, y, sample_weight=weights, verbose=0)
    assert weighted == pytest.approx((per_sample * weights).sum() / 6, rel=1e-5)

    labels = np.array([0, 1, 1, 0, 1, 1])
    a, b = small_model(loss="binary_crossentropy"), small_model(loss="binary_crossentropy")
    a.train_on_batch(x, labels.reshape(-1, 1), class_weight={0: 3.0, 1: 0.5})
    b.train_on_batch(x, labels.reshape(-1, 1), sample_weight=np.where(labels == 0, 3.0, 0.5))
    for u, v in zip(a.get_weights(), b.get_weights()):
        np.testing.assert_array_equal(u, v)


def test_accepts_lists_pandas_and_tensors():
    x, y = regression_data(8)
    model = small_model()
    expected = model.evaluate(x, y, verbose=0)
    assert model.evaluate(x.tolist(), y.tolist(), verbose=0) == pytest.approx(expected, rel=1e-6)
    frame, series = pd.DataFrame(x), pd.Series(y.ravel())
    assert model.evaluate(frame, series, verbose=0)[0] == pytest.approx(expected[0], rel=1e-6)
    assert model.evaluate(torch.from_numpy(x).double(), torch.from_numpy(y), verbose=0)[0] == pytest.approx(expected[0], rel=1e-6)
    np.testing.assert_allclose(model.predict(torch.from_numpy(x)), model.predict(x))


def test_train_test_predict_on_batch():
    x, y = regression_data(8)
    model = small_model(metrics=["mae"])
    before = model.test_on_batch(x, y)
    loss, mae = model.train_on_batch(x, y)
    assert loss == pytest.approx(before[0], rel=1e-6)
    assert model.test_on_batch(x, y, return_dict=True)["loss"] < before[0]
    np.testing.assert_allclose(model.predict_on_batch(x), model.predict(x))


def test_nan_loss_is_reported_and_terminate_on_nan_keeps_the_best_checkpoint(tmp_path):
    x, y = regression_data(20)
    calls = {"train": 0}

    def flaky_mse(y_true, y_pred):
        if torch.is_grad_enabled():
            calls["train"] += 1
        value = ((y_pred - y_true) ** 2).mean()
        return value * float("nan") if calls["train"] >= 12 else value  # epoch 3, batch 2

    model = small_model(loss=flaky_mse, metrics=())
    path = tmp_path / "best.seqlab"
    checkpoint = ModelCheckpoint(str(path), save_best_only=True, monitor="val_loss")
    with pytest.warns(RuntimeWarning, match=r"the training loss became NaN or infinite at epoch 3/5, batch 2/5"):
        history = model.fit(x, y, epochs=5, batch_size=4, validation_data=(x, y), verbose=0,
                            callbacks=[checkpoint, TerminateOnNaN()])
    assert len(history.history["loss"]) == 3 and np.isnan(history.history["loss"][-1])
    assert calls["train"] == 12  # stopped right after the first NaN batch
    best = seqlab.models.load_model(path, compile=False)
    assert all(np.isfinite(w).all() for w in best.get_weights())
    assert checkpoint.best == pytest.approx(min(history.history["val_loss"][:2]))


def test_early_stopping_in_fit_restores_weights():
    x, y = regression_data()
    model = small_model()
    stopper = EarlyStopping(monitor="loss", patience=0, restore_best_weights=True, min_delta=10.0)
    history = model.fit(x, y, epochs=10, verbose=0, callbacks=[stopper])
    assert len(history.history["loss"]) == 2 and stopper.stopped_epoch == 1


class RunningSum(Layer):
    """A stateful probe: adds the per-row sum of every input seen since the last reset."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.state = None

    def build(self, input_shape):
        self.add_weight("scale", (1,), "ones")

    def call(self, inputs, training=False, mask=None):
        total = inputs.sum(dim=1, keepdim=True).detach()
        self.state = total if self.state is None else self.state + total
        return inputs * self.scale + self.state

    def reset_states(self):
        self.state = None


def stateful_model():
    set_random_seed(0)
    model = Sequential([RunningSum(batch_input_shape=(2, 3)), Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    return model


def test_state_carries_across_batches_and_calls_until_reset_states():
    x, y = regression_data(4)
    model = stateful_model()
    first = model.predict(x)
    second = model.predict(x)  # state carried over: outputs change
    assert not np.allclose(first, second)
    model.reset_states()
    np.testing.assert_allclose(model.predict(x), first, rtol=1e-6)
    model.reset_states()
    model.fit(x, y, epochs=2, shuffle=False, verbose=0)  # default batch size: the declared 2
    state = model.layers[0].state.clone()
    expected = 2 * (x[:2].sum(1, keepdims=True) + x[2:].sum(1, keepdims=True))  # 2 epochs x 2 batches
    np.testing.assert_allclose(state.numpy(), expected, rtol=1e-5)


@pytest.mark.parametrize("call, message", [
    (lambda m, x, y: m.fit(x, y, batch_size=4, verbose=0),
     r"fit: model '.*' declares a fixed batch size of 2 \(batch_input_shape=\(2, 3\)\), so `batch_size` must be 2 or left out, got 4"),
    (lambda m, x, y: m.fit(x[:3], y[:3], verbose=0),
     r"fit: model '.*' has a fixed batch size of 2 .* must be a multiple of 2; x has 3 samples"),
    (lambda m, x, y: m.predict(x[:3]), r"predict: .* must be a multiple of 2; x has 3 samples"),
    (lambda m, x, y: m.evaluate(x, y, batch_size=3, verbose=0), r"evaluate: .* fixed batch size of 2"),
    (lambda m, x, y: m.fit(x, y, validation_data=(x[:1], y[:1]), verbose=0), r"validation data has 1 samples"),
])
def test_fixed_batch_size_rules(call, message):
    x, y = regression_data(4)
    with pytest.raises(ValueError, match=message):
        call(stateful_model(), x, y)


def test_notes_batch_input_shape_argument_is_checked():
    x, y = regression_data(4)
    model = stateful_model()
    model.fit(x, y, epochs=1, batch_input_shape=(2, 3), verbose=0)
    with pytest.raises(ValueError, match=r"batch_input_shape=\(5, 3\) does not match"):
        model.fit(x, y, epochs=1, batch_input_shape=(5, 3), verbose=0)


def test_frozen_model_trains_nothing_without_error():
    x, y = regression_data(8)
    set_random_seed(0)
    model = Sequential([Dense(1, input_shape=(3,), trainable=False)])
    model.compile(optimizer="adam", loss="mse")
    before = model.get_weights()
    model.fit(x, y, epochs=2, verbose=0)
    for a, b in zip(before, model.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_model_without_input_shape_builds_on_first_fit_and_devices():
    x, y = regression_data(8)
    model = Sequential([Dense(4), Dense(1)])
    model.compile(optimizer="adam", loss="mse", device="auto")
    model.fit(x, y, epochs=1, verbose=0)
    assert model.built and model.count_params() == 3 * 4 + 4 + 5
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="device='cuda' was requested but torch.cuda.is_available\\(\\) is False"):
            model.compile(optimizer="adam", loss="mse", device="cuda")


def test_fit_keeps_the_modules_modes():
    x, y = regression_data(8)
    model = small_model()
    model.eval()
    model.fit(x, y, epochs=1, verbose=0)
    assert not model.training and not any(m.training for m in model.modules())
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model.predict(x)
    assert not model.training


def test_one_optimizer_object_cannot_train_two_models():
    x, y = regression_data(8)
    shared = seqlab.optimizers.Adam()
    first, second = small_model(optimizer=shared), small_model(optimizer=shared)
    first.fit(x, y, epochs=1, verbose=0)
    with pytest.raises(ValueError, match=r"this Adam object already updates the weights of another model; give model '.*' its own"):
        second.fit(x, y, epochs=1, verbose=0)


def test_empty_data_is_rejected():
    model = small_model()
    with pytest.raises(ValueError, match="evaluate: x has no samples"):
        model.evaluate(np.zeros((0, 3)), np.zeros((0, 1)), verbose=0)


def test_metrics_names_follow_what_evaluate_returns():
    model = Sequential([Dense(1, input_shape=(2,))])
    assert model.metrics_names == []
    model.compile(loss="mse", optimizer="sgd", metrics=["mae", "mean_squared_error"])
    assert model.metrics_names == ["loss", "mae", "mean_squared_error"]
    values = model.evaluate(np.ones((4, 2)), np.zeros((4, 1)), verbose=0, return_dict=True)
    assert list(values) == model.metrics_names
