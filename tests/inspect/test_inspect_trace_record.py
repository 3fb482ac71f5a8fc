"""trace(record=...): a subset of what is recorded equals that part of the full trace, and what
was not asked for is not held. A hidden-only trace reads the fused kernel's outputs."""
import numpy as np
import pytest
import torch

from seqlab.inspect import trace
from seqlab.layers import GRU, LSTM, Bidirectional, SimpleRNN
from seqlab.models import Sequential
from seqlab.utils import set_random_seed

F32 = dict(rtol=0, atol=1e-5)
MODELS = {
    "LSTM": lambda: Sequential([LSTM(4, input_shape=(6, 3), return_sequences=True, name="rnn")]),
    "GRU": lambda: Sequential([GRU(4, input_shape=(6, 3), name="rnn")]),
    "SimpleRNN": lambda: Sequential([SimpleRNN(4, input_shape=(6, 3), name="rnn")]),
    "Bidirectional": lambda: Sequential([Bidirectional(LSTM(4, return_sequences=True), input_shape=(6, 3), name="rnn")]),
    "zero_output_for_mask": lambda: Sequential([GRU(4, input_shape=(6, 3), zero_output_for_mask=True, name="rnn")]),
}


def parts(entry):
    """The traces of an entry: one, or the forward and backward halves of a Bidirectional."""
    return [entry["forward"], entry["backward"]] if isinstance(entry, dict) else [entry]


@pytest.mark.parametrize("name", list(MODELS))
@pytest.mark.parametrize("record", [["hidden"], ["gates"], ["cell"], ["gates", "hidden"]])
def test_a_recorded_subset_equals_the_full_trace(name, record):
    set_random_seed(0)
    model = MODELS[name]()
    model.set_weights([np.random.uniform(-0.6, 0.6, w.shape) for w in model.get_weights()])
    x = np.random.randn(5, 6, 3).astype("float32")
    mask = np.ones((5, 6), dtype=bool)
    mask[0, 4:] = False
    mask[1, 1:3] = False
    full = trace(model, x, mask=mask)["rnn"]
    subset = trace(model, x, mask=mask, record=record)["rnn"]
    for whole, part in zip(parts(full), parts(subset)):
        assert set(part.gates) == (set(whole.gates) if "gates" in record else set())
        for gate, values in part.gates.items():
            np.testing.assert_allclose(values, whole.gates[gate], **F32)
        if "hidden" in record:
            np.testing.assert_allclose(part.hidden, whole.hidden, **F32)
        else:
            assert part.hidden is None
        if "cell" in record and whole.cell is not None:
            np.testing.assert_allclose(part.cell, whole.cell, **F32)
        else:
            assert part.cell is None


def test_bad_record_values_are_refused():
    model = Sequential([LSTM(2, input_shape=(3, 1))])
    with pytest.raises(ValueError, match=r"`record` must name at least one of \['gates', 'cell', 'hidden'\], "
                                         r"got \['gates', 'states'\] \(\['states'\] unknown\)"):
        trace(model, np.zeros((1, 3, 1)), record=["gates", "states"])
    with pytest.raises(TypeError, match=r"`record` must be a list of names .* got 'hidden'"):
        trace(model, np.zeros((1, 3, 1)), record="hidden")
    with pytest.raises(ValueError, match=r"got \[\]"):
        trace(model, np.zeros((1, 3, 1)), record=[])
