"""StepRecord: a record without the graph copies each step into one time-major buffer per
quantity, and gives the same sequences as a record that keeps the per-step tensors."""
import torch

from seqlab.layers.recurrent.cells import gru_cell, lstm_cell
from seqlab.layers.recurrent.loop import StepRecord, run_loop


def _run(cell, record, blocks, mask):
    torch.manual_seed(0)
    x_proj = torch.randn(3, 5, blocks * 4)
    states = tuple(torch.randn(3, 4) for _ in range(cell.num_states))
    weight_hh = torch.randn(blocks * 4, 4) * 0.5
    bias_hh = torch.randn(blocks * 4) if cell.kind == "gru" else None
    return run_loop(cell, x_proj, states, weight_hh, bias_hh, mask=mask, record=record)


def test_buffered_record_equals_the_per_step_record():
    mask = torch.ones(3, 5, dtype=torch.bool)
    mask[0, 2:4] = False
    for cell, blocks in ((lstm_cell(torch.tanh, torch.sigmoid), 4), (gru_cell(torch.tanh, torch.sigmoid), 3)):
        buffered, kept = StepRecord(), StepRecord(keep_steps=True)
        outputs, _ = _run(cell, buffered, blocks, mask)
        _run(cell, kept, blocks, mask)
        assert buffered.gates == [] and buffered.states == []  # no per-step tensors held
        assert len(kept.gates) == 5 and len(kept.states) == 5
        for i in range(len(cell.gate_names)):
            assert buffered.gate_sequence(i).shape == (3, 5, 4)
            assert torch.equal(buffered.gate_sequence(i), kept.gate_sequence(i))
        for j in range(cell.num_states):
            assert torch.equal(buffered.state_sequence(j), kept.state_sequence(j))
        # Step t's recorded hidden state is the carried state: the output where the step counted.
        assert torch.equal(buffered.state_sequence(0)[mask], outputs[mask])


def test_a_record_keeps_only_what_it_was_asked_for():
    record = StepRecord(keep_gates=False)
    _run(lstm_cell(torch.tanh, torch.sigmoid), record, 4, None)
    assert record._gate_buffers == () and len(record._state_buffers) == 2
