"""Sequential's architecture side: building, shapes, summary, weights, config, torch interop."""
import numpy as np
import pytest
import torch

from seqlab.errors import NotBuiltError
from seqlab.layers import Dense, Dropout, Flatten, Input
from seqlab.models import Sequential


def notes_feed_forward():
    # The notes' recap network: 3 inputs, 4 hidden units, 2 outputs.
    return Sequential([Dense(4, activation="sigmoid", input_shape=(3,), name="hidden"), Dense(2, name="out")])


def test_builds_as_soon_as_the_input_shape_is_known():
    model = notes_feed_forward()
    assert model.built
    assert model.output_shapes == [(None, 4), (None, 2)]
    assert model.count_params() == 3 * 4 + 4 + 4 * 2 + 2


def test_model_without_input_shape_builds_on_first_call():
    model = Sequential([Dense(4), Dense(1)])
    assert not model.built
    with pytest.raises(NotBuiltError, match="has not been built yet, so `summary` has nothing to show"):
        model.summary()
    model(torch.zeros(2, 6))
    assert model.built and model.count_params() == 6 * 4 + 4 + 5


def test_summary_matches_keras_layout_and_counts():
    model = Sequential(name="sequential_probe")
    model.add(Input(shape=(16,)))
    model.add(Dense(10, activation="softmax", name="dense"))
    text = model.summary(print_fn=None)
    lines = text.splitlines()
    assert lines[0] == 'Model: "sequential_probe"'
    assert lines[2].split() == ["Layer", "(type)", "Output", "Shape", "Param", "#"]
    assert lines[4].split() == ["dense", "(Dense)", "(None,", "10)", "170"]
    assert "Total params: 170" in lines
    assert "Trainable params: 170" in lines
    assert "Non-trainable params: 0" in lines


def test_summary_wraps_long_layer_names_and_keeps_columns_aligned():
    from seqlab.layers import Conv1D, GlobalAveragePooling1D
    model = Sequential([Input(shape=(10, 3)), Conv1D(4, 3),
                        GlobalAveragePooling1D(name="global_average_pooling1d"), Dense(1)])
    lines = model.summary(print_fn=None).splitlines()
    header = lines[2]
    shape_column, param_column = header.index("Output Shape"), header.index("Param #")
    row = lines.index(next(line for line in lines if line.startswith(" global_average_pooling1d")))
    # tf.keras 2.9+ layout: the type goes to a continuation line instead of pushing columns right
    assert lines[row].split() == ["global_average_pooling1d", "(None,", "4)", "0"]
    assert lines[row + 1].strip() == "(GlobalAveragePooling1D)"
    assert lines[row].index("(None, 4)") == shape_column and lines[row].rindex("0") == param_column
    assert all(len(line) <= 65 for line in lines)


def test_frozen_layers_count_as_non_trainable():
    model = Sequential([Dense(3, input_shape=(2,), trainable=False), Dense(1)])
    text = model.summary(print_fn=None)
    assert "Trainable params: 4" in text and "Non-trainable params: 9" in text
    assert not model.layers[0].kernel.requires_grad


def test_is_a_plain_torch_module():
    model = notes_feed_forward()
    assert isinstance(model, torch.nn.Module)
    names = [name for name, _ in model.named_parameters()]
    assert len(names) == 4
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    loss = model(torch.ones(5, 3)).pow(2).mean()
    loss.backward()
    optimizer.step()
    assert all(p.grad is not None for p in model.parameters())


def test_forward_matches_float64_numpy_reference():
    model = Sequential([Dense(4, activation="tanh", input_shape=(3,), dtype="float64"), Dense(2, dtype="float64")])
    rng = np.random.default_rng(1)
    weights = [rng.normal(size=w.shape) for w in model.get_weights()]
    model.set_weights(weights)
    x = rng.normal(size=(5, 3))
    expected = np.tanh(x @ weights[0] + weights[1]) @ weights[2] + weights[3]
    got = model(torch.tensor(x)).detach().numpy()
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)


def test_weights_round_trip_across_models():
    source = notes_feed_forward()
    target = notes_feed_forward()
    target.set_weights(source.get_weights())
    x = torch.randn(4, 3)
    torch.testing.assert_close(source(x), target(x), rtol=0, atol=0)
    with pytest.raises(ValueError, match="has 4 weight arrays, got a list of 3"):
        target.set_weights(source.get_weights()[:3])


def test_get_layer_by_name_and_index():
    model = notes_feed_forward()
    assert model.get_layer("out") is model.layers[1]
    assert model.get_layer(index=0).name == "hidden"
    with pytest.raises(ValueError, match=r"no layer named 'outt' in model .*; its layers are \['hidden', 'out'\]"):
        model.get_layer("outt")


def test_structure_errors_are_clear():
    model = Sequential([Dense(2, input_shape=(3,), name="a")])
    with pytest.raises(ValueError, match="a layer named 'a' is already in model"):
        model.add(Dense(2, name="a"))
    with pytest.raises(TypeError, match=r"Sequential.add expects a seqlab layer, got Linear"):
        model.add(torch.nn.Linear(2, 2))
    with pytest.raises(ValueError, match="declares an input shape but is not the first layer"):
        model.add(Dense(2, input_shape=(3,)))
    with pytest.raises(ValueError, match="an Input can only be the first entry"):
        model.add(Input(shape=(3,)))


def test_config_round_trip_rebuilds_the_same_architecture():
    model = Sequential([Input(shape=(4, 2)), Flatten(), Dense(3, activation="relu"), Dropout(0.5), Dense(1)])
    clone = Sequential.from_config(model.get_config())
    assert [type(layer) for layer in clone.layers] == [type(layer) for layer in model.layers]
    assert [layer.name for layer in clone.layers] == [layer.name for layer in model.layers]
    assert clone.count_params() == model.count_params() == 8 * 3 + 3 + 4
    clone.set_weights(model.get_weights())
    x = torch.randn(3, 4, 2)
    torch.testing.assert_close(clone.eval()(x), model.eval()(x))


def test_dropout_is_active_only_in_training_mode():
    torch.manual_seed(0)
    model = Sequential([Dropout(0.5, input_shape=(1000,))])
    x = torch.ones(1, 1000)
    assert torch.equal(model.eval()(x), x)
    out = model.train()(x)
    assert 400 < int((out == 0).sum()) < 600
    assert set(out.unique().tolist()) == {0.0, 2.0}
