"""The path chooser: every path gives the same numbers (float32 within 1e-5, forward and
gradients), the measured table picks what it says, forcing works, and the compiled step equals
the eager one."""
import warnings

import numpy as np
import pytest
import torch

from seqlab.layers import GRU, LSTM, Bidirectional, SimpleRNN
from seqlab.layers.recurrent import compiled, paths
from seqlab.layers.recurrent.paths import Fact, choose_path, force_path
from seqlab.utils import set_random_seed

F32 = dict(rtol=0, atol=1e-5)
SHAPE = dict(batch=1024, timesteps=50, features=8, units=128)
# A made-up measurement, to test the table's mechanism (the real FACTS carry no loop entry today).
LOOP_FACT = Fact("cpu:TEST", "gru", False, "float32", 1024, 128, "loop", False, "GRU inference: measured 1.5x")


def with_loop_fact(monkeypatch):
    monkeypatch.setattr(paths, "FACTS", (LOOP_FACT, *paths.FACTS))
    monkeypatch.setattr(paths, "platform_of", lambda device: "cpu:TEST")


def randomized(layer, x):
    layer(x)  # build
    layer.set_weights([np.random.uniform(-0.5, 0.5, w.shape) for w in layer.get_weights()])
    return layer


def run(layer, x, mask, path):
    """Outputs and input/weight gradients of one call on ``path``."""
    x = x.clone().requires_grad_(True)
    layer.zero_grad()
    with force_path(path):
        out = layer(x, mask=mask)
    assert layer.path.name == path if hasattr(layer, "path") else True
    out.square().sum().backward()
    grads = [p.grad.clone() for p in layer.parameters()]
    return out.detach(), x.grad.clone(), grads


def assert_same(a, b):
    for got, want in zip([a[0], a[1], *a[2]], [b[0], b[1], *b[2]]):
        torch.testing.assert_close(got, want, **F32)


@pytest.mark.parametrize("make", [lambda: LSTM(6, return_sequences=True), lambda: GRU(6),
                                  lambda: SimpleRNN(6, return_sequences=True),
                                  lambda: Bidirectional(GRU(5, return_sequences=True))],
                         ids=["LSTM", "GRU", "SimpleRNN", "Bidirectional-GRU"])
@pytest.mark.parametrize("masked", [False, True])
def test_fused_and_loop_paths_give_the_same_numbers(make, masked):
    set_random_seed(0)
    x = torch.randn(5, 7, 3)
    mask = None
    if masked:  # right padding, a gap in the middle and one fully masked sequence
        mask = torch.ones(5, 7, dtype=torch.bool)
        mask[0, 5:] = False
        mask[1, 2:4] = False
        mask[2] = False
    layer = randomized(make(), x)
    assert_same(run(layer, x, mask, "loop"), run(layer, x, mask, "fused"))


def test_stateful_layer_carries_the_same_state_on_either_path():
    set_random_seed(0)
    x = torch.randn(3, 4, 2)
    layer = randomized(GRU(4, stateful=True), x)
    results = {}
    for path in ("fused", "loop"):
        layer.reset_states()
        with force_path(path), torch.no_grad():
            results[path] = [layer(x), layer(x)]  # the second call starts from the first's state
    for got, want in zip(results["loop"], results["fused"]):
        torch.testing.assert_close(got, want, **F32)


def test_the_table_picks_the_measured_path(monkeypatch):
    with_loop_fact(monkeypatch)
    gru_inference = choose_path("gru", training=False, **SHAPE)
    assert gru_inference.name == "loop" and "measured" in gru_inference.reason
    assert choose_path("gru", training=True, **SHAPE).name == "fused"
    assert choose_path("lstm", training=False, **SHAPE).name == "fused"
    assert choose_path("gru", training=False, **{**SHAPE, "batch": 32}).name == "fused"  # below min_batch
    assert choose_path("gru", training=False, **{**SHAPE, "units": 32}).name == "fused"  # below min_units
    monkeypatch.setattr(paths, "platform_of", lambda device: "cpu:AVX512")
    assert choose_path("gru", training=False, **SHAPE).name == "fused"  # the real table: fused
    bf16 = choose_path("gru", training=True, compute_dtype="bfloat16", **SHAPE)
    assert bf16.name == "fused" and bf16.float32_kernel
    # A platform nobody measured runs the fused kernel: never slower than it.
    monkeypatch.setattr(paths, "platform_of", lambda device: "cpu:DEFAULT")
    assert choose_path("gru", training=False, **SHAPE).name == "fused"


def test_the_layer_reports_its_path_and_the_summary_names_it(monkeypatch):
    with_loop_fact(monkeypatch)
    set_random_seed(0)
    layer = GRU(128)
    assert layer.path is None  # no call yet
    x = torch.randn(1024, 2, 3)
    fused_out = layer(x)  # parameters require gradients: training path
    assert layer.path.name == "fused"
    with torch.no_grad():
        loop_out = layer(x)
    assert layer.path.name == "loop" and layer.path.reason == "GRU inference: measured 1.5x"
    torch.testing.assert_close(loop_out, fused_out.detach(), **F32)
    assert layer.summary_note() == "last call on the loop: GRU inference: measured 1.5x"
    assert GRU(128, use_cudnn=True).summary_note() is None


def test_forcing_a_path_that_cannot_run_and_an_unknown_path_are_errors():
    with pytest.raises(ValueError, match=r"force_path\('fused'\): this layer has no fused kernel: "
                                         r"activation='elu'"):
        with force_path("fused"):
            GRU(3, activation="elu")(torch.zeros(2, 3, 1))
    with pytest.raises(ValueError, match=r"`name` must be one of \['fused', 'loop', 'compiled_loop'\], got 'fast'"):
        with force_path("fast"):
            pass
    assert choose_path("gru", training=False, use_cudnn=True, **SHAPE).reason == "use_cudnn=True"


def test_bfloat16_gru_training_keeps_the_float32_kernel(monkeypatch):
    monkeypatch.setattr(paths, "platform_of", lambda device: "cpu:AVX512")
    set_random_seed(0)
    x = torch.randn(4, 6, 3)
    layer = randomized(GRU(5), x)
    # float32 on the input as the policy rounds it (a mixed layer casts its inputs to bfloat16)
    reference = layer(x.to(torch.bfloat16).float())
    layer.dtype_policy = "mixed_bfloat16"
    out = layer(x)
    assert layer.path.float32_kernel and out.dtype == torch.bfloat16  # Keras: compute-dtype outputs
    # the kernel ran in float32: only the output's rounding to bfloat16 (2**-8 relative) differs
    torch.testing.assert_close(out.float(), reference, rtol=2**-8, atol=1e-6)


def test_bfloat16_gru_training_on_amx_takes_the_loop_where_measured_faster(monkeypatch):
    monkeypatch.setattr(paths, "platform_of", lambda device: "cpu:AVX512+AMX")
    train = dict(training=True, compute_dtype="bfloat16")
    loop = choose_path("gru", **train, batch=64, timesteps=50, features=8, units=128)
    assert loop.name == "loop" and "hand-written backward" in loop.reason
    for smaller in (dict(batch=32), dict(units=64), dict(timesteps=20)):
        shape = {**dict(batch=64, timesteps=50, features=8, units=128), **smaller}
        assert choose_path("gru", **train, **shape).float32_kernel  # not measured faster: float32 kernel
    assert choose_path("gru", **train, masked=True, batch=64, timesteps=50, features=8, units=128).float32_kernel
    monkeypatch.setattr(paths, "platform_of", lambda device: "cpu:AVX512")  # no AMX: not measured
    assert choose_path("gru", **train, batch=64, timesteps=50, features=8, units=128).float32_kernel
    # The layer: gradients from the hand-written backward, within bfloat16 of the float32 kernel's.
    monkeypatch.setattr(paths, "platform_of", lambda device: "cpu:AVX512+AMX")
    set_random_seed(0)
    x = torch.randn(64, 50, 3)
    layers = [GRU(128) for _ in range(2)]
    for layer in layers:
        layer(x)
    # Moderate weights: with larger ones 50 chaotic steps amplify bfloat16's rounding on any path.
    layers[0].set_weights([np.random.uniform(-0.3, 0.3, w.shape) for w in layers[0].get_weights()])
    layers[1].set_weights(layers[0].get_weights())
    grads = []
    for layer, policy in zip(layers, ("mixed_bfloat16", "float32")):
        layer.dtype_policy = policy
        layer(x).float().square().mean().backward()
        grads.append([p.grad for p in layer.parameters()])
    assert layers[0].path.name == "loop" and layers[0].path.backward == "bptt"
    for mixed, full in zip(*grads):
        assert mixed.dtype == torch.float32  # variables and their gradients stay float32
        torch.testing.assert_close(mixed, full, rtol=0, atol=2**-5 * full.abs().max().item())


@pytest.mark.slow
def test_compiled_step_equals_the_eager_step():
    # torch.compile works on this platform (CPU, torch 2.13): a fallback here is a failure.
    # Inference only: compiling the backward too doubles a cost of tens of seconds on 2 cores;
    # the compiled step is the same function autograd differentiates on the eager path.
    set_random_seed(0)
    x = torch.randn(3, 4, 2)
    layer = randomized(LSTM(4, return_sequences=True), x)
    with torch.no_grad():
        with force_path("loop"):
            eager = layer(x)
        with warnings.catch_warnings(), force_path("compiled_loop"):
            warnings.simplefilter("error", RuntimeWarning)  # no fallback allowed here
            result = layer(x)
    assert layer.path.name == "compiled_loop"
    assert compiled.compile_failure() is None and compiled.compile_seconds["lstm"] > 0
    torch.testing.assert_close(result, eager, **F32)


def test_a_failing_compiler_falls_back_to_eager_with_one_warning(monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("no compiler here")

    monkeypatch.setattr(torch, "compile", broken)
    monkeypatch.setattr(compiled, "_compiled", {})
    monkeypatch.setattr(compiled, "_failure", None)
    set_random_seed(0)
    x = torch.randn(2, 3, 2)
    layer = randomized(GRU(3), x)
    with pytest.warns(RuntimeWarning, match=r"torch.compile of the recurrent step failed "
                                            r"\(RuntimeError: no compiler here\)"):
        result = run(layer, x, None, "compiled_loop")
    assert compiled.compile_failure() == "RuntimeError: no compiler here"
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # once only
        again = run(layer, x, None, "compiled_loop")
    assert_same(again, result)
    assert_same(result, run(layer, x, None, "loop"))
