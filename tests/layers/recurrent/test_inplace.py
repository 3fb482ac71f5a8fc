"""The in-place LSTM kernel (what a full trace runs) computes the step loop's numbers, and a
trace takes it only where it applies."""
import numpy as np
import pytest
import torch

import seqlab
from seqlab import mixed_precision
from seqlab.inspect import trace
from seqlab.layers import LSTM, Dense
from seqlab.layers.recurrent import inplace
from seqlab.layers.recurrent.cells import lstm_cell
from seqlab.layers.recurrent.loop import StepRecord, run_loop
from seqlab.layers.recurrent.paths import force_path
from seqlab.models import Sequential

F32 = dict(rtol=0, atol=2e-6)


@pytest.mark.parametrize("use_bias", [True, False])
@pytest.mark.parametrize("one_block", [True, False], ids=["gates in one block", "gates in four buffers"])
def test_inplace_kernel_equals_the_step_loop(use_bias, one_block, request):
    buffers_used = [] if one_block else request.getfixturevalue("four_gate_buffers")
    torch.manual_seed(0)
    x = torch.randn(5, 9, 3)
    weight_ih, weight_hh = torch.randn(16, 3) * 0.5, torch.randn(16, 4) * 0.5
    bias = torch.randn(16) if use_bias else None
    states = (torch.randn(5, 4), torch.randn(5, 4))  # a stateful layer's or `initial_state`
    record = StepRecord()
    x_proj = torch.nn.functional.linear(x, weight_ih, bias)
    outputs, (h, c) = run_loop(lstm_cell(torch.tanh, torch.sigmoid), x_proj, states, weight_hh, record=record)
    given = tuple(state.clone() for state in states)
    hidden, cells, gates, finals = inplace.run_lstm_inplace(x, states, weight_ih, weight_hh, bias)
    torch.testing.assert_close(hidden, outputs, **F32)
    torch.testing.assert_close(cells, record.state_sequence(1), **F32)
    for k, gate in enumerate(gates):
        torch.testing.assert_close(gate, record.gate_sequence(k), **F32)
    torch.testing.assert_close(finals[0], h, **F32)
    torch.testing.assert_close(finals[1], c, **F32)
    assert all(torch.equal(state, kept) for state, kept in zip(states, given))  # initial states untouched
    assert buffers_used == ([] if one_block else [4])


def _stacked():
    seqlab.utils.set_random_seed(0)
    return Sequential([LSTM(6, input_shape=(8, 3), return_sequences=True, name="first"),
                       LSTM(5, name="second"), Dense(1)])


@pytest.mark.parametrize("record", [["gates", "cell", "hidden"], ["gates"], ["cell"], ["gates", "hidden"]])
def test_a_trace_on_the_inplace_kernel_equals_the_step_loop_trace(record):
    model = _stacked()
    x = np.random.default_rng(0).normal(size=(4, 8, 3)).astype("float32")
    fast = trace(model, x, record=record)
    with force_path("loop"):
        slow = trace(model, x, record=record)
    for name in ("first", "second"):
        assert set(fast[name].gates) == set(slow[name].gates)
        for gate in slow[name].gates:
            np.testing.assert_allclose(fast[name].gates[gate], slow[name].gates[gate], **F32)
        for part in ("hidden", "cell"):
            if getattr(slow[name], part) is None:
                assert getattr(fast[name], part) is None
            else:
                np.testing.assert_allclose(getattr(fast[name], part), getattr(slow[name], part), **F32)
    np.testing.assert_allclose(model.predict(x, verbose=0), slow_predict(model, x), **F32)


def slow_predict(model, x):
    with force_path("loop"):
        return model.predict(x, verbose=0)


def test_the_inplace_kernel_runs_only_where_it_applies(monkeypatch):
    calls = []
    original = inplace.run_lstm_inplace
    monkeypatch.setattr(inplace, "run_lstm_inplace", lambda *a, **k: calls.append(1) or original(*a, **k))
    model = Sequential([LSTM(4, input_shape=(6, 2), name="lstm")])
    x = np.random.default_rng(1).normal(size=(3, 6, 2)).astype("float32")
    trace(model, x)
    assert calls == [1]
    mask = np.ones((3, 6), dtype=bool)
    mask[0, 4:] = False
    trace(model, x, mask=mask)  # a masked step carries its state: the step loop records it
    seqlab.inspect.gradients_through_time(model, x)  # per-step states in the graph: the loop
    custom = Sequential([LSTM(4, input_shape=(6, 2), activation="relu", name="lstm")])
    trace(custom, x)  # no fused kernel, no in-place kernel
    mixed_precision.set_global_policy("mixed_bfloat16")
    try:
        mixed = Sequential([LSTM(4, input_shape=(6, 2), name="lstm")])
    finally:
        mixed_precision.set_global_policy(None)
    trace(mixed, x)  # computes in bfloat16: the loop under autocast
    assert calls == [1]


def test_gates_share_one_block_unless_it_alone_would_be_mapped_afresh(monkeypatch):
    like = torch.empty(0)
    block_bytes = 4 * 3 * 2 * 5 * 4  # slots 3, units 2, batch 5, float32
    buffers = inplace.gate_buffers(like, slots=3, units=2, batch=5)
    gates, activations = inplace.gate_views(buffers)
    assert len(buffers) == 1 and [activation for _, activation, _ in activations] == [torch.sigmoid, torch.tanh]
    i, f, g, o = gates
    # One sigmoid call covers i, f and o: adjacent (H, N) slabs of one step's block, then g.
    assert f.data_ptr() - i.data_ptr() == o.data_ptr() - f.data_ptr() == g.data_ptr() - o.data_ptr() == 2 * 5 * 4
    for limit, count in [(block_bytes, 1), (block_bytes - 1, 4), (block_bytes // 4, 4), (block_bytes // 4 - 1, 1)]:
        monkeypatch.setattr(inplace, "MMAP_LIMIT_BYTES", limit)
        buffers = inplace.gate_buffers(like, slots=3, units=2, batch=5)
        assert len(buffers) == count, limit
    monkeypatch.setattr(inplace, "MMAP_LIMIT_BYTES", block_bytes - 1)
    gates, activations = inplace.gate_views(inplace.gate_buffers(like, slots=3, units=2, batch=5))
    assert [activation for _, activation, _ in activations] == [torch.sigmoid] * 3 + [torch.tanh]
    assert all(gate.is_contiguous() and gate.shape == (3, 2, 5) for gate in gates)


def test_the_stacked_weight_orders_the_sigmoid_gates_first():
    weight_ih, weight_hh, bias = torch.randn(8, 3), torch.randn(8, 2), torch.randn(8)
    stacked = inplace.stacked_weight(weight_ih, weight_hh, bias)
    rows = torch.cat([weight_ih, bias[:, None], weight_hh], 1).chunk(4)  # torch's i, f, g, o
    torch.testing.assert_close(stacked, torch.cat([rows[0], rows[1], rows[3], rows[2]]), rtol=0, atol=0)
    torch.testing.assert_close(inplace.in_torch_order(stacked), torch.cat(rows), rtol=0, atol=0)
