"""seqlab.inspect.saturation: Karpathy et al.'s left/right-saturated fractions, against a hand count."""
import numpy as np
import pytest

from seqlab.inspect import Trace, saturation, trace
from seqlab.layers import LSTM, SimpleRNN
from seqlab.models import Sequential


def hand_trace(mask=None):
    # 1 sample, 5 steps, 2 units; unit 0 of `forget`: 0.05 0.5 0.95 0.99 0.08; unit 1: all 0.5.
    forget = np.array([[[0.05, 0.5], [0.5, 0.5], [0.95, 0.5], [0.99, 0.5], [0.08, 0.5]]])
    update = np.full((1, 5, 2), 0.95)
    candidate = np.full((1, 5, 2), -0.99)  # tanh: never counted
    return Trace("gru", {"update": update, "forget": forget, "candidate": candidate},
                 hidden=np.zeros((1, 5, 2)), mask=mask)


def test_fractions_match_a_hand_count():
    result = saturation(hand_trace())
    assert sorted(result) == ["forget", "update"]  # the tanh candidate is left out
    np.testing.assert_array_equal(result["forget"]["left"], [2 / 5, 0])    # 0.05, 0.08
    np.testing.assert_array_equal(result["forget"]["right"], [2 / 5, 0])   # 0.95, 0.99
    np.testing.assert_array_equal(result["update"]["right"], [1, 1])


def test_masked_steps_do_not_count():
    mask = np.array([[True, True, True, False, False]])  # drops 0.99 and 0.08
    result = saturation(hand_trace(mask))
    np.testing.assert_array_equal(result["forget"]["left"], [1 / 3, 0])
    np.testing.assert_array_equal(result["forget"]["right"], [1 / 3, 0])


def test_real_lstm_trace_and_thresholds():
    model = Sequential([LSTM(3, input_shape=(6, 2), name="lstm")])
    t = trace(model, np.random.default_rng(0).normal(size=(4, 6, 2)))["lstm"]
    result = saturation(t, left=0.4, right=0.6)
    assert sorted(result) == ["forget", "input", "output"]
    expected = (t.gates["forget"] > 0.6).reshape(-1, 3).mean(axis=0)
    np.testing.assert_allclose(result["forget"]["right"], expected)


def test_errors_by_message():
    rnn = Sequential([SimpleRNN(2, input_shape=(3, 1), name="rnn")])
    with pytest.raises(ValueError, match="layer 'rnn' has no sigmoid gates"):
        saturation(trace(rnn, np.zeros((1, 3, 1)))["rnn"])
    with pytest.raises(TypeError, match="dict with keys"):
        saturation({"forward": hand_trace()})
    with pytest.raises(ValueError, match=r"`left` must be a number in \[0, 1\], got 1.5"):
        saturation(hand_trace(), left=1.5)
    with pytest.raises(ValueError, match="every step of layer 'gru' is masked"):
        saturation(hand_trace(np.zeros((1, 5), dtype=bool)))
