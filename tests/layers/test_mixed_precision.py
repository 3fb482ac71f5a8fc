"""The mixed-precision API (Keras 3's names) and what a mixed model does end to end: policies,
errors, float32 variables, losses and predictions in float32, saving, traces, loss scaling."""
import json

import numpy as np
import pytest
import torch

import seqlab
from seqlab import layers, mixed_precision
from seqlab.errors import ModelFileError
from seqlab.layers import dtype_policy as policies
from seqlab.models.file_schema import Member, check_model
from seqlab.training.optimizers import deserialize as deserialize_optimizer


@pytest.fixture(autouse=True)
def float32_policy_after():
    yield
    mixed_precision.set_global_policy(None)


def _lstm_model(**dense):
    return seqlab.Sequential([layers.Input(shape=(6, 3)), layers.LSTM(8, return_sequences=True),
                              layers.GRU(5), layers.Dense(2, **dense)])


def _data():
    generator = np.random.default_rng(0)
    return generator.normal(size=(16, 6, 3)).astype("float32"), generator.normal(size=(16, 2)).astype("float32")


# ---- the policy ---------------------------------------------------------------------------------
@pytest.mark.parametrize("name, compute, variable", [
    ("float32", "float32", "float32"), ("float64", "float64", "float64"), ("bfloat16", "bfloat16", "bfloat16"),
    ("mixed_bfloat16", "bfloat16", "float32")])
def test_policy_dtypes_are_keras_ones(name, compute, variable):
    policy = mixed_precision.DTypePolicy(name)
    assert (policy.name, policy.compute_dtype, policy.variable_dtype) == (name, compute, variable)
    layer = layers.Dense(2, dtype=name)
    assert (layer.compute_dtype, layer.variable_dtype, layer.dtype) == (compute, variable, variable)
    assert layer.dtype_policy == policy
    assert seqlab.dtype_policies.get(name) == policy


def test_global_policy_is_what_new_layers_take_and_is_reset():
    assert mixed_precision.global_policy().name == "float32"
    mixed_precision.set_global_policy("mixed_bfloat16")
    assert repr(mixed_precision.global_policy()) == '<DTypePolicy "mixed_bfloat16">'
    assert layers.Dense(1).dtype_policy.name == "mixed_bfloat16"
    assert layers.Dense(1, dtype="float32").compute_dtype == "float32"
    mixed_precision.set_global_policy(None)
    assert layers.Dense(1).dtype_policy.name == "float32"


def test_unknown_policy_names_the_value_and_the_choices():
    with pytest.raises(ValueError, match=r"Cannot convert 'mixed_float32' to a dtype policy: expected one of "
                                         r"'float32', 'float64', 'bfloat16', 'mixed_bfloat16', 'mixed_float16'"):
        mixed_precision.set_global_policy("mixed_float32")
    with pytest.raises(ValueError, match=r"layer 'd': `dtype`: Cannot convert 'half'"):
        layers.Dense(1, dtype="half", name="d")
    with pytest.raises(TypeError, match=r"`name` must be a string such as 'mixed_bfloat16', got 16"):
        mixed_precision.DTypePolicy(16)


@pytest.mark.skipif(torch.cuda.is_available(), reason="the error is for machines without CUDA")
def test_mixed_float16_without_cuda_is_refused_with_the_alternative():
    with pytest.raises(ValueError, match=r"'mixed_float16' needs a CUDA GPU .* on a CPU use 'mixed_bfloat16'"):
        mixed_precision.set_global_policy("mixed_float16")
    assert mixed_precision.global_policy().name == "float32"  # unchanged


def test_model_dtype_applies_to_layers_without_their_own():
    model = seqlab.Sequential([layers.Input(shape=(6, 3)), layers.LSTM(4), layers.Dense(1, dtype="float32")],
                              dtype="mixed_bfloat16")
    assert [layer.dtype_policy.name for layer in model.layers] == ["mixed_bfloat16", "float32"]
    assert model.compute_dtype == "bfloat16" and model.variable_dtype == "float32"


# ---- computing ----------------------------------------------------------------------------------
def test_mixed_layers_keep_float32_variables_and_return_bfloat16():
    mixed_precision.set_global_policy("mixed_bfloat16")
    model = _lstm_model(dtype="float32")
    x, _ = _data()
    assert {p.dtype for p in model.parameters()} == {torch.float32}
    hidden = model.layers[0](torch.as_tensor(x))
    assert hidden.dtype == torch.bfloat16  # Keras's mixed layers return the compute dtype
    assert model(torch.as_tensor(x)).dtype == torch.float32  # the float32 head


def test_fit_predict_evaluate_under_mixed_policy_against_float32_model():
    x, y = _data()
    torch.manual_seed(0)
    reference = _lstm_model()
    mixed_precision.set_global_policy("mixed_bfloat16")
    mixed = _lstm_model()
    mixed.set_weights(reference.get_weights())
    predictions = mixed.predict(x, verbose=0)
    assert predictions.dtype == np.float32  # NumPy has no bfloat16
    np.testing.assert_allclose(predictions, reference.predict(x, verbose=0), atol=0.05)
    for model in (reference, mixed):
        model.compile("sgd", "mse", metrics=["mae"])
    # Losses and metrics are computed in float32: the same numbers within bfloat16's error.
    expected, got = reference.evaluate(x, y, verbose=0), mixed.evaluate(x, y, verbose=0)
    np.testing.assert_allclose(got, expected, rtol=0.02)
    history = mixed.fit(x, y, epochs=2, batch_size=8, verbose=0).history
    assert history["loss"][1] < history["loss"][0]
    assert {p.dtype for p in mixed.parameters()} == {torch.float32}


def test_trace_of_a_mixed_model_returns_float32_gates():
    mixed_precision.set_global_policy("mixed_bfloat16")
    model = _lstm_model()
    x, _ = _data()
    traces = seqlab.inspect.trace(model, x[:2])
    assert list(traces) == [layer.name for layer in model.layers[:2]]
    for trace in traces.values():
        assert all(gate.dtype == np.float32 for gate in trace.gates.values())
        assert trace.hidden.dtype == np.float32 and trace.hidden.shape[:2] == (2, 6)


# ---- saving -------------------------------------------------------------------------------------
def test_saved_under_mixed_loads_with_float32_weights_and_the_policy(tmp_path):
    x, _ = _data()
    mixed_precision.set_global_policy("mixed_bfloat16")
    model = _lstm_model(dtype="float32")
    expected = model.predict(x, verbose=0)
    model.save(tmp_path / "m.seqlab")
    config = model.get_config()["layers"]
    assert [spec["config"].get("dtype") for spec in config[1:]] == ["mixed_bfloat16", "mixed_bfloat16", "float32"]
    mixed_precision.set_global_policy("float32")
    loaded = seqlab.load_model(tmp_path / "m.seqlab")
    assert [layer.dtype_policy.name for layer in loaded.layers] == ["mixed_bfloat16", "mixed_bfloat16", "float32"]
    assert {p.dtype for p in loaded.parameters()} == {torch.float32}
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), expected)
    # The same weights in a float32 model: the float32 numbers, within bfloat16's error.
    plain = _lstm_model()
    plain.set_weights(loaded.get_weights())
    np.testing.assert_allclose(plain.predict(x, verbose=0), expected, atol=0.05)


def test_keras3_serialized_policy_in_a_layer_config_is_read():
    spec = {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "mixed_bfloat16"},
            "registered_name": None}
    assert policies.serialize(policies.get(spec)) == spec
    layer = seqlab.layers.deserialize({"class_name": "Dense", "config": {"units": 2, "dtype": spec}})
    assert layer.compute_dtype == "bfloat16"


def test_model_file_with_a_bad_dtype_is_refused_by_the_schema(tmp_path):
    config = {"class_name": "Sequential", "config": {"name": "s", "layers": [
        {"class_name": "Dense", "config": {"units": 1, "dtype": "float8"}}]}}
    with pytest.raises(ModelFileError, match=r"key 'config.layers\[0\].config.dtype' is 'float8'; expected a "
                                             r"dtype policy name"):
        check_model(json.loads(json.dumps(config)), Member("m.seqlab", "model.json"))


# ---- loss scaling -------------------------------------------------------------------------------
def _one_weight_model():
    model = seqlab.Sequential([layers.Input(shape=(1,)), layers.Dense(1, use_bias=False, kernel_initializer="ones")])
    return model


def test_loss_scale_optimizer_unscales_gradients_and_skips_non_finite_steps():
    x, y = np.ones((4, 1), "float32"), np.zeros((4, 1), "float32")
    scaled, plain = _one_weight_model(), _one_weight_model()
    optimizer = mixed_precision.LossScaleOptimizer(seqlab.optimizers.SGD(0.1), initial_scale=8.0,
                                                   dynamic_growth_steps=2)
    scaled.compile(optimizer, "mse")
    plain.compile(seqlab.optimizers.SGD(0.1), "mse")
    for model in (scaled, plain):
        model.fit(x, y, epochs=2, batch_size=4, verbose=0)
    # mse gradient 2 * w; w: 1 -> 0.8 -> 0.64 in both (the scale is divided back out)
    np.testing.assert_allclose(scaled.get_weights()[0], plain.get_weights()[0], rtol=1e-6)
    np.testing.assert_allclose(scaled.get_weights()[0], [[0.64]], rtol=1e-6)
    assert optimizer.dynamic_scale == 16.0  # doubled after 2 finite steps
    before = scaled.get_weights()[0].copy()
    with pytest.warns(RuntimeWarning, match="the training loss became NaN or infinite"):
        scaled.fit(np.full((4, 1), 1e38, "float32"), np.full((4, 1), -1e38, "float32"),
                   epochs=1, batch_size=4, verbose=0)  # the loss overflows: gradients are inf
    np.testing.assert_array_equal(scaled.get_weights()[0], before)  # the step was skipped
    assert optimizer.dynamic_scale == 8.0
    clone = deserialize_optimizer(json.loads(json.dumps({"class_name": "LossScaleOptimizer",
                                                         "config": optimizer.get_config()})))
    assert isinstance(clone.inner_optimizer, seqlab.optimizers.SGD) and clone.dynamic_growth_steps == 2


def test_loss_scale_optimizer_arguments_are_checked():
    with pytest.raises(TypeError, match=r"`inner_optimizer` must be a seqlab optimizer"):
        mixed_precision.LossScaleOptimizer("adam")
    with pytest.raises(ValueError, match=r"`initial_scale` must be a positive number, got 0"):
        mixed_precision.LossScaleOptimizer(seqlab.optimizers.Adam(), initial_scale=0)
