"""Training an LSTM in place: the in-place kernel's forward and a backward through time in its layout.

The step loop trains a standard LSTM (``sigmoid`` gates, ``tanh``) when no fused kernel can:
recurrent dropout while training, ``use_cudnn=False``. :mod:`.bptt` already takes those
gradients by hand, but its forward and backward run on ``(N, H)`` tensors allocated step by
step. This module runs the forward of :mod:`.inplace` (one stacked matmul per step, feature-major
buffers made once, nothing allocated in the loop) and walks time back in the same layout, every
elementwise op writing into a buffer made once. With ``ĥ`` the hidden state as the recurrent
matmul read it and ``dh`` the gradient reaching ``h_t`` (from the outputs and from step
``t+1``), per step, all ``(H, N)``::

    y  = tanh(c_t)
    dz_o = σ'(o) · dh y              dc = dc_{t+1} + tanh'(y) · dh o
    dz_i = σ'(i) · dc g              dz_g = tanh'(g) · dc i          dz_f = σ'(f) · dc c_{t-1}
    dc_t-1 = dc f                    dh_{t-1} = (W_hh^T dz) · m + dy_{t-1}      one matmul

(``σ'`` and ``tanh'`` from the activation's output, the kernels autograd itself runs; ``m`` the
recurrent-dropout mask). The forward keeps ``y = tanh(c_t)`` for this, and ``dz`` follows the
kernel's gate order, so one ``sigmoid_backward`` covers the three sigmoid gates as one
``sigmoid`` made them. ``dz`` is held ``(4H, L, N)``: after the loop, one GEMM over all steps
reads it as it is and gives the stacked weight's gradient ``Σ_t dz_t [x_t ; 1 ; ĥ_{t-1}]^T``
(``dW_ih``, ``db`` and ``dW_hh`` side by side), and one more the inputs' ``dx_t = W_ih^T dz_t``.

For a float32 LSTM with standard activations and no mask (:func:`applies`); the others train on
:mod:`.bptt`. First order only, as :mod:`.bptt`.
"""
from __future__ import annotations

import torch
from torch.autograd.function import once_differentiable

from seqlab.layers.recurrent.bptt import first_order_only
from seqlab.layers.recurrent.inplace import gate_views, in_torch_order, lstm_forward, stacked_weight, torch_gates

Tensor = torch.Tensor
_aten = torch.ops.aten


def applies(cell, mask, compute_dtype: torch.dtype) -> bool:
    """Whether a loop call with gradients can train here (else :mod:`.bptt`)."""
    return (cell.kind == "lstm" and cell.activation is torch.tanh and cell.recurrent_activation is torch.sigmoid
            and mask is None and compute_dtype == torch.float32)


def run_lstm(x: Tensor, states: tuple, weight_ih: Tensor, weight_hh: Tensor, bias: Tensor | None,
             recurrent_mask: Tensor | None = None, return_sequences: bool = True):
    """The LSTM over ``x`` ``(N, L, F)``, with gradients for ``x``, the weights, the bias and
    the initial states.

    Returns:
        ``(outputs, (h_L, c_L))`` as :func:`.loop.run_loop` returns them.

    >>> import torch
    >>> lstm = torch.nn.LSTM(3, 4, batch_first=True)
    >>> x, zeros = torch.randn(2, 5, 3), torch.zeros(2, 4)
    >>> out, _ = run_lstm(x, (zeros, zeros), lstm.weight_ih_l0, lstm.weight_hh_l0, lstm.bias_ih_l0 + lstm.bias_hh_l0)
    >>> out.sum().backward(); tuple(lstm.weight_hh_l0.grad.shape)
    (16, 4)
    """
    if bias is None:
        bias = weight_ih.new_zeros(weight_ih.shape[0])
    outputs, h_last, c_last = _InplaceLSTM.apply(x, weight_ih, weight_hh, bias, states[0], states[1],
                                                 recurrent_mask, return_sequences)
    return outputs, (h_last, c_last)


class _InplaceLSTM(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, weight_ih, weight_hh, bias, h0, c0, recurrent_mask, return_sequences):
        weight = stacked_weight(weight_ih, weight_hh, bias)  # rows in the kernel's gate order
        run = lstm_forward(x, (h0, c0), weight, recurrent_mask, keep_tanh_cells=True)
        ctx.return_sequences = return_sequences
        ctx.features = x.shape[2]
        ctx.set_materialize_grads(False)  # an output nothing used sends None, not a zero tensor
        # Saved (not kept on ctx) so that they are freed after the backward and saved-tensor
        # hooks (save_on_cpu, checkpointing) see them.
        ctx.save_for_backward(weight, run.columns, run.cells, run.tanh_cells, c0, recurrent_mask, *run.gate_buffers)
        hidden = run.hidden.permute(2, 0, 1)  # (N, L, H)
        outputs = hidden.contiguous() if return_sequences else hidden[:, -1].clone()
        return outputs, hidden[:, -1].clone(), run.cells[-1].t().clone()

    @staticmethod
    @first_order_only
    @once_differentiable
    def backward(ctx, d_outputs, d_h_last, d_c_last):
        weight, columns, cells, tanh_cells, c0, mask, *buffers = ctx.saved_tensors
        features = ctx.features
        steps, units, batch = cells.shape
        gates, activations = gate_views(tuple(buffers))
        weight_hh_t = weight[:, features + 1:].t()  # (H, 4H)
        mask = None if mask is None else mask.t()  # (H, N)
        # dy[t]: the gradient reaching h_t from output t, (H, N); None when only the last is output.
        dy = d_outputs.permute(1, 2, 0).unbind(0) if ctx.return_sequences and d_outputs is not None else None
        # dz is (4H, L, N), rows in the kernel's gate order: step t's (4H, N) is a strided view the
        # matmul and the pointwise ops take as they are, and after the loop the whole is already
        # the (4H, L·N) operand of the weight's GEMM (an (L, 4H, N) buffer cost a 1.6 ms
        # transposing copy per call at B64 T50 H128).
        dz_all = cells.new_empty(4 * units, steps, batch)
        dh = cells.new_zeros(units, batch)
        dc = cells.new_zeros(units, batch)
        if d_h_last is not None:
            dh += d_h_last.t()
        if not ctx.return_sequences and d_outputs is not None:
            dh += d_outputs.t()
        if d_c_last is not None:
            dc += d_c_last.t()
        scratch = cells.new_empty(units, batch)
        # Every per-step view made once (unbind), so the loop only calls kernels.
        i_all, f_all, g_all, o_all = (gate.unbind(0) for gate in gates)
        step_cells, step_tanh_cells = cells.unbind(0), tanh_cells.unbind(0)
        c_before = (c0.t(),) + step_cells[:-1]
        dz_steps = dz_all.unbind(1)
        dz_i, dz_f, dz_g, dz_o = torch_gates([block.unbind(1) for block in dz_all.split(units)])
        # The gradient reaching each sigmoid gate's output is first written into its rows of dz;
        # then one sigmoid_backward per sigmoid call of the forward (one for the three gates
        # where they share a block) turns it, in place, into the pre-activation's gradient.
        sigmoid_calls = [(dz_all[rows].unbind(1), outputs.unbind(0)) for rows, activation, outputs in activations
                         if activation is torch.sigmoid]
        for t in range(steps - 1, -1, -1):
            if dy is not None:
                dh += dy[t]
            y = step_tanh_cells[t]
            torch.mul(dh, y, out=dz_o[t])
            dc += _aten.tanh_backward.grad_input(torch.mul(dh, o_all[t], out=scratch), y, grad_input=scratch)
            torch.mul(dc, g_all[t], out=dz_i[t])
            torch.mul(dc, c_before[t], out=dz_f[t])
            for dz, outputs in sigmoid_calls:
                _aten.sigmoid_backward.grad_input(dz[t], outputs[t], grad_input=dz[t])
            _aten.tanh_backward.grad_input(torch.mul(dc, i_all[t], out=dz_g[t]), g_all[t], grad_input=dz_g[t])
            dc *= f_all[t]
            torch.mm(weight_hh_t, dz_steps[t], out=dh)
            if mask is not None:
                dh *= mask
        # Σ_t dz_t [x_t ; 1 ; ĥ_{t-1}]^T: (4H, L·N) @ (L·N, F + 1 + H), one GEMM.
        dz_rows = dz_all.view(4 * units, steps * batch)
        d_weight = in_torch_order(dz_rows @ columns[:steps].transpose(0, 1).reshape(-1, steps * batch).t())
        weight_ih = weight[:, :features]
        d_x = (weight_ih.t() @ dz_rows).view(features, steps, batch).permute(2, 1, 0)  # (N, L, F)
        return (d_x, d_weight[:, :features], d_weight[:, features + 1:], d_weight[:, features],
                dh.t(), dc.t(), None, None)  # dh, dc: what reaches h_0 (its dropout mask applied), c_0
