"""A float64 step-loop ConvLSTM written from Keras's ConvLSTMCell.call
(keras/src/layers/rnn/conv_lstm.py), independent of seqlab's code: the kernel is split into
its four gate blocks, each gate has its own input convolution (layer strides / padding /
dilation, plus its bias) and recurrent convolution (stride 1, padding 'same'), channels last.
Padding is TensorFlow's rule, done here with F.pad; the convolutions are torch.nn.functional's."""
import math

import torch
import torch.nn.functional as F

_CONV = {1: F.conv1d, 2: F.conv2d}


def _pads(size, kernel, stride, padding, dilation):
    extent = dilation * (kernel - 1) + 1
    if padding == "valid":
        return 0, 0
    total = max((math.ceil(size / stride) - 1) * stride + extent - size, 0)
    return total // 2, total - total // 2


def keras_conv(x, kernel, strides, padding, dilation):
    """x: (N, *spatial, C) channels last; kernel (*k, C, F) in Keras's layout."""
    rank = kernel.dim() - 2
    pads = [_pads(n, k, s, padding, d) for n, k, s, d in zip(x.shape[1:-1], kernel.shape[:rank], strides, dilation)]
    xc = F.pad(x.movedim(-1, 1), [side for pair in reversed(pads) for side in pair])
    weight = kernel.permute(rank + 1, rank, *range(rank))
    return _CONV[rank](xc, weight, stride=tuple(strides), dilation=tuple(dilation)).movedim(1, -1)


def conv_lstm_reference(x, kernel, recurrent_kernel, bias, strides, padding, dilation, h0=None, c0=None,
                        mask=None, go_backwards=False, activation=torch.tanh, recurrent_activation=torch.sigmoid):
    """x: (N, T, *spatial, C). Returns (outputs (N, T, *spatial', F), h, c, gates per step)."""
    rank = kernel.dim() - 2
    ones = (1,) * rank
    k_i, k_f, k_c, k_o = kernel.chunk(4, dim=-1)
    r_i, r_f, r_c, r_o = recurrent_kernel.chunk(4, dim=-1)
    b_i, b_f, b_c, b_o = bias.chunk(4) if bias is not None else (0, 0, 0, 0)
    steps = list(range(x.shape[1]))
    if go_backwards:
        steps = steps[::-1]
    h, c, outputs, gates = h0, c0, [], []
    previous = None if h0 is None else torch.zeros_like(h0)
    for t in steps:
        xt = x[:, t]
        x_i = keras_conv(xt, k_i, strides, padding, dilation) + b_i
        x_f = keras_conv(xt, k_f, strides, padding, dilation) + b_f
        x_c = keras_conv(xt, k_c, strides, padding, dilation) + b_c
        x_o = keras_conv(xt, k_o, strides, padding, dilation) + b_o
        if h is None:
            h = torch.zeros(*x_i.shape[:-1], recurrent_kernel.shape[-2], dtype=x.dtype)
            c = torch.zeros_like(h)
            previous = torch.zeros_like(h)
        i = recurrent_activation(x_i + keras_conv(h, r_i, ones, "same", ones))
        f = recurrent_activation(x_f + keras_conv(h, r_f, ones, "same", ones))
        g = activation(x_c + keras_conv(h, r_c, ones, "same", ones))
        o = recurrent_activation(x_o + keras_conv(h, r_o, ones, "same", ones))
        c_new = f * c + i * g
        h_new = o * activation(c_new)
        if mask is not None:
            # Keras: a masked step keeps the states and repeats the previous output.
            keep = mask[:, t].reshape(-1, *(1,) * (h.dim() - 1))
            h_new, c_new = torch.where(keep, h_new, h), torch.where(keep, c_new, c)
            out = torch.where(keep, h_new, previous)
        else:
            out = h_new
        h, c = h_new, c_new
        outputs.append(out)
        gates.append((i, f, g, o))
        previous = out
    return torch.stack(outputs, dim=1), h, c, gates
