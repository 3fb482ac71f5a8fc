"""``GRU`` in Keras 3's ``reset_after=True`` form (and Keras 2's ``CuDNNGRU`` name for it)."""
from __future__ import annotations

from seqlab.checks import check_bool
from seqlab.layers.recurrent.cells import gru_cell
from seqlab.layers.recurrent.layer import RecurrentLayer


class GRU(RecurrentLayer):
    """Gated Recurrent Unit (Cho et al. 2014), Keras 3's default ``reset_after=True`` variant,
    or Keras 2's ``reset_after=False``.

    At each timestep, with ``σ`` = ``recurrent_activation`` and ``tanh`` = ``activation``::

        z_t = σ(x_t W_z + b_z + h_{t-1} U_z + b'_z)             update gate
        r_t = σ(x_t W_r + b_r + h_{t-1} U_r + b'_r)             reset gate
        n_t = tanh(x_t W_h + b_h + r_t * (h_{t-1} U_h + b'_h))  candidate
        h_t = z_t * h_{t-1} + (1 - z_t) * n_t                   hidden state = output

    Weights follow Keras 3: ``kernel`` ``(F, 3H)``, ``recurrent_kernel`` ``(H, 3H)`` in the
    order z, r, h, and ``bias`` ``(2, 3H)`` (input bias, recurrent bias) — so ``GRU(32)`` on 1
    feature has 3,360 parameters. They are stored in torch's order (r, z, n) for its fused
    kernel; ``get_weights()``/``set_weights()`` speak Keras's. The arguments are those of
    :class:`seqlab.layers.LSTM` (without ``unit_forget_bias``), plus ``reset_after``.

    ``reset_after=False`` is Keras 2's default GRU: one ``bias`` ``(3H,)`` and the reset gate
    applied before the recurrent matmul, ``n_t = tanh(x_t W_h + b_h + (r_t * h_{t-1}) U_h)``
    (``GRU(32, reset_after=False)`` on 1 feature: 3,264 parameters). No fused kernel computes
    it, so it runs on the step loop.

    Input shape: ``(N, L, F)``. Output shape: ``(N, L, H)`` or ``(N, H)``; with
    ``return_state``, ``[output, h_L]``.

    >>> import torch, seqlab
    >>> gru = seqlab.layers.GRU(32)
    >>> gru(torch.zeros(4, 7, 1)).shape, gru.count_params()
    (torch.Size([4, 32]), 3360)
    """

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", kernel_regularizer=None, recurrent_regularizer=None,
                 bias_regularizer=None, activity_regularizer=None, dropout=0.0, recurrent_dropout=0.0,
                 return_sequences=False, return_state=False, go_backwards=False, stateful=False,
                 unroll=False, use_cudnn="auto", seed=None, zero_output_for_mask=False,
                 reset_after=True, **kwargs):
        self.reset_after = check_bool(type(self).__name__, "reset_after", reset_after)
        super().__init__(
            units, activation=activation, recurrent_activation=recurrent_activation,
            use_bias=use_bias, kernel_initializer=kernel_initializer,
            recurrent_initializer=recurrent_initializer, bias_initializer=bias_initializer,
            kernel_regularizer=kernel_regularizer, recurrent_regularizer=recurrent_regularizer,
            bias_regularizer=bias_regularizer, activity_regularizer=activity_regularizer,
            dropout=dropout, recurrent_dropout=recurrent_dropout,
            return_sequences=return_sequences, return_state=return_state,
            go_backwards=go_backwards, stateful=stateful, unroll=unroll, use_cudnn=use_cudnn,
            seed=seed, zero_output_for_mask=zero_output_for_mask, **kwargs)

    def make_cell(self):
        return gru_cell(self.activation, self.recurrent_activation, self.reset_after)

    def keras_bias_shape(self):
        return (2, 3 * self.units) if self.reset_after else (3 * self.units,)

    def split_bias(self):
        if not self.use_bias:
            return None, None
        if not self.reset_after:
            return self.bias, None
        return self.bias[0], self.bias[1]

    def get_config(self):
        return {**super().get_config(), "reset_after": self.reset_after}


class CuDNNGRU(GRU):
    """Keras 2's ``CuDNNGRU``: here simply a :class:`GRU` (``reset_after=True`` is cuDNN's form),
    which runs on the fused kernels whenever its settings allow.

    >>> import torch, seqlab
    >>> seqlab.layers.CuDNNGRU(8)(torch.zeros(2, 5, 3)).shape
    torch.Size([2, 8])
    """
