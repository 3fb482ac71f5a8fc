"""``SimpleRNN``: the notes' ``h_t = tanh(w_2 h_{t-1} + w_1 x_t + b_1)``."""
from __future__ import annotations

from seqlab.layers.recurrent.cells import rnn_cell
from seqlab.layers.recurrent.layer import RecurrentLayer


class SimpleRNN(RecurrentLayer):
    """Fully connected recurrent layer: ``h_t = activation(x_t W + h_{t-1} U + b)``.

    Weights follow Keras: ``kernel`` ``(F, H)``, ``recurrent_kernel`` ``(H, H)``, ``bias``
    ``(H,)``: ``H * (F + H + 1)`` parameters. With ``activation`` ``'tanh'`` or ``'relu'`` it
    runs on torch's fused RNN kernels; other activations run the step loop. The arguments are
    those of :class:`seqlab.layers.LSTM` without the gate-specific ones.

    Input shape: ``(N, L, F)``. Output shape: ``(N, L, H)`` or ``(N, H)``; with
    ``return_state``, ``[output, h_L]``.

    >>> import torch, seqlab
    >>> rnn = seqlab.layers.SimpleRNN(3, return_sequences=True)
    >>> rnn(torch.zeros(2, 5, 1)).shape, rnn.count_params()
    (torch.Size([2, 5, 3]), 15)
    """

    def __init__(self, units, activation="tanh", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", kernel_regularizer=None, recurrent_regularizer=None,
                 bias_regularizer=None, activity_regularizer=None, dropout=0.0, recurrent_dropout=0.0,
                 return_sequences=False, return_state=False, go_backwards=False, stateful=False,
                 unroll=False, use_cudnn="auto", seed=None, zero_output_for_mask=False, **kwargs):
        super().__init__(
            units, activation=activation, recurrent_activation=None, use_bias=use_bias,
            kernel_initializer=kernel_initializer, recurrent_initializer=recurrent_initializer,
            bias_initializer=bias_initializer, kernel_regularizer=kernel_regularizer,
            recurrent_regularizer=recurrent_regularizer, bias_regularizer=bias_regularizer,
            activity_regularizer=activity_regularizer, dropout=dropout,
            recurrent_dropout=recurrent_dropout, return_sequences=return_sequences,
            return_state=return_state, go_backwards=go_backwards, stateful=stateful,
            unroll=unroll, use_cudnn=use_cudnn, seed=seed,
            zero_output_for_mask=zero_output_for_mask, **kwargs)

    def make_cell(self):
        return rnn_cell(self.activation)

    def _fused_requirements(self):
        return "activation='tanh' or 'relu', recurrent_dropout=0"
