"""Training a model of several inputs and outputs, with Keras 3's rules
(keras/src/trainers/compile_utils.py: CompileLoss, CompileMetrics; trainer.py: the log order).

The model is :class:`multi_io_stub.TwoBranch`, which stands in for the functional ``Model``:
``out_a = Dense(1)(a)``, ``out_b = Dense(2)(b)``. Expected losses are recomputed by hand from the
model's own predictions, in float64.
"""
import json

import numpy as np
import pytest
import torch

import seqlab
from multi_io_stub import TwoBranch
from seqlab.layers import Dense
from seqlab.training.monitoring import resolve_mode

N = 12


def data(seed=0):
    rng = np.random.default_rng(seed)
    a = rng.random((N, 3)).astype("float32")
    b = rng.random((N, 2)).astype("float32")
    return a, b, a.sum(1, keepdims=True), (b * 2.0).astype("float32")


def predictions(model, a, b):
    with torch.no_grad():
        out_a, out_b = model([torch.from_numpy(a), torch.from_numpy(b)])
    return out_a.double().numpy(), out_b.double().numpy()


def mse(y, p, w=None):
    values = ((y - p) ** 2).mean(axis=-1)
    return values.mean() if w is None else (values * w).sum() / len(values)


def mae(y, p):
    return np.abs(y - p).mean(axis=-1).mean()


def test_the_total_is_the_weighted_sum_and_each_output_logs_its_unweighted_loss():
    a, b, ya, yb = data()
    model = TwoBranch()
    model.compile(optimizer="sgd", loss=["mse", "mae"], loss_weights=[2.0, 0.5], metrics=[["mae"], ["mse"]])
    logs = model.evaluate([a, b], [ya, yb], verbose=0, return_dict=True)
    pa, pb = predictions(model, a, b)
    # Keras's order (Trainer.metrics): loss, the compiled metrics, then each output's loss.
    assert list(logs) == ["loss", "out_a_mae", "out_b_mse", "out_a_loss", "out_b_loss"]
    expected = {"loss": 2.0 * mse(ya, pa) + 0.5 * mae(yb, pb), "out_a_mae": mae(ya, pa), "out_b_mse": mse(yb, pb),
                "out_a_loss": mse(ya, pa), "out_b_loss": mae(yb, pb)}
    for key, value in expected.items():
        assert logs[key] == pytest.approx(value, rel=1e-5), key
    assert model.metrics_names == list(logs)
    assert model.evaluate([a, b], [ya, yb], verbose=0) == pytest.approx(list(logs.values()), rel=1e-6)


def test_one_loss_applies_to_every_output():
    a, b, ya, yb = data()
    model = TwoBranch()
    model.compile(optimizer="sgd", loss="mse")
    logs = model.evaluate([a, b], [ya, yb], verbose=0, return_dict=True, batch_size=5)
    pa, pb = predictions(model, a, b)
    assert logs["loss"] == pytest.approx(mse(ya, pa) + mse(yb, pb), rel=1e-5)
    assert logs["out_b_loss"] == pytest.approx(mse(yb, pb), rel=1e-5)


def test_a_gradient_step_follows_the_weighted_total():
    a, b, ya, yb = data()
    model = TwoBranch()
    model.compile(optimizer=seqlab.optimizers.SGD(learning_rate=0.1), loss={"out_a": "mse", "out_b": "mse"},
                  loss_weights={"out_a": 3.0, "out_b": 0.0})
    before_b = [w.detach().clone() for w in model.get_layer("out_b").parameters()]
    kernel = model.get_layer("out_a").kernel.detach().double().clone()
    bias = model.get_layer("out_a").bias.detach().double().clone()
    model.train_on_batch({"a": a, "b": b}, {"out_a": ya, "out_b": yb})
    # d/dW of 3 * mean((xW + c - y)^2) = 6/N * x^T (xW + c - y)
    x, y = torch.from_numpy(a).double(), torch.from_numpy(ya).double()
    residual = x @ kernel + bias - y
    torch.testing.assert_close(model.get_layer("out_a").kernel.detach().double(), kernel - 0.1 * 6 / N * x.T @ residual,
                               rtol=1e-5, atol=1e-6)
    for old, new in zip(before_b, model.get_layer("out_b").parameters()):  # weight 0: out_b does not train
        torch.testing.assert_close(old, new.detach())


def test_lists_and_dicts_of_data_give_the_same_results():
    a, b, ya, yb = data()
    model = TwoBranch()
    model.compile(optimizer="sgd", loss="mse")
    as_lists = model.evaluate([a, b], [ya, yb], verbose=0)
    as_dicts = model.evaluate({"b": b, "a": a}, {"out_b": yb, "out_a": ya}, verbose=0)
    as_tuples = model.evaluate((a, b), (ya, yb), verbose=0)
    assert as_lists == pytest.approx(as_dicts) and as_lists == pytest.approx(as_tuples)


@pytest.mark.parametrize("structure", ["list", "dict"])
def test_predict_returns_the_output_structure(structure):
    a, b, _, _ = data()
    model = TwoBranch(structure)
    out = model.predict({"a": a, "b": b}, batch_size=5)
    with torch.no_grad():
        reference = model([torch.from_numpy(a), torch.from_numpy(b)])
    if structure == "dict":
        assert list(out) == ["out_a", "out_b"] and isinstance(out["out_a"], np.ndarray)
        out, reference = list(out.values()), list(reference.values())
    pa, pb = (r.numpy() for r in reference)
    assert isinstance(out, list) and [o.shape for o in out] == [(N, 1), (N, 2)]
    np.testing.assert_allclose(out[0], pa, rtol=1e-6)
    np.testing.assert_allclose(out[1], pb, rtol=1e-6)


def test_metrics_per_output_as_a_dict_and_a_flat_list_of_one_per_output():
    a, b, ya, yb = data()
    model = TwoBranch("dict")
    model.compile(loss="mse", metrics={"out_b": ["mae", "mse"]})
    assert model.metrics_names == ["loss", "out_b_mae", "out_b_mse", "out_a_loss", "out_b_loss"]
    model.compile(loss="mse", metrics=["mae", "mse"])  # Keras: one entry per output
    assert model.metrics_names == ["loss", "out_a_mae", "out_b_mse", "out_a_loss", "out_b_loss"]


def test_an_output_without_a_loss_needs_no_targets_and_logs_no_losses_of_its_own():
    a, b, ya, _ = data()
    model = TwoBranch("dict")
    model.compile(optimizer="sgd", loss={"out_a": "mse"})
    logs = model.evaluate({"a": a, "b": b}, {"out_a": ya}, verbose=0, return_dict=True)
    with torch.no_grad():
        pa = model([torch.from_numpy(a), torch.from_numpy(b)])["out_a"].double().numpy()
    assert list(logs) == ["loss"]  # Keras logs per-output losses only when more than one output has one
    assert logs["loss"] == pytest.approx(mse(ya, pa), rel=1e-5)


def test_sample_weight_for_every_output_or_one_per_output():
    a, b, ya, yb = data()
    weight = np.linspace(0.0, 2.0, N).astype("float32")
    model = TwoBranch()
    model.compile(loss="mse")
    pa, pb = predictions(model, a, b)
    shared = model.evaluate([a, b], [ya, yb], sample_weight=weight, verbose=0, return_dict=True)
    assert shared["loss"] == pytest.approx(mse(ya, pa, weight) + mse(yb, pb, weight), rel=1e-5)
    per_output = model.evaluate([a, b], [ya, yb], sample_weight={"out_b": weight}, verbose=0, return_dict=True)
    assert per_output["loss"] == pytest.approx(mse(ya, pa) + mse(yb, pb, weight), rel=1e-5)
    listed = model.evaluate([a, b], [ya, yb], sample_weight=[None, weight], verbose=0, return_dict=True)
    assert listed["loss"] == pytest.approx(per_output["loss"], rel=1e-6)


def test_fit_with_validation_split_validation_data_shuffle_and_callbacks():
    a, b, ya, yb = data()
    seqlab.utils.set_random_seed(0)
    model = TwoBranch()
    model.compile(optimizer="adam", loss="mse", metrics=[["mae"], []])
    stop = seqlab.callbacks.EarlyStopping(monitor="val_out_a_loss", patience=100)
    history = model.fit({"a": a, "b": b}, [ya, yb], epochs=3, batch_size=4, validation_split=0.25,
                        shuffle=True, verbose=0, callbacks=[stop])
    assert list(history.history) == ["loss", "out_a_mae", "out_a_loss", "out_b_loss", "val_loss",
                                     "val_out_a_mae", "val_out_a_loss", "val_out_b_loss"]
    assert all(len(values) == 3 for values in history.history.values())
    assert resolve_mode("EarlyStopping", "val_out_a_loss", "auto", model) == "min"
    assert resolve_mode("EarlyStopping", "val_out_a_mae", "auto", model) == "min"
    history = model.fit([a, b], {"out_a": ya, "out_b": yb}, epochs=1, verbose=0,
                        validation_data=({"a": a, "b": b}, [ya, yb]))
    assert history.history["val_loss"][0] == pytest.approx(model.evaluate([a, b], [ya, yb], verbose=0)[0], rel=1e-5)


def test_a_dataloader_of_nested_batches():
    a, b, ya, yb = data()
    dataset = torch.utils.data.TensorDataset(*(torch.from_numpy(v) for v in (a, b, ya, yb)))
    loader = torch.utils.data.DataLoader(dataset, batch_size=4,
                                         collate_fn=lambda rows: ({"a": torch.stack([r[0] for r in rows]),
                                                                   "b": torch.stack([r[1] for r in rows])},
                                                                  [torch.stack([r[2] for r in rows]),
                                                                   torch.stack([r[3] for r in rows])]))
    model = TwoBranch()
    model.compile(optimizer="sgd", loss="mse")
    history = model.fit(loader, epochs=2, verbose=0)
    assert len(history.history["out_b_loss"]) == 2
    assert model.evaluate(loader, verbose=0)[0] == pytest.approx(model.evaluate([a, b], [ya, yb], verbose=0)[0],
                                                                 rel=1e-5)


def test_a_model_of_one_input_takes_the_array_itself():
    a, _, ya, _ = data()
    model = TwoBranch(inputs=1, outputs=1)
    model.compile(loss={"out_a": "mse"}, metrics=["mae"])
    logs = model.evaluate(a, ya, verbose=0, return_dict=True)
    assert list(logs) == ["loss", "mae"]  # one output: no prefix, no per-output loss
    assert model.evaluate([a], [ya], verbose=0) == pytest.approx(list(logs.values()))
    assert model.predict(a).shape == (N, 1)


def test_sparse_labels_per_output_are_integers_and_range_checked():
    a, b, ya, _ = data()
    labels = np.arange(N) % 3
    model = TwoBranch("dict", units_b=3, activation_b="softmax")
    model.compile(loss={"out_a": "mse", "out_b": "sparse_categorical_crossentropy"},
                  metrics={"out_b": ["accuracy"]})
    logs = model.evaluate([a, b], {"out_a": ya, "out_b": labels}, verbose=0, return_dict=True)
    with torch.no_grad():
        probabilities = model([torch.from_numpy(a), torch.from_numpy(b)])["out_b"].double().numpy()
    expected = -np.log(probabilities[np.arange(N), labels]).mean()
    assert logs["out_b_loss"] == pytest.approx(expected, rel=1e-5)
    assert "out_b_accuracy" in logs
    with pytest.raises(ValueError, match=r"evaluate: `y\['out_b'\]` holds class label 3, but model 'm' outputs 3"):
        model.evaluate([a, b], {"out_a": ya, "out_b": labels + 1}, verbose=0)


def test_the_compile_config_round_trips_through_json():
    a, b, ya, yb = data()
    model = TwoBranch("dict")
    model.compile(optimizer="adam", loss={"out_a": "mse", "out_b": seqlab.losses.Huber(delta=0.5)},
                  loss_weights={"out_a": 1.0, "out_b": 0.25}, metrics={"out_a": ["mae"], "out_b": ["mse", "mae"]})
    config = json.loads(json.dumps(model.get_compile_config()))
    again = TwoBranch("dict")
    again.load_state_dict(model.state_dict())
    again.compile_from_config(config)
    assert again.get_compile_config() == config
    assert again.metrics_names == model.metrics_names
    assert again.evaluate([a, b], [ya, yb], verbose=0) == pytest.approx(model.evaluate([a, b], [ya, yb], verbose=0))


def test_a_sequential_takes_loss_weights_as_one_number():
    x = np.ones((4, 2), dtype="float32")
    model = seqlab.Sequential([Dense(1, input_shape=(2,))])
    model.compile(loss="mse")
    plain = model.evaluate(x, x[:, :1] * 3, verbose=0)
    model.compile(loss="mse", loss_weights=2.0)
    assert model.evaluate(x, x[:, :1] * 3, verbose=0) == pytest.approx(2 * plain)
    assert json.loads(json.dumps(model.get_compile_config()))["loss_weights"] == 2.0
    with pytest.raises(TypeError, match=r"compile: `loss_weights` must be a number for a model of one output, "
                                        r"got \[1.0, 2.0\]"):
        model.compile(loss="mse", loss_weights=[1.0, 2.0])


def test_each_input_takes_the_dtype_and_shape_of_its_own_spec():
    from types import SimpleNamespace

    from seqlab.training.inputs import Role, convert_batch
    from seqlab.training.inputs.rules import ModelInfo
    model = TwoBranch()
    model.compile(loss="mse")
    specs = [("tokens", (None, 5), torch.float32, True), ("day", (None, 1), torch.float64, False)]
    info = ModelInfo(SimpleNamespace(name="m", built=True), None, None, torch.float32, torch.float32, False, True,
                     inputs=specs, output_names=["out_a", "out_b"])
    tokens = np.arange(10).reshape(2, 5)
    batch = convert_batch(info, model.compiled, Role.FIT, {"tokens": tokens, "day": np.ones((2, 1), "float32")},
                          [np.ones((2, 1)), np.ones((2, 2))], None, "fit")
    assert batch.x[0].dtype == torch.long and batch.x[1].dtype == torch.float64  # an Embedding's int64 indices
    assert isinstance(batch.y, list) and batch.y[0].dtype == torch.float32
    with pytest.raises(ValueError, match=r"fit: model 'm' expects 2-D input \(batch, features\) of shape "
                                         r"\(None, 5\), got `x\[0\]` of shape \(2, 4\)"):
        convert_batch(info, model.compiled, Role.FIT, [tokens[:, :4], np.ones((2, 1))],
                      [np.ones((2, 1)), np.ones((2, 2))], None, "fit")
