"""Fixtures the recurrent kernels' tests share."""
import pytest

from seqlab.layers.recurrent import inplace


@pytest.fixture
def four_gate_buffers(monkeypatch):
    """The in-place kernel keeps its gates in four buffers, the layout of big CPU runs, by
    setting the mmap limit between a quarter of the run's gate block and the whole of it;
    returns the number of buffers each run used, so a test can check the layout ran."""
    used = []
    choose = inplace.gate_buffers

    def spied(like, slots, units, batch):
        monkeypatch.setattr(inplace, "MMAP_LIMIT_BYTES", 2 * slots * units * batch * like.element_size())
        buffers = choose(like, slots, units, batch)
        used.append(len(buffers))
        return buffers

    monkeypatch.setattr(inplace, "gate_buffers", spied)
    return used
