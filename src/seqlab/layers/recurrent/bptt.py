"""Backpropagation through time written by hand: the step loop's gradients without a graph.

Autograd through the step loop records one node per elementwise op per timestep, and on a CPU
that bookkeeping, not the arithmetic, is most of a training step. Here the forward runs the
same loop (:func:`.loop.run_loop`, the maths of :mod:`.cells`, written once) without a graph,
keeping every step's gates and states; the backward walks time in reverse with a few
elementwise ops and one recurrent matmul per step, then takes each weight gradient as one GEMM
over all timesteps. It returns the gradient of the projected input ``x_proj``, so the input
projection before the loop keeps its own autograd (``dW_ih``, ``db_ih``).

Notation, per timestep (``'`` marks a derivative, written in terms of the activation's
*output*, see :data:`GRADIENTS`; ``ĥ = h_{t-1} * m`` is the previous state as the recurrent
matmul sees it, ``m`` the recurrent-dropout mask; ``dh`` is the gradient reaching ``h_t``
from the outputs and from step ``t+1``)::

    LSTM (z = x + ĥ W^T; i, f, g, o = σ(z_i), σ(z_f), tanh(z_g), σ(z_o); y = tanh(c_t)):
        dc      = dc_{t+1} f_{t+1} + dh o tanh'(y)
        dz      = [dc g σ'(i), dc c_{t-1} σ'(f), dc i tanh'(g), dh y σ'(o)]
        dh_{t-1} += (dz W) * m                                   one matmul per step

    GRU, reset_after (a = ĥ W^T + b_hh; r, z = σ(x_r + a_r), σ(x_z + a_z); n = tanh(x_n + r a_n)):
        dn~ = dh (1 - z) tanh'(n)     dr~ = dn~ a_n σ'(r)     dz~ = dh (h_{t-1} - n) σ'(z)
        dx  = [dr~, dz~, dn~]         da  = [dr~, dz~, dn~ r]
        dh_{t-1} += dh z + (da W) * m                            one matmul per step

    GRU, reset_before (Keras 2: n = tanh(x_n + (r ĥ) W_n^T)):
        dn~ = dh (1 - z) tanh'(n)     q = dn~ W_n     dr~ = q ĥ σ'(r)     dz~ as above
        dh_{t-1} += dh z + ([dr~, dz~] W_rz + q r) * m           two matmuls per step (r gates W_n's input)

    SimpleRNN (h_t = tanh(x + ĥ W^T)):
        dx = dh tanh'(h_t)            dh_{t-1} += (dx W) * m

and after the loop, over all timesteps at once: ``dW = Σ_t da_t^T ĥ_t`` (LSTM/SimpleRNN:
``da = dx``; reset_before: ``[dr~, dz~]^T ĥ`` and ``dn~^T (r ĥ)``), ``db_hh = Σ_t da_t``.

Masks (Keras): a masked step carries the states over and repeats the previous output, so its
gradient passes to ``h_{t-1}``/``c_{t-1}`` unchanged and nothing reaches its gates; the output
at step ``t`` is ``h_t`` where some step ``<= t`` counted (``zero_output_for_mask``: where step
``t`` counted), else zeros.

The reverse loop reads each step's gates and states as the forward left them, one step at a
time while they are small enough to stay in cache. Computing the coefficients above for all
timesteps at once before the loop was tried and measured slower on the development CPU: each
pass over an ``(N, L, 4H)`` tensor is bound by memory bandwidth, and a few small ops per step
cost less than it. What the forward did not keep is recomputed: the LSTM's ``tanh(c_t)`` (one
small op per step) and the GRU's ``a_n`` (one GEMM over all steps).

Mixed precision: forward and backward run under the same autocast state
(``torch.amp.custom_fwd``/``custom_bwd``). Double backward (``create_graph=True``) and
``torch.func`` transforms are not supported: a backward recording a graph raises a
``RuntimeError`` saying so (a second derivative would otherwise silently miss this layer's
part); the autograd loop (:func:`autograd_loop`) supports both.
"""
from __future__ import annotations

import contextlib
import contextvars
from dataclasses import dataclass
from typing import Callable

import torch
from torch.autograd.function import once_differentiable

from seqlab import activations
from seqlab.layers.recurrent.cells import Cell
from seqlab.layers.recurrent.loop import StepRecord, run_loop

Tensor = torch.Tensor


def _hard_sigmoid_gradient(grad, y):
    # Keras 3: relu6(x + 3) / 6, slope 1/6 strictly inside (0, 1), as torch's relu6 backward.
    return grad * ((y > 0) & (y < 1)).to(grad.dtype) / 6.0


_SELU_SCALE, _SELU_ALPHA = 1.0507009873554805, 1.6732632423543772  # torch's selu constants
_aten = torch.ops.aten

# For each activation y = f(x): the gradient of its input from the gradient of its output and
# y itself (what the forward kept), ``grad * f'(x)``. tanh and sigmoid use the one-kernel
# derivatives autograd itself runs. An activation not here (gelu, softplus, swish, a user's
# function) trains on the autograd loop.
GRADIENTS: dict[Callable, Callable[[Tensor, Tensor], Tensor]] = {
    activations.get("tanh"): _aten.tanh_backward,  # grad * (1 - y^2)
    activations.get("sigmoid"): _aten.sigmoid_backward,  # grad * y (1 - y)
    activations.get("relu"): lambda grad, y: _aten.threshold_backward(grad, y, 0),  # grad * (y > 0)
    activations.get("linear"): lambda grad, y: grad,
    activations.get("hard_sigmoid"): _hard_sigmoid_gradient,
    activations.get("exponential"): lambda grad, y: grad * y,
    activations.get("softsign"): lambda grad, y: grad * (1.0 - y.abs()).square(),  # 1 / (1 + |x|)^2
    # elu / selu: f'(x) = scale where y > 0, else y + alpha * scale
    activations.get("elu"): lambda grad, y: _aten.elu_backward(grad, 1.0, 1.0, 1.0, True, y),
    activations.get("selu"): lambda grad, y: _aten.elu_backward(grad, _SELU_ALPHA, _SELU_SCALE, 1.0, True, y),
}

_autograd_forced: contextvars.ContextVar[bool] = contextvars.ContextVar("seqlab_autograd_loop", default=False)


@contextlib.contextmanager
def autograd_loop():
    """Inside the block, the step loop's gradients come from autograd through every op (the
    loop as it was before this module), e.g. to compare gradients or time the two.

    >>> import torch, seqlab
    >>> layer = seqlab.layers.LSTM(3, activation="relu")
    >>> with autograd_loop():
    ...     layer(torch.ones(2, 4, 1)).sum().backward()
    >>> layer.path.backward
    'autograd: forced by bptt.autograd_loop()'
    """
    token = _autograd_forced.set(True)
    try:
        yield
    finally:
        _autograd_forced.reset(token)


def unsupported(cell: Cell) -> str | None:
    """Why ``cell``'s gradients cannot be taken by hand here (None: they can)."""
    if _autograd_forced.get():
        return "forced by bptt.autograd_loop()"
    if cell.kind not in _BACKWARDS:
        return f"the {cell.kind} cell has no hand-written backward"
    for fn in (cell.activation, cell.recurrent_activation):
        if fn is not None and fn not in GRADIENTS:
            return (f"activation {activations.serialize(fn)!r} has no derivative written in terms "
                    f"of its output (those of {sorted(activations.serialize(f) for f in GRADIENTS)})")
    return None


@dataclass(frozen=True)
class _Settings:
    cell: Cell
    return_sequences: bool
    zero_output_for_mask: bool


def run_sequence(cell: Cell, x_proj: Tensor, states: tuple, weight_hh: Tensor,
                 bias_hh: Tensor | None = None, *, mask: Tensor | None = None,
                 recurrent_mask: Tensor | None = None, return_sequences: bool = True,
                 zero_output_for_mask: bool = False):
    """:func:`.loop.run_loop`'s numbers, with gradients from the hand-written backward.

    Same arguments and result as ``run_loop`` (``x_proj`` ``(N, L, G*H)``, states ``(N, H)``,
    ``weight_hh`` ``(G*H, H)``); only for a cell where :func:`unsupported` is None.

    >>> import torch
    >>> from seqlab.layers.recurrent.cells import rnn_cell
    >>> x = torch.randn(2, 3, 4, requires_grad=True)
    >>> out, (h,) = run_sequence(rnn_cell(torch.tanh), x, (torch.zeros(2, 4),), torch.eye(4))
    >>> out.sum().backward(); tuple(x.grad.shape)
    (2, 3, 4)
    """
    function = _function_for(x_proj.device.type)
    settings = _Settings(cell, return_sequences, zero_output_for_mask)
    outputs, *finals = function.apply(settings, x_proj, weight_hh, bias_hh, mask, recurrent_mask, *states)
    return outputs, tuple(finals)


_FUNCTIONS: dict[str, type] = {}


def _function_for(device_type: str) -> type:
    # custom_fwd/custom_bwd name their device type when decorating: one Function per type.
    function = _FUNCTIONS.get(device_type)
    if function is None:
        class StepLoopBPTT(torch.autograd.Function):
            forward = staticmethod(torch.amp.custom_fwd(_forward, device_type=device_type))
            backward = staticmethod(first_order_only(once_differentiable(
                torch.amp.custom_bwd(_backward, device_type=device_type))))

        function = _FUNCTIONS[device_type] = StepLoopBPTT
    return function


def first_order_only(backward):
    # once_differentiable alone only refuses a double backward when the incoming gradients
    # require grad; `torch.autograd.grad(..., create_graph=True)` of a loss does not, and would
    # silently get a second derivative without this layer's part. Grad mode is on in a backward
    # exactly when the graph of the backward is being recorded.
    def checked(ctx, *grads):
        if torch.is_grad_enabled():
            raise RuntimeError(
                "seqlab's step loop computes its gradients by a hand-written backward, which cannot "
                "be differentiated again (create_graph=True); run the model inside "
                "seqlab.layers.recurrent.bptt.autograd_loop() for higher-order gradients")
        return backward(ctx, *grads)

    return checked


def _forward(ctx, settings: _Settings, x_proj, weight_hh, bias_hh, mask, recurrent_mask, *states):
    record = StepRecord(keep_steps=True)  # grad mode is off in here: no graph, only what backward reads
    outputs, finals = run_loop(settings.cell, x_proj, states, weight_hh, bias_hh, mask=mask,
                               recurrent_mask=recurrent_mask, return_sequences=settings.return_sequences,
                               zero_output_for_mask=settings.zero_output_for_mask, record=record)
    # Every step's gates and states as the loop made them (no stacking: the reverse loop reads
    # them one step at a time, while they still fit in cache).
    ctx.settings, ctx.counts = settings, (len(states), len(record.gates[0]))
    ctx.save_for_backward(weight_hh, bias_hh, mask, recurrent_mask, *states,
                          *(g for gates in record.gates for g in gates),
                          *(s for after in record.states for s in after))
    if outputs is finals[0]:  # the last output is the final state: two outputs, two tensors
        outputs = outputs.clone()
    return (outputs, *finals)


@dataclass
class _Run:
    """What the forward kept, for the reverse loop.

    ``gates[t]`` follows ``cell.gate_names``; ``before[t]`` / ``after[t]`` are the carried
    states step ``t`` started from / ended with (each ``(N, H)``); ``h_in`` ``(N, L, H)`` is
    the previous hidden state as the recurrent matmul saw it (dropout applied), for the weight
    gradients; ``keep[t]`` ``(N, 1)`` is True where step ``t`` counted (None: every step did).
    """

    cell: Cell
    gates: list
    before: list
    after: list
    h_in: Tensor
    keep: tuple | None
    recurrent_mask: Tensor | None
    bias_hh: Tensor | None
    d_act: Callable
    d_rec: Callable | None


def _backward(ctx, d_outputs, *d_finals):
    settings = ctx.settings
    num_states, num_gates = ctx.counts
    weight_hh, bias_hh, mask, recurrent_mask, *rest = ctx.saved_tensors
    initial, rest = tuple(rest[:num_states]), rest[num_states:]
    steps = len(rest) // (num_gates + num_states)
    gates = [tuple(rest[t * num_gates:(t + 1) * num_gates]) for t in range(steps)]
    rest = rest[steps * num_gates:]
    after = [tuple(rest[t * num_states:(t + 1) * num_states]) for t in range(steps)]
    before = [initial, *after[:-1]]
    h_in = torch.stack([s[0] for s in before], dim=1)  # (N, L, H)
    if recurrent_mask is not None:
        h_in = h_in * recurrent_mask.unsqueeze(1)
    keep = None if mask is None else mask.unsqueeze(-1).unbind(1)
    cell = settings.cell
    d_rec = None if cell.recurrent_activation is None else GRADIENTS[cell.recurrent_activation]
    run = _Run(cell, gates, before, after, h_in, keep, recurrent_mask, bias_hh, GRADIENTS[cell.activation], d_rec)
    dy = _output_gradients(settings, d_outputs, mask, steps)
    d_x, d_weight, d_bias, d_initial = _BACKWARDS[cell.kind](run, weight_hh, dy, list(d_finals))
    return (None, d_x, d_weight, d_bias, None, None, *d_initial)


def _output_gradients(settings: _Settings, d_outputs, mask, steps):
    """``dy[t]`` ``(N, H)``: the gradient reaching the state ``h_t`` from the outputs (None: none).

    The output at step ``t`` is ``h_t`` times a 0/1 visibility: 1 where step ``t`` counted
    (``zero_output_for_mask``) or where any step up to ``t`` did (a masked step repeats the
    previous output, which is the carried state), else 0 (zeros before the first step)."""
    if settings.return_sequences:
        dy = d_outputs  # (N, L, H)
    else:
        dy = [None] * (steps - 1) + [d_outputs]
    if mask is None:
        return dy.unbind(1) if settings.return_sequences else dy
    visible = mask if settings.zero_output_for_mask else mask.cumsum(dim=1) > 0  # (N, L)
    if settings.return_sequences:
        return (dy * visible.unsqueeze(-1)).unbind(1)
    return dy[:-1] + [d_outputs * visible[:, -1:]]


def _split(run: _Run, t, grads):
    """Each of ``grads`` (reaching step ``t``'s states) as (what reaches the step's
    computation, what a masked step hands back unchanged to step ``t-1``, or None)."""
    if run.keep is None:
        return [(g, None) for g in grads]
    keep = run.keep[t]
    return [(g * keep, g * ~keep) for g in grads]


def _hand_back(run: _Run, t, dy, recurrent, passed, direct=None):
    """``dh_{t-1}``: the output gradient of step ``t-1``, the recurrent matmul's gradient
    ``(N, H)`` (before the dropout mask), a direct path (GRU's ``dh z``) and what a masked step
    passes."""
    m = run.recurrent_mask
    dh = recurrent if m is None else recurrent * m
    for part in (direct, passed, dy[t - 1] if t > 0 else None):
        if part is not None:
            dh = dh + part
    return dh


def _weight_gradient(da, h_in):
    """``Σ_t da_t^T ĥ_t``: ``(N, L, G*H)`` by ``(N, L, H)`` -> ``(G*H, H)``, one GEMM."""
    return da.flatten(0, 1).t() @ h_in.flatten(0, 1)


def _start(dy, d_finals):
    """The gradients reaching the last step's states: the final states' and the last output's."""
    if dy[-1] is not None:
        d_finals[0] = d_finals[0] + dy[-1]
    return d_finals


def _lstm_backward(run: _Run, weight_hh, dy, d_finals):
    cell, d_act, d_rec = run.cell, run.d_act, run.d_rec
    dh, dc = _start(dy, d_finals)
    dz = []
    for t in range(len(run.gates) - 1, -1, -1):
        i, f, g, o = run.gates[t]
        (_, c), (_, c_before) = run.after[t], run.before[t]
        (dh, dh_passed), (dc, dc_passed) = _split(run, t, (dh, dc))
        y = cell.activation(c)  # tanh(c_t), recomputed: one small op
        dc = torch.addcmul(dc, d_act(dh, y), o)  # d_act is linear in its gradient: o moves out
        dz_t = torch.cat([d_rec(dc * g, i), d_rec(dc * c_before, f), d_act(dc * i, g), d_rec(dh * y, o)], dim=1)
        dz.append(dz_t)  # (N, 4H)
        dc = dc * f if dc_passed is None else torch.addcmul(dc_passed, dc, f)
        dh = _hand_back(run, t, dy, dz_t @ weight_hh, dh_passed)
    dz = torch.stack(dz[::-1], dim=1)  # (N, L, 4H)
    return dz, _weight_gradient(dz, run.h_in), None, (dh, dc)


def _gru_backward(run: _Run, weight_hh, dy, d_finals):
    d_act, d_rec = run.d_act, run.d_rec
    units = weight_hh.shape[1]
    # The candidate's recurrent term a_n was not kept: one GEMM over all steps gives it back.
    bias_n = None if run.bias_hh is None else run.bias_hh[2 * units:]
    a_n = torch.nn.functional.linear(run.h_in, weight_hh[2 * units:], bias_n).unbind(1)
    (dh,) = _start(dy, d_finals)
    dx, da = [], []
    for t in range(len(run.gates) - 1, -1, -1):
        z, r, n = run.gates[t]
        ((dh, dh_passed),) = _split(run, t, (dh,))
        dh_z = dh * z  # the direct path to h_{t-1}; dh (1 - z) = dh - dh_z reaches n
        dn = d_act(dh - dh_z, n)
        dr = d_rec(dn * a_n[t], r)
        dz = d_rec(dh * (run.before[t][0] - n), z)
        dx.append(torch.cat([dr, dz, dn], dim=1))  # (N, 3H)
        da_t = torch.cat([dr, dz, dn * r], dim=1)
        da.append(da_t)
        dh = _hand_back(run, t, dy, da_t @ weight_hh, dh_passed, direct=dh_z)
    dx, da = torch.stack(dx[::-1], dim=1), torch.stack(da[::-1], dim=1)
    d_bias = None if run.bias_hh is None else da.sum(dim=(0, 1))
    return dx, _weight_gradient(da, run.h_in), d_bias, (dh,)


def _gru_reset_before_backward(run: _Run, weight_hh, dy, d_finals):
    d_act, d_rec = run.d_act, run.d_rec
    units = weight_hh.shape[1]
    w_rz, w_n = weight_hh[:2 * units], weight_hh[2 * units:]
    h_in = run.h_in.unbind(1)
    (dh,) = _start(dy, d_finals)
    d_rz, d_n, r_all = [], [], []
    for t in range(len(run.gates) - 1, -1, -1):
        z, r, n = run.gates[t]
        ((dh, dh_passed),) = _split(run, t, (dh,))
        dh_z = dh * z
        dn = d_act(dh - dh_z, n)
        q = dn @ w_n  # gradient of r ĥ, (N, H)
        d_rz_t = torch.cat([d_rec(q * h_in[t], r), d_rec(dh * (run.before[t][0] - n), z)], dim=1)
        d_rz.append(d_rz_t)
        d_n.append(dn)
        r_all.append(r)
        dh = _hand_back(run, t, dy, torch.addcmul(d_rz_t @ w_rz, q, r), dh_passed, direct=dh_z)
    d_rz, d_n = torch.stack(d_rz[::-1], dim=1), torch.stack(d_n[::-1], dim=1)
    r_h_in = torch.stack(r_all[::-1], dim=1) * run.h_in  # (N, L, H), W_n's input
    d_weight = torch.cat([_weight_gradient(d_rz, run.h_in), _weight_gradient(d_n, r_h_in)])
    return torch.cat([d_rz, d_n], dim=2), d_weight, None, (dh,)


def _rnn_backward(run: _Run, weight_hh, dy, d_finals):
    (dh,) = _start(dy, d_finals)
    dx = []
    for t in range(len(run.gates) - 1, -1, -1):
        ((dh, dh_passed),) = _split(run, t, (dh,))
        dx_t = run.d_act(dh, run.after[t][0])
        dx.append(dx_t)
        dh = _hand_back(run, t, dy, dx_t @ weight_hh, dh_passed)
    dx = torch.stack(dx[::-1], dim=1)
    return dx, _weight_gradient(dx, run.h_in), None, (dh,)


_BACKWARDS = {"lstm": _lstm_backward, "gru": _gru_backward, "gru_reset_before": _gru_reset_before_backward,
              "rnn": _rnn_backward}
