"""seqlab's GRU inference kernel (layers/recurrent/gru_inference.py): the same numbers as torch's
GRU (float32 within 1e-5, bfloat16 within bfloat16's rounding), and the chooser runs it only
where paths.FACTS measured it faster (AMX CPU, bfloat16 compute, inference, no mask, large
enough batch and units)."""
import contextlib

import numpy as np
import pytest
import torch

from seqlab import mixed_precision
from seqlab.inspect import trace
from seqlab.layers import GRU
from seqlab.layers.recurrent import execution
from seqlab.layers.recurrent import paths
from seqlab.layers.recurrent.gru_inference import run_gru_inference
from seqlab.layers.recurrent.paths import choose_path, force_path
from seqlab.utils import set_random_seed

F32 = dict(rtol=0, atol=1e-5)
# bfloat16 keeps 8 significant bits (relative rounding 2**-8 ~ 0.004 per operation). Measured
# gap to float32 over 12 steps, H128 with Keras's initial weights: seqlab's kernel 3.6e-3, the
# step loop 3.6e-3, torch's own bfloat16 kernel 5.2e-3 (H32, weights in +-0.5: ~4e-3). 2e-2
# bounds them with room and is 100x tighter than the outputs' range (-1, 1).
BF16 = dict(rtol=0, atol=2e-2)
SHAPE = dict(batch=1024, timesteps=50, features=8, units=128)


def torch_gru(features, units, bias=True):
    torch.manual_seed(0)
    gru = torch.nn.GRU(features, units, batch_first=True, bias=bias)
    with torch.no_grad():
        for weight in gru.parameters():
            weight.uniform_(-0.5, 0.5)
    return gru


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("return_sequences", [True, False])
def test_float32_run_equals_torch_gru(bias, return_sequences):
    gru = torch_gru(3, 5, bias)
    x, h0 = torch.randn(4, 6, 3), torch.randn(4, 5)
    with torch.no_grad():
        want, want_h = gru(x, h0.unsqueeze(0))
        got, (got_h,) = run_gru_inference(x, h0, list(gru._flat_weights),
                                          return_sequences=return_sequences)
    torch.testing.assert_close(got, want if return_sequences else want[:, -1], **F32)
    torch.testing.assert_close(got_h, want_h[0], **F32)


def test_bfloat16_run_is_torch_gru_within_bfloat16_rounding():
    gru = torch_gru(8, 32)
    x = torch.randn(64, 12, 8)
    with torch.no_grad():
        want = gru(x.to(torch.bfloat16).float())[0]  # the input as bfloat16 rounds it
        got, _ = run_gru_inference(x.to(torch.bfloat16), torch.zeros(64, 32, dtype=torch.bfloat16),
                                   list(gru._flat_weights))
    assert got.dtype == torch.bfloat16
    torch.testing.assert_close(got.float(), want, **BF16)


def mixed_gru(units, x, **options):
    """A built GRU under ``mixed_bfloat16`` with Keras's initial weights and a non-zero bias."""
    mixed_precision.set_global_policy("mixed_bfloat16")
    try:
        layer = GRU(units, **options)
    finally:
        mixed_precision.set_global_policy(None)
    layer(x)  # build
    with torch.no_grad():
        layer.bias.uniform_(-0.5, 0.5)
    return layer


def test_a_mixed_layer_runs_the_kernel_where_measured_and_gives_the_loops_numbers(monkeypatch):
    monkeypatch.setattr(paths, "platform_of", lambda device: "cpu:AVX512+AMX")
    set_random_seed(0)
    x = torch.randn(128, 12, 8)
    layer = mixed_gru(128, x, return_sequences=True)
    with torch.no_grad():
        got = layer(x)
        assert layer.path.kernel == "seqlab" and layer.path.name == "fused"
        assert layer.path.reason.startswith("seqlab's bfloat16 GRU inference kernel: measured 1.3x")
        assert layer.summary_note() == f"last call on the {layer.path}"
        with force_path("loop"):  # cells.py's step under the same policy
            loop = layer(x)
        with force_path("fused"):  # torch's kernel, forced
            fused = layer(x)
        assert layer.path.kernel == "torch"
    reference = GRU(128, return_sequences=True)
    reference(x)
    reference.set_weights(layer.get_weights())
    with torch.no_grad():
        want = reference(x.to(torch.bfloat16).float())
    assert got.dtype == torch.bfloat16  # Keras: a mixed layer outputs its compute dtype
    for other in (loop, fused, want):
        torch.testing.assert_close(got.float(), other.float(), **BF16)


def test_a_stateful_mixed_layer_carries_the_same_state_on_either_kernel(monkeypatch):
    monkeypatch.setattr(paths, "platform_of", lambda device: "cpu:AVX512+AMX")
    set_random_seed(0)
    x = torch.randn(128, 7, 8)
    layer = mixed_gru(128, x, stateful=True)
    results = {}
    for path in ("seqlab", "torch"):
        layer.reset_states()
        with torch.no_grad(), force_path("fused") if path == "torch" else contextlib.nullcontext():
            results[path] = [layer(x), layer(x)]  # the second call starts from the first's state
            assert layer.path.kernel == path
    for got, want in zip(results["seqlab"], results["torch"]):
        torch.testing.assert_close(got.float(), want.float(), **BF16)


def kernel(cell="gru", training=False, compute_dtype="bfloat16", masked=False, **shape):
    return choose_path(cell, training=training, compute_dtype=compute_dtype, masked=masked,
                       **{**SHAPE, **shape}).kernel


def test_the_chooser_runs_the_kernel_only_where_it_was_measured_faster(monkeypatch):
    monkeypatch.setattr(paths, "platform_of", lambda device: "cpu:AVX512+AMX")
    assert kernel() == "seqlab" and kernel(batch=256, units=64) == "seqlab"
    # below every entry's batch/units, masked, training, float32, LSTM: torch's kernels
    assert kernel(batch=64) == "torch" and kernel(batch=512, units=32) == "torch"
    assert kernel(masked=True) == "torch"
    assert kernel(timesteps=6) == "torch" and kernel(timesteps=7) == "seqlab"  # short: per-call costs
    assert kernel(compute_dtype="float32") == "torch" and kernel("lstm") == "torch"
    training = choose_path("gru", training=True, compute_dtype="bfloat16", **{**SHAPE, "timesteps": 20})
    assert training.kernel == "torch" and training.float32_kernel  # the AVX512 fact holds on AMX
    # a CPU without AMX has no fast bfloat16 matmul: not measured, torch's kernel
    monkeypatch.setattr(paths, "platform_of", lambda device: "cpu:AVX512")
    assert kernel() == "torch"


def test_a_masked_mixed_call_runs_torchs_kernel(monkeypatch):
    monkeypatch.setattr(paths, "platform_of", lambda device: "cpu:AVX512+AMX")
    set_random_seed(0)
    x = torch.randn(128, 8, 8)
    layer = mixed_gru(128, x)
    mask = torch.ones(128, 8, dtype=torch.bool)
    mask[0, 4:] = False
    with torch.no_grad():
        layer(x, mask=mask)
    assert layer.path.kernel == "torch"


def test_a_hidden_state_trace_reads_the_kernels_outputs(monkeypatch):
    monkeypatch.setattr(paths, "platform_of", lambda device: "cpu:AVX512+AMX")
    set_random_seed(0)
    x = torch.randn(128, 8, 8)
    layer = mixed_gru(128, x)
    chosen = []

    def recording_choice(*args, **kwargs):
        chosen.append(choose_path(*args, **kwargs))
        return chosen[-1]

    monkeypatch.setattr(execution, "choose_path", recording_choice)
    hidden = trace(layer, x, record=["hidden"])[layer.name].hidden  # reads the kernel's outputs
    every_step = trace(layer, x)[layer.name].hidden  # the step loop, recording every gate
    assert [path.kernel for path in chosen] == ["seqlab", "torch"] and chosen[1].name == "loop"
    assert hidden.dtype == np.float32 and hidden.shape == (128, 8, 128)
    torch.testing.assert_close(torch.from_numpy(hidden), torch.from_numpy(every_step), **BF16)
