"""The fused execution path: the same weights run by torch's recurrent kernels.

``torch._VF.lstm/gru/rnn_tanh/rnn_relu`` are the kernels behind ``torch.nn.LSTM/GRU/RNN``
(oneDNN on CPU where available, cuDNN on GPU). They compute exactly the equations of
:mod:`seqlab.layers.recurrent.cells` with the standard activations, so a layer whose settings
allow it runs here, and the step loop gives the same numbers for the same weights.

Masks follow Keras's semantics for *any* mask, not only right padding: each sequence's
unmasked timesteps are gathered to the front (skipping a timestep is exactly what a masked
step does to the state), run as a packed batch, and the outputs are put back in place, a
masked step repeating the previous output.
"""
from __future__ import annotations

import torch
from torch.nn.utils.rnn import PackedSequence, pack_padded_sequence, pad_packed_sequence

Tensor = torch.Tensor

_KERNELS = {"lstm": torch._VF.lstm, "gru": torch._VF.gru, "rnn_tanh": torch._VF.rnn_tanh,
            "rnn_relu": torch._VF.rnn_relu}


def kernel_name(kind: str, activation, recurrent_activation) -> str | None:
    """The fused kernel for a cell with these activations, or None when there is none."""
    if kind in ("lstm", "gru"):
        if activation is torch.tanh and recurrent_activation is torch.sigmoid:
            return kind
        return None
    if kind != "rnn":  # e.g. Keras 2's reset-before GRU: no fused kernel computes it
        return None
    if activation is torch.tanh:
        return "rnn_tanh"
    if activation is torch.relu:
        return "rnn_relu"
    return None


# torch.compile cannot trace the CPU kernels' training form (dynamo fails on
# aten.mkldnn_rnn_layer, torch 2.13): under a compile, run_fused calls this eager copy (made by
# exclude_from_compile, not at import: torch.compiler.disable imports torch._dynamo, seconds).
_eager_copy = None


def exclude_from_compile() -> None:
    """Make ``torch.compile`` run the fused kernels eagerly (the rest of a model compiled);
    called before compiling a model that may hold recurrent layers."""
    global _eager_copy
    if _eager_copy is None:
        _eager_copy = torch.compiler.disable(_run)


def run_fused(*args, **kwargs):
    """See :func:`_run` (this entry point keeps the kernels out of ``torch.compile``)."""
    if _eager_copy is not None and torch.compiler.is_compiling():
        return _eager_copy(*args, **kwargs)
    return _run(*args, **kwargs)


def _run(kernel: str, x: Tensor, states: tuple, params: list[Tensor], *,
              mask: Tensor | None = None, return_sequences: bool = True,
              zero_output_for_mask: bool = False, train: bool = True):
    """Run one layer on a fused kernel.

    Args:
        kernel: a name from :func:`kernel_name`.
        x: ``(N, L, F)`` inputs (batch first).
        states: initial states, each ``(N, H)``.
        params: ``[weight_ih, weight_hh]`` plus ``[bias_ih, bias_hh]`` when the layer has biases.
        mask: ``(N, L)`` booleans or None.
        return_sequences: return ``(N, L, H)`` or only the last output ``(N, H)``.
        zero_output_for_mask: output zeros at masked steps instead of repeating.
        train: whether the kernel should keep what its backward needs.

    Returns:
        ``(outputs, final_states)`` exactly as :func:`seqlab.layers.recurrent.loop.run_loop`.
    """
    fn = _KERNELS[kernel]
    has_biases = len(params) == 4
    hx = tuple(s.unsqueeze(0).contiguous() for s in states)  # cuDNN refuses strided states
    hx = hx if kernel == "lstm" else hx[0]
    if mask is None:
        result = fn(x, hx, params, has_biases, 1, 0.0, train, False, True)
        finals = tuple(s[0] for s in result[1:])
        outputs = result[0] if return_sequences else finals[0]
        return outputs, finals
    return _run_masked(fn, kernel, x, states, params, has_biases, mask, return_sequences,
                       zero_output_for_mask, train)


def _run_masked(fn, kernel, x, states, params, has_biases, mask, return_sequences,
                zero_output_for_mask, train):
    batch, steps, features = x.shape
    lengths = mask.sum(dim=1)  # (N,)
    # Unmasked timesteps first, in their order: a stable sort of "is masked".
    order = torch.argsort((~mask).to(torch.uint8), dim=1, stable=True)
    compact = x.gather(1, order.unsqueeze(-1).expand(batch, steps, features))
    # A fully masked sequence runs one throw-away step (packing needs length >= 1); its
    # outputs and states are replaced below by zeros and its initial state.
    packed = pack_padded_sequence(compact, lengths.clamp(min=1).cpu(), batch_first=True,
                                  enforce_sorted=False)
    hx = tuple(s.index_select(0, packed.sorted_indices).unsqueeze(0) for s in states)
    hx = hx if kernel == "lstm" else hx[0]
    result = fn(packed.data, packed.batch_sizes, hx, params, has_biases, 1, 0.0, train, False)
    unpacked = PackedSequence(result[0], packed.batch_sizes, packed.sorted_indices,
                              packed.unsorted_indices)
    compact_out, _ = pad_packed_sequence(unpacked, batch_first=True, total_length=steps)
    empty = (lengths == 0).unsqueeze(1)
    finals = tuple(torch.where(empty, s0, s[0].index_select(0, packed.unsorted_indices))
                   for s0, s in zip(states, result[1:]))
    # Output at step t is the output after the last unmasked step <= t (zeros before any).
    units = compact_out.shape[-1]
    padded = torch.cat([compact_out.new_zeros(batch, 1, units), compact_out], dim=1)
    seen = mask.cumsum(dim=1)  # (N, L) unmasked steps so far
    outputs = padded.gather(1, seen.unsqueeze(-1).expand(batch, steps, units))
    if zero_output_for_mask:
        outputs = torch.where(mask.unsqueeze(-1), outputs, outputs.new_zeros(()))
    return (outputs if return_sequences else outputs[:, -1]), finals
