"""``LSTM`` (and Keras 2's ``CuDNNLSTM`` name for it)."""
from __future__ import annotations

from seqlab.layers.recurrent.cells import lstm_cell
from seqlab.checks import check_bool
from seqlab.layers.recurrent.layer import RecurrentLayer


class LSTM(RecurrentLayer):
    """Long Short-Term Memory layer (Hochreiter & Schmidhuber 1997), with Keras's arguments.

    At each timestep, with ``σ`` = ``recurrent_activation`` and ``tanh`` = ``activation``::

        f_t = σ(x_t W_f + h_{t-1} U_f + b_f)        forget gate
        i_t = σ(x_t W_i + h_{t-1} U_i + b_i)        input gate
        g_t = tanh(x_t W_c + h_{t-1} U_c + b_c)     candidate
        c_t = f_t * c_{t-1} + i_t * g_t             cell state
        o_t = σ(x_t W_o + h_{t-1} U_o + b_o)        output gate
        h_t = o_t * tanh(c_t)                       hidden state = output

    Weights follow Keras: ``kernel`` ``(F, 4H)``, ``recurrent_kernel`` ``(H, 4H)``, one ``bias``
    ``(4H,)``, gates in the order i, f, c, o — so ``LSTM(50)`` on 1 feature has 10,400
    parameters. They are stored transposed (``weight_ih``, ``weight_hh``) for torch's fused
    kernels, which run the layer whenever ``activation='tanh'``, ``recurrent_activation=
    'sigmoid'`` and no recurrent dropout is active; otherwise the step loop runs the same weights
    (``summary()`` says so). :func:`seqlab.inspect.trace` shows every gate at every timestep.

    Input shape: ``(N, L, F)``. Output shape: ``(N, L, H)`` with ``return_sequences`` else
    ``(N, H)``; with ``return_state``, ``[output, h_L, c_L]``.

    Args:
        units: H, the size of the hidden and cell states.
        activation: for the candidate and the output (default ``'tanh'``).
        recurrent_activation: for the gates (default ``'sigmoid'``).
        use_bias: whether the gates have a bias.
        kernel_initializer / recurrent_initializer / bias_initializer: Keras defaults
            ``'glorot_uniform'`` / ``'orthogonal'`` / ``'zeros'``.
        unit_forget_bias: start the forget-gate bias at 1 (Jozefowicz et al. 2015).
        kernel_regularizer / recurrent_regularizer / bias_regularizer: penalties on the weights
            in Keras's layout, added to the loss (see :mod:`seqlab.regularizers`).
        activity_regularizer: a penalty on the output (and the states with ``return_state``).
        dropout: fraction of the inputs dropped while training (one mask per sequence).
        recurrent_dropout: fraction of the recurrent state dropped while training.
        return_sequences: output every timestep instead of the last.
        return_state: also return the final states.
        go_backwards: process the sequence in reverse (outputs come in that reversed order).
        stateful: carry each sample's final state into the next batch (needs a fixed batch).
        unroll: accepted for Keras compatibility; has no effect.
        use_cudnn: ``'auto'`` (fused kernels when possible), ``False`` (always the step loop)
            or ``True`` (require the fused kernels).
        seed: seed of the dropout masks.
        zero_output_for_mask: output zeros at masked timesteps instead of the previous output.

    >>> import torch, seqlab
    >>> lstm = seqlab.layers.LSTM(4, return_sequences=True, return_state=True)
    >>> out, h, c = lstm(torch.zeros(2, 7, 3))
    >>> tuple(out.shape), tuple(h.shape), lstm.count_params()
    ((2, 7, 4), (2, 4), 128)
    """

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", unit_forget_bias=True, kernel_regularizer=None,
                 recurrent_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 dropout=0.0, recurrent_dropout=0.0, return_sequences=False, return_state=False,
                 go_backwards=False, stateful=False, unroll=False, use_cudnn="auto", seed=None,
                 zero_output_for_mask=False, **kwargs):
        self.unit_forget_bias = check_bool(type(self).__name__, "unit_forget_bias", unit_forget_bias)
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
        return lstm_cell(self.activation, self.recurrent_activation)

    def initial_bias(self, shape):
        bias = self.bias_initializer(shape, dtype=self.torch_dtype)
        if self.unit_forget_bias:
            # Keras: forget-gate block starts at one, the others from bias_initializer.
            bias[self.units:2 * self.units] = 1.0
        return bias

    def get_config(self):
        return {**super().get_config(), "unit_forget_bias": self.unit_forget_bias}


class CuDNNLSTM(LSTM):
    """Keras 2's ``CuDNNLSTM``: here simply an :class:`LSTM`, which already runs on the fused
    kernels (cuDNN on GPU, oneDNN on CPU) whenever its settings allow.

    Unlike Keras 2's CuDNNLSTM (two bias vectors, ``8H`` biases), it keeps the single ``4H``
    bias of ``LSTM``, so its parameter count equals ``LSTM``'s.

    >>> import torch, seqlab
    >>> seqlab.layers.CuDNNLSTM(8, return_sequences=True)(torch.zeros(2, 5, 3)).shape
    torch.Size([2, 5, 8])
    """
