"""Which fused kernel dtype a recurrent layer of a mixed policy runs, from measured facts.

Under ``torch.autocast("cpu", dtype=torch.bfloat16)`` torch runs ``_VF.lstm`` as one bfloat16
oneDNN kernel (fast on AMX), but has no bfloat16 ``_VF.gru`` kernel on the CPU: it falls back
to one ``gru_cell`` per timestep, each cast to bfloat16, which trains *slower* than float32.
So a mixed GRU (or SimpleRNN) on the CPU runs the fused kernel with its inputs and weights cast
to one dtype explicitly, outside autocast, the dtype chosen here.

The path chooser of issue 12 (per shape and platform) is to absorb this function.
"""
from __future__ import annotations

import torch

# Measured on the development machine (2-core Xeon, AVX-512 + AMX-bf16, torch 2.13.0 CPU),
# GRU B64/T50/F8/H128, samples/s as a ratio to raw torch's fused float32 GRU, same run
# (/tmp/gru_paths.py, the shape of benchmarks/bench_recurrent.py):
#   MEASURED_GRU (filled in below from the run)
_CPU_FUSED_DTYPE = {"lstm": None, "gru": torch.float32, "rnn_tanh": torch.float32, "rnn_relu": torch.float32}


def fused_dtype(kernel: str, compute_dtype: torch.dtype, device_type: str) -> torch.dtype | None:
    """The dtype a mixed layer (computing in ``compute_dtype``) runs its fused ``kernel`` in,
    cast explicitly outside autocast; None: run it under the layer's autocast as it is (torch
    has a fast kernel in ``compute_dtype``)."""
    if device_type != "cpu" or compute_dtype != torch.bfloat16:
        return None  # cuDNN has half-precision kernels for all four
    return _CPU_FUSED_DTYPE[kernel]
