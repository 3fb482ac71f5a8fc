"""Float64 NumPy references for convolution and pooling, written as direct loops over output
positions and kernel taps, independent of seqlab's code and of torch.

Padding follows TensorFlow's documented 'SAME' rule (tensorflow.org, "tf.nn convolution"):
``out = ceil(in / stride)``, ``pad_total = max((out - 1) * stride + extent - in, 0)``,
``pad_before = pad_total // 2``, the rest after; 'causal' pads ``extent - 1`` before.
"""
import itertools
import math

import numpy as np


def reference_pads(size, kernel, stride, padding, dilation=1):
    extent = dilation * (kernel - 1) + 1
    if padding == "valid":
        return 0, 0
    if padding == "causal":
        return extent - 1, 0
    out = math.ceil(size / stride)
    total = max((out - 1) * stride + extent - size, 0)
    return total // 2, total - total // 2


def numpy_conv(x, kernel, bias, strides, padding, dilation, groups=1):
    """x: (N, *spatial, C); kernel: (*k, C // groups, F); returns (N, *out, F)."""
    rank = kernel.ndim - 2
    ksize = kernel.shape[:rank]
    pads = [reference_pads(n, k, s, padding, d) for n, k, s, d in zip(x.shape[1:-1], ksize, strides, dilation)]
    xp = np.pad(x, [(0, 0)] + pads + [(0, 0)])
    out_sizes = [
        (n + left + right - d * (k - 1) - 1) // s + 1
        for n, (left, right), k, s, d in zip(x.shape[1:-1], pads, ksize, strides, dilation)
    ]
    filters = kernel.shape[-1]
    cin, fout = kernel.shape[-2], filters // groups
    out = np.zeros((x.shape[0], *out_sizes, filters))
    for position in itertools.product(*[range(n) for n in out_sizes]):
        for tap in itertools.product(*[range(k) for k in ksize]):
            source = tuple(p * s + t * d for p, s, t, d in zip(position, strides, tap, dilation))
            for g in range(groups):
                patch = xp[(slice(None), *source, slice(g * cin, (g + 1) * cin))]  # (N, cin)
                out[(slice(None), *position, slice(g * fout, (g + 1) * fout))] += (
                    patch @ kernel[tap][:, g * fout:(g + 1) * fout]
                )
    if bias is not None:
        out += bias
    return out


def numpy_pool(x, pool, strides, padding, mode):
    """x: (N, *spatial, C). Padded positions are left out of every window (TF semantics)."""
    sizes = x.shape[1:-1]
    pads = [reference_pads(n, k, s, padding) for n, k, s in zip(sizes, pool, strides)]
    out_sizes = [(n + left + right - k) // s + 1 for n, (left, right), k, s in zip(sizes, pads, pool, strides)]
    out = np.zeros((x.shape[0], *out_sizes, x.shape[-1]))
    for position in itertools.product(*[range(n) for n in out_sizes]):
        values = []
        for tap in itertools.product(*[range(k) for k in pool]):
            source = tuple(p * s + t - left for p, s, t, (left, _) in zip(position, strides, tap, pads))
            if all(0 <= i < n for i, n in zip(source, sizes)):
                values.append(x[(slice(None), *source, slice(None))])
        stacked = np.stack(values)  # (taps, N, C)
        out[(slice(None), *position, slice(None))] = stacked.max(0) if mode == "max" else stacked.mean(0)
    return out
