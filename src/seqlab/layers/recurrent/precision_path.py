"""Which fused kernel dtype a recurrent layer of a mixed policy runs, from measured facts.

Under ``torch.autocast("cpu", dtype=torch.bfloat16)`` torch runs ``_VF.lstm`` as one bfloat16
oneDNN kernel (fast on AMX), but does not autocast ``_VF.gru``: it falls back to one
``gru_cell`` per timestep, each cast to bfloat16, which is no faster than float32 (PERF_NOTES:
0.8x training at 2 threads). Given bfloat16 tensors explicitly, ``_VF.gru`` is faster. So a
mixed GRU on the CPU runs the fused kernel with its inputs and weights cast explicitly, outside
autocast, to the dtype chosen here.

The path chooser (:mod:`.paths`) decides first: where its measured facts say a low-precision
kernel is slower, the call leaves low precision (``Path.float32_kernel``); otherwise this table
says which low-precision dtype the kernel runs in. (GRU inference on a CPU with AMX is decided
before this table: there :mod:`.paths` picks seqlab's own bfloat16 kernel, :mod:`.gru_inference`,
measured 1.35x-4.9x raw torch's float32 GRU against torch's bfloat16 kernel's 0.95x-1.8x.)
"""
from __future__ import annotations

import torch

# Measured on the development machine (2-core Xeon, AVX-512 + AMX-bf16, torch 2.13.0 CPU, shared
# with other jobs: this process's CPU time, 1 thread, median of 3 interleaved rounds), B64 T50
# F8 H128, throughput as a ratio to raw torch's fused float32 kernel in the same run
# (`python benchmarks/bench_mixed_precision.py --rounds 3 --iterations 2 --threads 1`):
#                          GRU train  GRU inference  LSTM train  LSTM inference
#   fused fp32 (cast)        1.03x        1.03x          -             -
#   fused under autocast     0.96x        1.20x        1.95x         1.85x
#   fused, bf16 cast         1.04x        1.33x        2.02x         1.86x
#   step loop, autocast      0.89x        1.14x        0.50x         0.59x
# So: the GRU's fused kernel on bfloat16 copies; the LSTM's under autocast (as fast as the cast,
# and no copy of the weights to keep). SimpleRNN's kernels were not measured: float32, never
# slower than a float32 layer.
_CPU_FUSED_DTYPE = {"lstm": None, "gru": torch.bfloat16, "rnn_tanh": torch.float32, "rnn_relu": torch.float32}


def fused_dtype(kernel: str, compute_dtype: torch.dtype, device_type: str) -> torch.dtype | None:
    """The dtype a mixed layer (computing in ``compute_dtype``) runs its fused ``kernel`` in,
    cast explicitly outside autocast; None: run it under the layer's autocast as it is (torch
    has a fast kernel in ``compute_dtype``)."""
    if device_type != "cpu" or compute_dtype != torch.bfloat16:
        return None  # cuDNN has half-precision kernels for all four
    return _CPU_FUSED_DTYPE[kernel]
