"""The functional API: Input, layers on symbolic tensors, Model(inputs, outputs)."""
import json

import numpy as np
import pytest
import torch

import seqlab
from seqlab.layers import LSTM, Bidirectional, Dense, Embedding, Input, SimpleRNN
from seqlab.layers.symbolic import SymbolicTensor
from seqlab.models import Functional, Model, Sequential, load_model


def _same_weights(source, target):
    target.set_weights(source.get_weights())


def test_input_is_a_symbolic_tensor_with_free_batch():
    x = Input(shape=(7, 1), name="series")
    assert isinstance(x, SymbolicTensor)
    assert (x.shape, x.dtype, x.name, x.ndim) == ((None, 7, 1), torch.float32, "series", 3)
    assert Input(shape=(5,), batch_size=4).shape == (4, 5)
    assert Input(shape=(5,), dtype="int32").dtype == torch.int64


def test_input_refuses_sparse_and_unknown_dtypes():
    with pytest.raises(ValueError, match=r"Input 'i': `sparse=True` is not supported"):
        Input(shape=(3,), sparse=True, name="i")
    with pytest.raises(ValueError, match=r"Input 'j': `dtype` must be one of .*got 'complex64'"):
        Input(shape=(3,), dtype="complex64", name="j")


def test_layers_give_keras_shapes_on_symbolic_tensors():
    x = Input(shape=(None, 5))
    assert LSTM(8, return_sequences=True)(x).shape == (None, None, 8)
    out, h, c = LSTM(8, return_state=True)(x)
    assert (out.shape, h.shape, c.shape) == ((None, 8), (None, 8), (None, 8))
    states = Bidirectional(LSTM(3, return_state=True))(x)
    assert [s.shape for s in states] == [(None, 6), (None, 3), (None, 3), (None, 3), (None, 3)]
    assert Dense(4)(Input(shape=(6, 2))).shape == (None, 6, 4)


def test_model_returns_a_functional_model_that_is_a_module():
    x = Input(shape=(3,))
    model = Model(inputs=x, outputs=Dense(2)(x))
    assert type(model) is Functional and isinstance(model, Model) and isinstance(model, torch.nn.Module)
    assert isinstance(Sequential(), Model) and seqlab.Model is Model and seqlab.models.Model is Model
    assert model.built and model.output_shape == (None, 2) and model.input_shape == (None, 3)
    assert [type(layer).__name__ for layer in model.layers] == ["InputLayer", "Dense"]


def test_functional_chain_matches_sequential_outputs_and_gradients():
    torch.manual_seed(0)
    stack = Sequential([Input(shape=(6, 2)), LSTM(5, return_sequences=True), SimpleRNN(3), Dense(1)])
    x = Input(shape=(6, 2))
    graph = Model(x, Dense(1)(SimpleRNN(3)(LSTM(5, return_sequences=True)(x))))
    _same_weights(stack, graph)
    data = torch.randn(4, 6, 2)
    a, b = stack(data), graph(data)
    torch.testing.assert_close(a, b, rtol=1e-6, atol=1e-6)
    a.sum().backward()
    b.sum().backward()
    for p, q in zip(stack.parameters(), graph.parameters()):
        torch.testing.assert_close(p.grad, q.grad, rtol=1e-5, atol=1e-6)
    assert graph.count_params() == stack.count_params()


def test_shared_layer_is_one_set_of_weights():
    a, b = Input(shape=(4,), name="a"), Input(shape=(4,), name="b")
    shared = Dense(3, name="shared")
    model = Model([a, b], [shared(a), shared(b)])
    assert [layer.name for layer in model.layers] == ["a", "b", "shared"]
    assert model.count_params() == 15 and len(model.get_weights()) == 2
    x1, x2 = torch.randn(2, 4), torch.randn(2, 4)
    y1, y2 = model([x1, x2])
    torch.testing.assert_close(y2, shared(x2))
    assert model.output_names == ["shared", "shared_1"] and model.output_structure == "list"


def test_the_interface_the_training_road_reads():
    a, b = Input(shape=(5, 2), name="a"), Input(shape=(3,), dtype="int32", name="b")
    merged = Dense(4)(LSTM(4)(a))
    model = Model({"a": a, "b": b}, {"score": merged, "ids": Embedding(10, 4)(b)})
    assert type(model).nested_inputs is True
    assert model.input_names == ["a", "b"] and model.output_names == ["score", "ids"]
    assert model.input_specs() == [("a", (None, 5, 2), torch.float32, False), ("b", (None, 3), torch.int64, True)]
    assert model.output_structure == "dict" and model.output_shape == [(None, 4), (None, 3, 4)]
    xa, xb = torch.randn(2, 5, 2), torch.randint(0, 10, (2, 3))
    by_dict, by_list = model({"a": xa, "b": xb}), model([xa, xb])
    assert set(by_dict) == {"score", "ids"}
    torch.testing.assert_close(by_dict["ids"], by_list["ids"])


def test_call_with_wrong_inputs_is_refused():
    a, b = Input(shape=(2,), name="a"), Input(shape=(2,), name="b")
    model = Model([a, b], Dense(1)(seqlab.layers.Concatenate()([a, b]))) if hasattr(seqlab.layers, "Concatenate") \
        else Model([a, b], [Dense(1)(a), Dense(1)(b)])
    with pytest.raises(ValueError, match=r"takes 2 inputs \['a', 'b'\], got a list of 3"):
        model([torch.zeros(1, 2)] * 3)
    with pytest.raises(ValueError, match=r"takes inputs named \['a', 'b'\], got a dict with keys \['a', 'c'\]; unknown: \['c'\]"):
        model({"a": torch.zeros(1, 2), "c": torch.zeros(1, 2)})


def test_encoder_decoder_with_return_state_and_initial_state():
    torch.manual_seed(1)
    encoder_inputs = Input(shape=(None, 5), name="encoder_inputs")
    _, h, c = LSTM(8, return_state=True, name="encoder")(encoder_inputs)
    decoder_inputs = Input(shape=(None, 6), name="decoder_inputs")
    decoder = LSTM(8, return_sequences=True, name="decoder")
    outputs = Dense(6, activation="softmax", name="next")(decoder(decoder_inputs, initial_state=[h, c]))
    model = Model([encoder_inputs, decoder_inputs], outputs)
    assert model.output_shape == (None, None, 6)
    source, target = torch.randn(3, 4, 5), torch.randn(3, 7, 6)
    y = model([source, target])
    # The same computation by hand: the decoder starts from the encoder's final states.
    _, eh, ec = model.get_layer("encoder")(source)
    expected = model.get_layer("next")(decoder(target, initial_state=[eh, ec]))
    torch.testing.assert_close(y, expected)
    text = model.summary(print_fn=None)
    assert "Connected to" in text and "encoder[0][1]" in text and "encoder[0][2]" in text


def test_nested_models_are_layers():
    inner = Sequential([Dense(4, activation="tanh"), Dense(2)], name="inner")
    x = Input(shape=(3,))
    model = Model(x, Dense(1, name="head")(inner(x)))
    assert [layer.name for layer in model.layers][1:] == ["inner", "head"]
    assert model.count_params() == 16 + 10 + 3
    outer_x = Input(shape=(3,))
    twice = Model(outer_x, model(outer_x), name="twice")
    data = torch.randn(5, 3)
    torch.testing.assert_close(twice(data), model(data))


def test_config_round_trip_with_shared_layers_and_several_inputs_and_outputs():
    a, b = Input(shape=(4, 2), name="a"), Input(shape=(4, 2), name="b")
    shared = LSTM(3, name="shared")
    out, h, c = LSTM(3, return_state=True, name="enc")(a)
    model = Model([a, b], {"left": Dense(1, name="left")(shared(a)), "right": Dense(2, name="right")(shared(b)),
                           "state": h})
    config = json.loads(json.dumps(model.get_config()))
    assert config["input_layers"] == [["a", 0, 0], ["b", 0, 0]]
    assert config["output_layers"] == {"left": ["left", 0, 0], "right": ["right", 0, 0], "state": ["enc", 0, 1]}
    shared_spec = next(spec for spec in config["layers"] if spec["name"] == "shared")
    assert [node["args"][0]["config"]["keras_history"] for node in shared_spec["inbound_nodes"]] == [["a", 0, 0], ["b", 0, 0]]
    twin = Functional.from_config(config)
    assert twin.get_config() == config
    twin.set_weights(model.get_weights())
    xs = [torch.randn(2, 4, 2), torch.randn(2, 4, 2)]
    for key in ("left", "right", "state"):
        torch.testing.assert_close(twin(xs)[key], model(xs)[key])


def test_save_and_load_give_identical_predictions(tmp_path):
    encoder_inputs = Input(shape=(None, 3), name="src")
    _, h, c = LSTM(4, return_state=True, name="encoder")(encoder_inputs)
    decoder_inputs = Input(shape=(None, 2), name="tgt")
    y = Dense(2, name="out")(LSTM(4, return_sequences=True, name="decoder")(decoder_inputs, initial_state=[h, c]))
    inner = Sequential([Dense(3), Dense(1)], name="inner")
    model = Model([encoder_inputs, decoder_inputs], [y, inner(h)])
    path = tmp_path / "seq2seq.seqlab"
    model.save(path)
    loaded = load_model(path)
    assert type(loaded) is Functional and loaded.get_config() == model.get_config()
    xs = [torch.randn(2, 5, 3), torch.randn(2, 6, 2)]
    for got, want in zip(loaded(xs), model(xs)):
        torch.testing.assert_close(got, want, rtol=0, atol=0)


def test_single_input_functional_model_trains_with_fit():
    torch.manual_seed(2)
    x = Input(shape=(6, 1))
    model = Model(x, Dense(1)(LSTM(4)(x)))
    model.compile(optimizer="adam", loss="mse")
    data = np.random.default_rng(0).normal(size=(16, 6, 1)).astype("float32")
    history = model.fit(data, data[:, -1], epochs=3, batch_size=8, verbose=0)
    assert len(history.history["loss"]) == 3
    assert model.predict(data, verbose=0).shape == (16, 1)


def test_summary_of_a_chain_has_no_connected_column_and_keras_counts():
    x = Input(shape=(7, 1), name="in")
    model = Model(x, Dense(1, name="d")(LSTM(4, name="l")(x)), name="chain")
    text = model.summary(print_fn=None)
    assert "Connected to" not in text
    assert " in (InputLayer)" in text and "Total params: 101" in text  # LSTM 4*(4*(1+4)+4)=96, Dense 5


def test_inspect_trace_and_gradients_on_a_graph_layer():
    source = Input(shape=(5, 2), name="src")
    _, h = SimpleRNN(3, return_state=True, name="encoder")(source)
    target = Input(shape=(4, 1), name="tgt")
    y = Dense(1)(SimpleRNN(3, return_sequences=True, name="decoder")(target, initial_state=[h]))
    model = Model([source, target], y)
    xs = [np.random.rand(2, 5, 2), np.random.rand(2, 4, 1)]
    traces = seqlab.inspect.trace(model, xs)
    assert set(traces) == {"encoder", "decoder"} and traces["decoder"].hidden.shape == (2, 4, 3)
    assert set(seqlab.inspect.trace(model, xs, layer="decoder")) == {"decoder"}
    grads = seqlab.inspect.gradients_through_time(model, xs, layer="encoder")
    assert grads["encoder"].shape == (2, 5) and (grads["encoder"] > 0).all()
    with pytest.raises(ValueError, match=r"`layer` must name a recurrent layer .* got 'dense_x'; its recurrent layers are \['decoder', 'encoder'\]"):
        seqlab.inspect.trace(model, xs, layer="dense_x")


# ---- bad graphs ----------------------------------------------------------------------------------
def test_layer_on_a_symbolic_tensor_of_the_wrong_rank():
    with pytest.raises(ValueError, match=r"layer 'rnn' \(LSTM\) expects 3-D input \(samples, timesteps, features\), got shape \(None, 8\)"):
        LSTM(4, name="rnn")(Input(shape=(8,)))
    with pytest.raises(ValueError, match=r"layer 'head' was built for 3 features on its last axis, got input of shape \(None, 5\)"):
        head = Dense(1, name="head")
        head(Input(shape=(3,)))
        head(Input(shape=(5,)))


def test_disconnected_input_is_named():
    a, b = Input(shape=(2,), name="a"), Input(shape=(2,), name="b")
    y = Dense(1, name="y")(b)
    with pytest.raises(ValueError, match=r"graph disconnected: output 'y' needs input 'b' .*which is not in `inputs` \['a'\]"):
        Model(a, y)


def test_outputs_that_do_not_depend_on_an_input_are_refused():
    a, b = Input(shape=(2,), name="a"), Input(shape=(2,), name="b")
    with pytest.raises(ValueError, match=r"the outputs \['y'\] do not depend on input\(s\) \['b'\]"):
        Model([a, b], Dense(1, name="y")(a))


def test_duplicate_layer_names_are_refused():
    x = Input(shape=(2,))
    with pytest.raises(ValueError, match=r"two different layers are named 'twin' \(Dense and Dense\)"):
        Model(x, Dense(1, name="twin")(Dense(2, name="twin")(x)))


def test_inputs_and_outputs_must_be_symbolic_tensors():
    x = Input(shape=(2,))
    with pytest.raises(TypeError, match=r"`outputs` must be a symbolic tensor .*got a Tensor|`outputs` must be a symbolic tensor"):
        Model(x, torch.zeros(1, 2))
    with pytest.raises(TypeError, match=r"`inputs\[1\]` must be a symbolic tensor"):
        Model([x, np.zeros(2)], Dense(1)(x))
    hidden = Dense(2, name="hidden")(x)
    with pytest.raises(ValueError, match=r"`inputs` must come from seqlab.Input\(...\); input 0 is the output of layer 'hidden' \(Dense\)"):
        Model(hidden, Dense(1)(hidden))


class _Join(seqlab.layers.Layer):
    """A layer of several inputs (as the merging layers are): concatenates the last axes."""

    takes_input_list = True
    input_ndim = 2

    def call(self, inputs, training=False, mask=None):
        return torch.cat(inputs, dim=-1)


def test_a_layer_of_several_inputs_joins_branches():
    a, b = Input(shape=(3,), name="a"), Input(shape=(4,), name="b")
    joined = _Join(name="join")([a, Dense(2, name="db")(b)])
    assert joined.shape == (None, 5)
    model = Model([a, b], Dense(1, name="out")(joined))
    xa, xb = torch.randn(2, 3), torch.randn(2, 4)
    expected = model.get_layer("out")(torch.cat([xa, model.get_layer("db")(xb)], dim=-1))
    torch.testing.assert_close(model([xa, xb]), expected)
    assert "db[0][0]" in model.summary(print_fn=None)
    with pytest.raises(ValueError, match=r"layer 'join2' \(_Join\) expected ndim=2, found ndim=3. Full shape received: \(None, 2, 2\)"):
        _Join(name="join2")([a, Input(shape=(2, 2))])


def test_the_timestep_mask_follows_the_graph_as_in_sequential():
    torch.manual_seed(3)
    stack = Sequential([Input(shape=(5,), dtype="int32"), Embedding(9, 3, mask_zero=True), LSTM(4)])
    ids = Input(shape=(5,), dtype="int32")
    graph = Model(ids, LSTM(4)(Embedding(9, 3, mask_zero=True)(ids)))
    _same_weights(stack, graph)
    tokens = torch.tensor([[1, 2, 3, 0, 0], [4, 5, 0, 0, 0]])
    torch.testing.assert_close(graph(tokens), stack(tokens))
    # The padded steps are skipped: the first sample's output is the LSTM's over its 3 tokens.
    embedding, lstm = graph.layers[1], graph.layers[2]
    torch.testing.assert_close(graph(tokens)[0], lstm(embedding(tokens[:1, :3]))[0], rtol=1e-5, atol=1e-6)
