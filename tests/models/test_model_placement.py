"""Where a model's weights and its optimizer's state live: the parts of the CUDA path that a
CPU machine can check (the meta device and float64 stand in for a second device)."""
import numpy as np
import pytest
import torch

import seqlab
from seqlab.layers import LSTM, Dense
from seqlab.layers.recurrent import fused
from seqlab.models import Sequential
from seqlab.training import compile as compile_module


def test_placement_asked_before_the_weights_exist_is_kept_by_build():
    model = Sequential([LSTM(3), Dense(1)]).to("meta")
    assert model.device == torch.device("meta")
    model.build((None, 4, 2))
    assert {p.device.type for p in model.parameters()} == {"meta"}


def test_an_unplaced_model_follows_its_first_input():
    model = Sequential([LSTM(3), Dense(1)])
    out = model(torch.zeros(2, 4, 2, device="meta"))
    assert out.device.type == "meta" and model.device.type == "meta"


def test_optimizer_state_follows_the_model_when_it_moves():
    seqlab.utils.set_random_seed(0)
    x, y = np.random.rand(16, 4, 2), np.random.rand(16, 1)
    model = Sequential([LSTM(3, input_shape=(4, 2)), Dense(1)])
    model.compile(loss="mse", optimizer="adam")
    model.fit(x, y, epochs=1, verbose=0)
    model.to(torch.float64)  # a move the Adam moments must follow, as they must to a GPU
    model.fit(x, y, epochs=1, verbose=0)
    slots = [value for state in model.optimizer.engine.state.values() for value in state.values()
             if isinstance(value, torch.Tensor) and value.is_floating_point()]
    assert slots and {value.dtype for value in slots} == {torch.float64}


def test_fused_kernel_gets_contiguous_states(monkeypatch):
    # cuDNN refuses strided hx/cx ("rnn: hx is not contiguous"); oneDNN does not mind, so spy.
    seen = []
    kernel = fused._KERNELS["lstm"]

    def spy(x, hx, *args):
        seen.extend(state.is_contiguous() for state in hx)
        return kernel(x, hx, *args)

    monkeypatch.setitem(fused._KERNELS, "lstm", spy)
    layer = LSTM(4)
    both = torch.randn(2, 8)
    layer(torch.randn(2, 3, 5), initial_state=[both[:, :4], both[:, 4:]])  # strided slices
    assert seen == [True, True]


def test_cuda_devices_get_their_index_and_a_missing_one_is_named(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    monkeypatch.setattr(torch.cuda, "current_device", lambda: 0)
    assert compile_module.resolve_device("cuda") == torch.device("cuda", 0)
    assert compile_module.resolve_device("auto") == torch.device("cuda", 0)
    with pytest.raises(ValueError, match=r"device='cuda:3' does not exist; this machine has 1 CUDA "
                                         r"device\(s\), cuda:0 to cuda:0"):
        compile_module.resolve_device("cuda:3")
