"""Which execution path a recurrent layer takes, decided in one place from measured facts.

A recurrent layer has up to three ways to compute the same numbers from the same weights:

* ``'fused'``: torch's recurrent kernels (oneDNN on CPU, cuDNN on GPU) — :mod:`.fused`;
* ``'loop'``: seqlab's step loop in eager torch — :mod:`.loop`;
* ``'compiled_loop'``: the same loop with the cell's step compiled by ``torch.compile``
  (:mod:`.compiled`; falls back to ``'loop'`` with one warning where compiling fails).

In float32 they agree within 1e-5, forward and gradients
(``tests/layers/recurrent/test_recurrent_paths.py``), so choosing between them is a question of
speed only. :func:`choose_path` answers it from :data:`FACTS`, a table of measurements: a path
other than ``'fused'`` is chosen only where it was *measured* faster on that platform, so an
unmeasured platform or shape runs the fused kernel (never silently slower than it).

A fact can also name the kernel a ``'fused'`` call runs: ``'torch'`` (torch's ``_VF`` kernels,
:mod:`.fused`) or ``'seqlab'`` (seqlab's own GRU inference kernel, :mod:`.gru_inference`, which
takes no mask: a masked call runs torch's).

Users force a path for every recurrent layer run inside :func:`force_path` (Keras's per-layer
``use_cudnn=True/False`` still forces ``'fused'``/``'loop'`` for one layer).
"""
from __future__ import annotations

import contextlib
import contextvars
from dataclasses import dataclass

import torch

PATHS = ("fused", "loop", "compiled_loop")


@dataclass(frozen=True)
class Path:
    """The path a call takes and why (``str(path)`` reads ``"loop: <reason>"``).

    ``float32_kernel`` marks a fused run that leaves autocast and computes in float32, where
    torch's low-precision kernel was measured slower than its float32 one. ``backward`` says how
    a step loop that takes gradients gets them: ``'bptt'`` (the hand-written backward of
    :mod:`.bptt`) or ``'autograd: <why>'`` (a graph through every step); empty otherwise.
    ``kernel`` says whose kernel a fused run calls: ``'torch'`` or ``'seqlab'`` (:mod:`.gru_inference`).
    """

    name: str
    reason: str
    float32_kernel: bool = False
    backward: str = ""
    kernel: str = "torch"

    def __str__(self) -> str:
        backward = f"; gradients: {self.backward}" if self.backward else ""
        return f"{self.name}: {self.reason}{backward}"


@dataclass(frozen=True)
class Fact:
    """One measurement that moves a layer off the default fused kernel.

    It applies to calls on ``platform`` (see :func:`platform_of`; a fact for ``'cpu:AVX512'``
    also holds on ``'cpu:AVX512+AMX'``, a CPU with more units) of ``cell_kind`` with this
    ``training`` flag and ``compute_dtype`` whose batch, units and timesteps are at least
    ``min_batch``, ``min_units`` and ``min_timesteps``; one that is ``unmasked_only`` (measured
    without a mask, or naming seqlab's kernel, which takes none) only to calls without a mask.
    """

    platform: str
    cell_kind: str
    training: bool
    compute_dtype: str
    min_batch: int
    min_units: int
    path: str
    float32_kernel: bool
    measured: str  # what was measured, where and when: shown as the reason
    kernel: str = "torch"
    min_timesteps: int = 1
    unmasked_only: bool = False


# seqlab's GRU inference kernel (gru_inference.py) under a bfloat16 compute dtype: inference
# throughput / raw torch's fused float32 GRU (nn.GRU), torch's own bfloat16 kernel on cast copies
# in brackets, on the 2-core Xeon (AVX-512 + AMX), torch 2.13, 1 thread, this process's CPU time,
# median of 3 interleaved rounds, 2026-12-07, load ~2.5:
#   python benchmarks/bench_mixed_precision.py --threads 1 --rounds 3 --kinds "" --gru-shapes ...
#   T50 F8 H128:  B32 0.94x (0.81x)  B64 1.08x (0.86x)  B128 1.46x (1.06x)  B256 2.22x (1.07x)
#                 B1024 3.40x (1.26x)
#   T50 F8 H256:  B64 1.37x (1.37x)  B1024 4.29x (1.60x)
#   H64:          B64 T50 F8 0.74x (0.58x)  B256 T100 F16 1.67x (0.89x)  B1024 T50 F8 3.05x (1.20x)
#   H32:          B512 T50 F8 1.35x (0.53x)  B1024 T7 F1 1.53x (0.55x)  B1024 T50 F8 1.83x (0.57x)
# An earlier run the same day (load ~2.4) agreed within 0.1-0.6x (B128 H128 1.35x, B1024 H256
# 4.94x, B1024 T7 H32 1.27x). In the full model (`seqlab mixed` inference row, B1024 T50 F8 H128,
# --rounds 5 --threads 1, load ~4.5): 3.38x and 3.30x in two runs (torch's kernel 1.29x, 1.23x).
# Short sequences pay the per-call cost (stacking the weights, making the buffers) over few steps
# (same command, load ~2): T1 B128 H128 0.64x, B256 H64 0.80x, B1024 H32 0.92x (B1024 H128
# 2.76x); T2 B128 H128 0.76x, B1024 H32 0.98x; T4 B128 H128 1.07x, B256 H128 1.45x, B1024 H32
# 1.20x; T7 B128 H128 1.30x, B256 H64 1.12x, B1024 F1 H32 1.28x; T16 B128 H128 1.58x, B256 H64
# 1.57x. So every entry needs 7 timesteps or more (a step-at-a-time stateful call runs torch's).
# Shapes off these axes, all winning: B128 T20 F256 H128 1.42x, B128 T20 H512 2.11x, B2048 T10
# H128 2.94x, B128 T200 H128 1.97x.
# Entries start where every measured shape won by >= 1.12x; smaller batches (B64 H128 ~1.1x,
# B32 < 1x) keep torch's kernel. Without AMX the bfloat16 matmul has no fast unit: no entry.
_SEQLAB_GRU = "seqlab's bfloat16 GRU inference kernel: measured {} raw torch's float32 kernel on this CPU"

FACTS: tuple[Fact, ...] = (
    Fact("cpu:AVX512+AMX", "gru", False, "bfloat16", 128, 128, "fused", False,
         _SEQLAB_GRU.format("1.3x-4.9x (B128-B1024, H128-H256)"), kernel="seqlab", min_timesteps=7,
         unmasked_only=True),
    Fact("cpu:AVX512+AMX", "gru", False, "bfloat16", 256, 64, "fused", False,
         _SEQLAB_GRU.format("1.12x-3.05x (B256-B1024, H64)"), kernel="seqlab", min_timesteps=7,
         unmasked_only=True),
    Fact("cpu:AVX512+AMX", "gru", False, "bfloat16", 1024, 32, "fused", False,
         _SEQLAB_GRU.format("1.27x-1.83x (B1024, H32)"), kernel="seqlab", min_timesteps=7,
         unmasked_only=True),
    # Not in the table: GRU inference on the step loop. Measured loop / fused on the 2-core
    # Xeon (AVX-512 + AMX), torch 2.13, inference:
    #   2026-12-02, 2 threads (PERF_NOTES.md): B1024 T50 F8 H128 1.48x; B1024 T7 F1 H32 1.05x.
    #   2026-12-07, 1 thread, load ~12 (median of 3 rounds): B1024 T50 F8 H128 1.47x; B1/B8/B32
    #     T50 H128 0.55x/1.01x/0.78x; B256 T100 F16 H64 0.79x; B1/B32/B1024 T7 F1 H32
    #     0.60x/0.66x/0.45x.
    #   2026-12-07, bench_recurrent.py --threads 1 --rounds 3 --statistic median, load ~16:
    #     B1024 T50 F8 H128 0.75x.
    # The one shape where it had won lost in the next run, so it does not earn an entry: the
    # chooser must never be slower than the fused kernel. Re-measure on a quiet machine
    # before adding it back (Fact("cpu:AVX512", "gru", False, "float32", 1024, 128, "loop", ...)).
    # GRU training under bfloat16 on the step loop (its matmuls in bfloat16 on AMX, gradients
    # from bptt.py's hand-written backward) against the float32 fused kernel the next entry
    # runs, both as ratios to raw torch's float32 GRU training (fwd + bwd + Adam, Dense(1) head),
    # 2026-12-07, quiet machine, median of 5 interleaved rounds, 1 thread / 2 threads:
    #   B64 T50 F8 H128: loop 1.12-1.16x / 1.03-1.14x (four runs each), fused float32 1.04-1.10x /
    #     1.00-1.07x;  B128 T50 H128 1.29x / 1.21x (fused 1.06x / 1.01x);  B64 T50 H256 1.63x /
    #     1.37x (1.03x / 1.01x);  B256 T50 F16 H128 1.36x / 1.33x (1.03x / 1.05x).
    #   Losing: B16 T50 H128 0.90x / 0.83x;  B64 T50 H64 0.93x / 0.94x;  B64 T10 H128 0.92x /
    #     0.89x;  B64 T20 H128 1.03x / 0.97x;  B32 T7 F1 H32 0.65x / 0.64x.
    # So the loop trains where batch >= 64, units >= 128 and 50 steps or more, unmasked (masks
    # were not measured); elsewhere the float32 kernel.
    Fact("cpu:AVX512+AMX", "gru", True, "bfloat16", 64, 128, "loop", False,
         "the bfloat16 step loop with its hand-written backward trains at 1.03x-1.63x raw torch's "
         "float32 GRU on this CPU (B64-B256, H128-H256, 50 steps), above the float32 kernel",
         min_timesteps=50, unmasked_only=True),
    # PERF_NOTES.md 2026-12-02, same machine: torch's GRU under bfloat16 autocast trains at
    # 0.8x its float32 kernel (4.5k -> 3.6k samples/s), so training keeps the float32 kernel.
    Fact("cpu:AVX512", "gru", True, "bfloat16", 1, 1, "fused", True,
         "torch's bfloat16 GRU kernel trains at 0.8x its float32 kernel on this CPU: "
         "the float32 kernel runs"),
)

_forced: contextvars.ContextVar[str | None] = contextvars.ContextVar("seqlab_forced_path", default=None)


def platform_of(device) -> str:
    """``'cuda'`` for a GPU, else ``'cpu:<capability>'`` as torch names the CPU's vector units
    (``'cpu:AVX512'``, ``'cpu:AVX2'``, ``'cpu:DEFAULT'``...), with ``'+AMX'`` where the CPU
    has AMX tiles (its bfloat16 matmul unit): ``'cpu:AVX512+AMX'``."""
    if torch.device(device).type == "cuda":
        return "cuda"
    platform = f"cpu:{torch.backends.cpu.get_cpu_capability()}"
    # torch.cpu's AMX probe is private (torch >= 2.3): without it, no AMX fact applies.
    has_amx = getattr(torch.cpu, "_is_amx_tile_supported", lambda: False)()
    return platform + "+AMX" if has_amx else platform


def _holds_on(fact_platform: str, platform: str) -> bool:
    # 'cpu:AVX512' facts hold on 'cpu:AVX512+AMX' too: the same vector units, and more.
    return platform == fact_platform or platform.startswith(fact_platform + "+")


@contextlib.contextmanager
def force_path(name: str):
    """Run every recurrent layer inside the block on path ``name`` (``'fused'``, ``'loop'``
    or ``'compiled_loop'``), whatever :func:`choose_path` would pick.

    A layer whose settings have no fused kernel raises a ``ValueError`` under
    ``force_path('fused')``.

    >>> import torch, seqlab
    >>> from seqlab.layers.recurrent.paths import force_path
    >>> gru = seqlab.layers.GRU(4)
    >>> with force_path("loop"):
    ...     _ = gru(torch.zeros(2, 3, 1))
    >>> gru.path.name
    'loop'
    """
    if name not in PATHS:
        raise ValueError(f"force_path: `name` must be one of {list(PATHS)}, got {name!r}")
    token = _forced.set(name)
    try:
        yield
    finally:
        _forced.reset(token)


def forced_path() -> str | None:
    """The path forced by an enclosing :func:`force_path`, or None."""
    return _forced.get()


def choose_path(cell_kind: str, *, training: bool, compute_dtype: str = "float32", device="cpu",
                batch: int, timesteps: int, features: int, units: int,
                loop_reasons: tuple[str, ...] = (), use_cudnn="auto", masked: bool = False) -> Path:
    """The fastest path that gives a call's numbers, with the reason.

    Args:
        cell_kind: the cell's kind (``'lstm'``, ``'gru'``, ``'rnn'``, ``'gru_reset_before'``).
        training: whether gradients will be taken.
        compute_dtype: the layer's compute dtype by name (``'float32'``, ``'bfloat16'``...).
        device: where the call runs.
        batch, timesteps, features, units: the call's shape (N, L, F) and H.
        loop_reasons: why the fused kernel cannot compute this call (empty when it can).
        use_cudnn: the layer's Keras setting: True/False force fused/loop for this layer.
        masked: whether the call has a mask (seqlab's kernels take none).

    >>> choose_path("lstm", training=True, batch=64, timesteps=50, features=8, units=128).name
    'fused'
    """
    forced = _forced.get()
    if loop_reasons:
        if forced == "fused":
            raise ValueError(f"force_path('fused'): this layer has no fused kernel: {'; '.join(loop_reasons)}")
        name = "compiled_loop" if forced == "compiled_loop" else "loop"
        return Path(name, "; ".join(loop_reasons))
    if forced is not None:
        return Path(forced, f"forced by force_path({forced!r})")
    if use_cudnn is True:
        return Path("fused", "use_cudnn=True")
    platform = platform_of(device)
    for fact in FACTS:
        if (_holds_on(fact.platform, platform) and fact.cell_kind == cell_kind
                and fact.training == training and fact.compute_dtype == compute_dtype
                and batch >= fact.min_batch and units >= fact.min_units
                and timesteps >= fact.min_timesteps
                and not (masked and fact.unmasked_only)):
            return Path(fact.path, fact.measured, fact.float32_kernel, kernel=fact.kernel)
    return Path("fused", f"torch's fused kernel: the fastest measured on {platform} for this call")
