"""seqlab.inspect.explore: the data the page embeds, decoded back, equals what the library's own
trace, gradients_through_time, saturation and attribute compute; inputs, tokens and errors."""
import numpy as np
import pytest
import torch

import seqlab
from seqlab.inspect import attribute, gradients_through_time, saturation, trace
from seqlab.inspect.explorer import read_page, render_explorer
from seqlab.inspect.explorer.layers import default_target
from seqlab.inspect.explorer.packing import LEVELS, ArrayStore
from seqlab.layers import GRU, LSTM, Bidirectional, Dense, Embedding, SimpleRNN
from seqlab.models import Sequential


def stacked_model():
    seqlab.utils.set_random_seed(1)
    return Sequential([Bidirectional(LSTM(5, return_sequences=True), input_shape=(7, 2), name="bi"),
                       GRU(3, return_sequences=True, name="gru"), SimpleRNN(2, name="rnn"), Dense(2)])


def numbers(samples=3, steps=7, features=2, seed=0):
    return np.random.default_rng(seed).normal(size=(samples, steps, features)).astype("float32")


def by_name(meta):
    return {layer["name"]: layer for layer in meta["layers"]}


@pytest.mark.parametrize("quantize", [False, True])
def test_embedded_arrays_equal_the_trace_gradients_and_saturation(quantize):
    model, x = stacked_model(), numbers()
    meta, arrays = read_page(render_explorer(model, x, attribution=None, quantize_gates=quantize))
    # Without y the gradient is that of the output the attributions explain: each sample's largest.
    target, explained = default_target(model, x)
    assert meta["gradient_of"] == explained == "the largest output of each sample (the predicted class)"
    picked = lambda outputs, index: outputs[torch.arange(len(outputs)), index].sum()  # noqa: E731
    traces, gradients = trace(model, x), gradients_through_time(model, x, np.asarray(target), loss=picked)
    layers = by_name(meta)
    assert list(layers) == ["bi (forward)", "bi (backward)", "gru", "rnn"]
    expected = {"bi (forward)": (traces["bi"]["forward"], gradients["bi"]["forward"]),
                # the backward gradient comes in processing order; the page shows input order
                "bi (backward)": (traces["bi"]["backward"], gradients["bi"]["backward"][:, ::-1]),
                "gru": (traces["gru"], gradients["gru"]), "rnn": (traces["rnn"], gradients["rnn"])}
    for name, (record, gradient) in expected.items():
        layer = layers[name]
        states = {state["name"]: arrays[state["array"]] for state in layer["states"]}
        assert list(states) == [*record.gates, *(["cell"] if record.cell is not None else []), "hidden"]
        for gate, values in record.gates.items():
            # uint8 gates: within half a step of the range they were quantised over
            tolerance = (2.0 / LEVELS) / 2 + 1e-7 if quantize else 0
            np.testing.assert_allclose(states[gate], values, rtol=0, atol=tolerance)
        np.testing.assert_array_equal(states["hidden"], record.hidden)  # float32, exact
        if record.cell is not None:
            np.testing.assert_array_equal(states["cell"], record.cell)
        np.testing.assert_allclose(arrays[layer["gradient"]], gradient, rtol=1e-6)
        if record.gates:
            for gate, sides in saturation(record).items():
                np.testing.assert_allclose(layer["saturation"][gate]["left"], sides["left"])
                np.testing.assert_allclose(layer["saturation"][gate]["right"], sides["right"])
        else:
            assert layer["saturation"] is None  # a SimpleRNN has no gates
    np.testing.assert_array_equal(arrays[meta["input"]["array"]], x)
    assert meta["attribution"] == {"missing": "no attribution was asked for (attribution=None)"}


def test_gates_are_quantised_only_when_their_range_allows_it():
    store = ArrayStore()
    sigmoid, tanh, wide = np.array([0.0, 0.5, 1.0]), np.array([-1.0, 0.0, 0.999]), np.array([-2.0, 3.0])
    ids = [store.add(values, "gate") for values in (sigmoid, tanh, wide)]
    assert [store.arrays[i]["dtype"] for i in ids] == ["uint8", "uint8", "float32"]
    assert store.arrays[ids[0]]["data"].tolist() == [0, 128, 255]  # 0.5 * 255 = 127.5 rounds to even: 128
    assert store.arrays[ids[0]]["scale"] == pytest.approx(1 / 255) and store.arrays[ids[1]]["offset"] == -1.0


def test_attributions_default_to_the_single_output_and_equal_attribute():
    pytest.importorskip("captum", reason="attributions need Captum (the inspect extra)")
    seqlab.utils.set_random_seed(2)
    model = Sequential([LSTM(4, input_shape=(6, 2)), Dense(1)])
    x = numbers(2, 6, 2)
    meta, arrays = read_page(render_explorer(model, x, attribution="integrated_gradients"))
    assert meta["attribution"]["explains"] == "the model's single output"
    expected = attribute(model, x, method="integrated_gradients", steps=32)
    np.testing.assert_allclose(arrays[meta["attribution"]["array"]], expected, rtol=1e-5, atol=1e-7)


def test_without_captum_the_page_says_why(monkeypatch):
    import seqlab.inspect.attribution as attribution_module

    def no_captum():
        raise ImportError("attribute needs Captum: pip install 'seqlab[inspect]' (or pip install captum)")

    monkeypatch.setattr(attribution_module, "_captum", no_captum)
    model = Sequential([LSTM(3, input_shape=(5, 1)), Dense(1)])
    meta, _ = read_page(render_explorer(model, numbers(1, 5, 1)))
    assert meta["attribution"]["missing"].startswith("attribute needs Captum: pip install 'seqlab[inspect]'")


def test_default_targets_a_classifier_and_a_next_token_model():
    seqlab.utils.set_random_seed(3)
    classifier = Sequential([Embedding(10, 4), LSTM(5), Dense(3, activation="softmax")])
    ids = np.random.default_rng(0).integers(1, 10, size=(4, 6))
    probabilities = classifier.predict(ids, verbose=0)
    target, explained = default_target(classifier, ids)
    assert target == probabilities.argmax(axis=-1).tolist() and "predicted class" in explained
    generator = Sequential([Embedding(10, 4), LSTM(5, return_sequences=True), Dense(10, activation="softmax")])
    outputs = generator.predict(ids, verbose=0)                           # (4, 6, 10)
    target, explained = default_target(generator, ids)
    assert target == (5 * 10 + outputs[:, -1].argmax(axis=-1)).tolist() and "last step" in explained


def test_word_tokens_from_a_vocabulary_and_characters_from_tokens():
    seqlab.utils.set_random_seed(4)
    model = Sequential([Embedding(6, 3), LSTM(4), Dense(2, activation="softmax")])
    words = ["", "[UNK]", "the", "cat", "sat", "mat"]
    ids = np.array([[2, 3, 4, 2, 5], [2, 5, 4, 0, 0]])
    meta, arrays = read_page(render_explorer(model, ids, vocabulary=words, attribution="saliency"))
    assert meta["input"]["kind"] == "tokens" and meta["input"]["join"] == " "
    assert [meta["input"]["vocabulary"][i] for i in arrays[meta["input"]["ids"]][0]] == ["the", "cat", "sat", "the", "mat"]
    assert arrays[meta["attribution"]["array"]].shape == (2, 5, 1)  # one value per token
    assert "predicted class" in meta["attribution"]["explains"]
    text = ["hello", "world"]
    chars = np.array([[ord(c) % 6 for c in word] for word in text])
    meta, arrays = read_page(render_explorer(model, chars, tokens=text, attribution=None))
    assert meta["input"]["join"] == ""
    assert "".join(meta["input"]["vocabulary"][i] for i in arrays[meta["input"]["ids"]][1]) == "world"


def test_signals_labels_and_notes_reach_the_page():
    model, x = Sequential([LSTM(3, input_shape=(4, 2)), Dense(1)]), numbers(2, 4, 2)
    level = np.arange(8.0).reshape(2, 4)
    meta, arrays = read_page(render_explorer(
        model, x, attribution=None, feature_names=["close", "volume"], signals={"level": level},
        step_labels=["a", "b", "c", "d"], sample_labels=["first", "second"], title="T </script>", notes=["from a test"]))
    assert [s["name"] for s in meta["signals"]] == ["input: close", "input: volume", "level"]
    np.testing.assert_array_equal(arrays[meta["signals"][1]["array"]], x[:, :, 1])
    np.testing.assert_array_equal(arrays[meta["signals"][2]["array"]], level)
    assert meta["step_labels"] == [["a", "b", "c", "d"]] * 2 and meta["sample_labels"] == ["first", "second"]
    assert meta["title"] == "T </script>" and meta["notes"] == ["from a test"]


def test_the_page_is_one_file_that_loads_nothing():
    page = render_explorer(Sequential([GRU(3, input_shape=(4, 1)), Dense(1)]), numbers(1, 4, 1), attribution=None)
    assert page.startswith("<!DOCTYPE html>")
    for reference in ("<script src", "<link", "url(", "import(", "fetch(", "XMLHttpRequest"):
        assert reference not in page, reference


def test_bad_inputs_are_named(tmp_path):
    model = Sequential([LSTM(3, input_shape=(4, 2)), Dense(1)])
    with pytest.raises(ValueError, match=r"explore: `x` must be 3-D \(samples, timesteps, features\), got shape \(4, 2\)"):
        render_explorer(model, np.zeros((4, 2), "float32"))
    with pytest.raises(ValueError, match=r"integer `x` is read as token ids and must be 2-D .* got shape \(1, 4, 2\)"):
        render_explorer(model, np.zeros((1, 4, 2), "int64"))
    with pytest.raises(TypeError, match=r"`x` must hold numbers \(float\) or token ids \(int\), got dtype <U1"):
        render_explorer(model, np.array([["a"]]))
    with pytest.raises(ValueError, match=r"signal 'level' must have shape \(samples, timesteps\) = \(1, 4\), got \(4,\)"):
        render_explorer(model, numbers(1, 4, 2), signals={"level": np.arange(4)})
    with pytest.raises(ValueError, match=r"`feature_names` must name the 2 features of `x`, got 1 names"):
        render_explorer(model, numbers(1, 4, 2), feature_names=["close"])
    with pytest.raises(ValueError, match=r"`tokens` and `vocabulary` are for token-id input"):
        render_explorer(model, numbers(1, 4, 2), vocabulary=["a"])
    embedded = Sequential([Embedding(5, 2), LSTM(2)])
    with pytest.raises(ValueError, match=r"token ids of `x` run from 0 to 4, but `vocabulary` has 3 tokens"):
        render_explorer(embedded, np.array([[0, 4]]), vocabulary=["", "a", "b"])
    with pytest.raises(ValueError, match=r"`tokens` must hold 1 sequences of 2 strings"):
        render_explorer(embedded, np.array([[0, 4]]), tokens=[["a"]])
    with pytest.raises(ValueError, match=r"`step_labels` must give one label per timestep \(4\), got 3"):
        render_explorer(model, numbers(1, 4, 2), step_labels=["a", "b", "c"], attribution=None)
    with pytest.raises(ValueError, match=r"inspect: Sequential has no recurrent layers \(SimpleRNN, LSTM, GRU\)"):
        render_explorer(Sequential([Dense(1, input_shape=(4, 2))]), numbers(1, 4, 2))
