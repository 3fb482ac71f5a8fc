"""seqlab's own GRU inference kernel: one matmul and five in-place pointwise ops per timestep.

It computes exactly the GRU of :mod:`.cells` (Keras 3's ``reset_after=True``, torch's ``nn.GRU``)
with ``sigmoid`` / ``tanh``, for inference (no gradients) and without a mask, arranged for the
CPU's bfloat16 units. Why it exists: torch's fused GRU in bfloat16 runs inference at only about
1.3x its float32 kernel on an AMX CPU, and profiling both showed where the time goes
(``torch.profiler``, B1024 T50 F8 H128, 1 thread, 2026-12-07): the bfloat16 recurrent matmul
is ~9 ms of a ~130 ms call, the rest is pointwise work, fresh allocations and the input
projection (a K=8 matmul whose 40-80 MB output costs more in page faults than in arithmetic).
This kernel removes those costs:

* the input projection, both biases and the recurrent matmul are **one** matmul per step:
  each row of a small buffer holds ``[x_t | 1 | h]`` and the stacked weight maps it to
  ``[x_r + h W_hr + b_r | x_z + h W_hz + b_z | x_n + b_in | h W_hn + b_hn]`` (bfloat16 on AMX,
  accumulated in float32), so no ``(N, L, 3H)`` projection is ever materialised;
* the pointwise work writes into buffers made once per call, and the new state is written
  straight into the buffer's ``h`` columns that the next step's matmul reads;
* ``tanh`` runs in float32 (torch 2.13's bfloat16 ``tanh`` is ~4x slower than converting,
  computing in float32 and converting back: 214 us against 59 us at 1024x128).

The weights are cast and stacked once per call. Equations (torch's gate order r, z, n)::

    r = σ(x W_ir + b_ir + h W_hr + b_hr)      z = σ(x W_iz + b_iz + h W_hz + b_hz)
    n = tanh(x W_in + b_in + r * (h W_hn + b_hn))
    h' = z * h + (1 - z) * n                   (= lerp(n, h, z))

In float32 it agrees with torch's fused kernel to 1e-5 (tested), which is how the arrangement
is checked to be the same maths. Which calls run it is decided by the measured facts of
:mod:`.paths` (``Path.kernel == 'seqlab'``).
"""
from __future__ import annotations

import torch

Tensor = torch.Tensor


def stacked_weight(params: list[Tensor], features: int, units: int, dtype: torch.dtype) -> Tensor:
    """``(features + 1 + units, 4 * units)``: the weight that maps a row ``[x_t | 1 | h]`` to
    ``[pre_r | pre_z | x_n + b_in | h W_hn + b_hn]`` (see the module's equations).

    Args:
        params: ``[weight_ih, weight_hh]`` plus ``[bias_ih, bias_hh]``, torch's layout and order.
    """
    weight_ih, weight_hh = params[0], params[1]
    two = 2 * units
    stacked = weight_ih.new_zeros(features + 1 + units, 4 * units)
    stacked[:features, :3 * units] = weight_ih.t()
    stacked[features + 1:, :two] = weight_hh[:two].t()
    stacked[features + 1:, 3 * units:] = weight_hh[two:].t()
    if len(params) == 4:
        bias_ih, bias_hh = params[2], params[3]
        stacked[features, :two] = bias_ih[:two] + bias_hh[:two]
        stacked[features, two:3 * units] = bias_ih[two:]
        stacked[features, 3 * units:] = bias_hh[two:]
    return stacked.to(dtype)


def run_gru_inference(x: Tensor, h0: Tensor, params: list[Tensor], *,
                      return_sequences: bool = True) -> tuple[Tensor, tuple[Tensor]]:
    """Run a GRU over ``x`` without gradients, in ``x``'s dtype.

    Args:
        x: ``(N, L, F)`` inputs, batch first, in the compute dtype (bfloat16 or float32).
        h0: ``(N, H)`` initial state.
        params: ``[weight_ih, weight_hh]`` plus ``[bias_ih, bias_hh]`` (torch's layout, any
            float dtype: cast once here).
        return_sequences: return ``(N, L, H)`` or only the last output ``(N, H)``.

    Returns:
        ``(outputs, (h_L,))`` as :func:`seqlab.layers.recurrent.fused.run_fused` returns them.

    >>> import torch
    >>> gru = torch.nn.GRU(3, 4, batch_first=True)
    >>> x = torch.randn(2, 5, 3)
    >>> with torch.no_grad():
    ...     out, (h,) = run_gru_inference(x, torch.zeros(2, 4), list(gru._flat_weights))
    ...     torch.allclose(out, gru(x)[0], atol=1e-5)
    True
    """
    batch, steps, features = x.shape
    units = h0.shape[1]
    dtype = x.dtype
    with torch.no_grad(), torch.autocast(x.device.type, enabled=False):
        weight = stacked_weight(params, features, units, dtype)
        rows = x.new_empty(batch, features + 1 + units)  # [x_t | 1 | h]
        rows[:, features] = 1
        h = rows[:, features + 1:]
        h.copy_(h0)
        gates = x.new_empty(batch, 4 * units)
        r, z, x_n, h_n = gates.split(units, dim=1)
        r_and_z = gates[:, :2 * units]
        n = x.new_empty(batch, units)
        wide = None if dtype == torch.float32 else x.new_empty(batch, units, dtype=torch.float32)
        outputs = x.new_empty(batch, steps, units) if return_sequences else None
        for t in range(steps):
            rows[:, :features] = x[:, t]
            torch.mm(rows, weight, out=gates)
            torch.sigmoid(r_and_z, out=r_and_z)
            torch.addcmul(x_n, r, h_n, out=n)
            if wide is None:
                torch.tanh(n, out=n)
            else:  # see the module's docstring: float32 tanh is the fast one
                wide.copy_(n)
                torch.tanh(wide, out=wide)
                n.copy_(wide)
            torch.lerp(n, h, z, out=h)  # z * h + (1 - z) * n, written where the next step reads h
            if outputs is not None:
                outputs[:, t] = h
        final = h.clone()
    return (outputs if return_sequences else final), (final,)
