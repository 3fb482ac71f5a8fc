"""Output-size arithmetic of convolution and pooling, written once.

The notes give the size of a convolution's output along one axis as

    W2 = (W1 - F + 2P) / S + 1

for an input of size ``W1``, a filter of extent ``F``, zero padding ``P`` on each side and
stride ``S``. seqlab uses that formula everywhere, in its general form: the padding may differ
on the two sides (``2P`` becomes ``left + right``), a dilated filter covers
``F_eff = dilation * (F - 1) + 1`` inputs, and the division floors (windows that do not fit are
dropped, as in Keras and PyTorch)::

    W2 = floor((W1 + left + right - F_eff) / S) + 1

The padding modes fix ``left`` and ``right``:

- ``'valid'``: none, ``W2 = floor((W1 - F_eff) / S) + 1``.
- ``'same'``: just enough that ``W2 = ceil(W1 / S)``; when the total is odd the extra column goes
  on the right/bottom (TensorFlow's and Keras's rule; PyTorch's ``padding='same'`` agrees
  but only for stride 1).
- ``'causal'`` (1-D convolutions only): ``F_eff - 1`` on the left, none on the right, so
  output ``t`` sees only inputs ``<= t``.
"""
from __future__ import annotations

from seqlab.errors import describe

PADDINGS = ("valid", "same", "causal")


def normalize_tuple(layer: str, argument: str, value, rank: int) -> tuple[int, ...]:
    """``3`` or ``(3, 3)`` → a tuple of ``rank`` positive ints, or a clear error."""
    values = (value,) * rank if isinstance(value, int) and not isinstance(value, bool) else value
    try:
        values = tuple(values)
    except TypeError:
        values = None
    if values is None or len(values) != rank or any(
        isinstance(v, bool) or not isinstance(v, int) for v in values
    ):
        raise TypeError(
            f"{layer}: `{argument}` must be an integer or a tuple of {rank} integers, "
            f"got {describe(value)}"
        )
    if any(v <= 0 for v in values):
        raise ValueError(
            f"{layer}: `{argument}` must hold positive integers, got {value!r}"
        )
    return values


def normalize_padding(layer: str, padding, allow_causal: bool) -> str:
    """Keras's padding names, case-insensitive; 'causal' only where ``allow_causal``."""
    allowed = PADDINGS if allow_causal else PADDINGS[:2]
    if not isinstance(padding, str) or padding.lower() not in allowed:
        raise ValueError(f"{layer}: `padding` must be one of {allowed}, got {padding!r}")
    return padding.lower()


def padding_amounts(length: int, kernel: int, stride: int, padding: str, dilation: int = 1):
    """Zeros to add on the ``(left, right)`` of an axis of ``length`` inputs.

    >>> padding_amounts(28, 3, 1, 'same'), padding_amounts(6, 2, 2, 'same')
    ((1, 1), (0, 0))
    >>> padding_amounts(5, 4, 1, 'same'), padding_amounts(7, 3, 1, 'causal', dilation=2)
    ((1, 2), (4, 0))
    """
    extent = dilation * (kernel - 1) + 1
    if padding == "valid":
        return 0, 0
    if padding == "causal":
        return extent - 1, 0
    target = -(-length // stride)  # ceil(length / stride)
    total = max((target - 1) * stride + extent - length, 0)
    return total // 2, total - total // 2


def output_length(length, kernel: int, stride: int, padding: str, dilation: int = 1):
    """Size of the output along one axis (``None`` stays ``None``); may be <= 0 (no window fits).

    >>> output_length(28, 3, 1, 'valid'), output_length(26, 2, 2, 'valid')   # the notes' MNIST net
    (26, 13)
    >>> output_length(7, 5, 1, 'valid'), output_length(3, 2, 2, 'valid')     # the notes' Conv1D net
    (3, 1)
    """
    if length is None:
        return None
    left, right = padding_amounts(length, kernel, stride, padding, dilation)
    extent = dilation * (kernel - 1) + 1
    return (length + left + right - extent) // stride + 1


def output_spatial_shape(
    layer: str, spatial, kernel, strides, padding: str, dilation=None, what: str = "kernel_size"
) -> tuple:
    """Output sizes for every spatial axis, or a ``ValueError`` when an axis would be empty.

    Args:
        layer: the layer's description for the message, e.g. ``"layer 'conv2d' (Conv2D)"``.
        spatial: input sizes of the spatial axes (``None`` for unknown).
        kernel, strides, dilation: one int per spatial axis.
        padding: 'valid', 'same' or 'causal'.
        what: the argument name of the window in the message (``kernel_size``/``pool_size``).
    """
    dilation = dilation or (1,) * len(spatial)
    sizes = tuple(
        output_length(n, k, s, padding, d)
        for n, k, s, d in zip(spatial, kernel, strides, dilation)
    )
    if any(size is not None and size <= 0 for size in sizes):
        extent = tuple(d * (k - 1) + 1 for k, d in zip(kernel, dilation))
        dilated = f" (dilated to {extent})" if extent != tuple(kernel) else ""
        raise ValueError(
            f"{layer}: `{what}`={tuple(kernel)}{dilated} is larger than the input's spatial "
            f"size {tuple(spatial)} with padding='{padding}', so the output would be empty "
            f"(output size {sizes}, by W2 = (W1 - F + 2P)/S + 1); use a smaller `{what}` or "
            "padding='same'"
        )
    return sizes


def transpose_crops(kernel: int, stride: int, padding: str, output_padding, dilation: int = 1):
    """``(left, right)`` to cut from a transposed convolution's full output along one axis.

    The full output of ``torch.nn.functional.conv_transpose1d`` (no padding) has
    ``(W1 - 1) * S + F_eff`` positions. Keras (``keras/src/backend/common/backend_utils.py``,
    its JAX/TensorFlow rule) pads the dilated input by ``F_eff - 1 - crop`` on each side, so the
    crops are what that padding leaves out; a negative crop means zeros are added instead (the
    positions that only receive the bias).

    >>> transpose_crops(3, 2, 'same', None), transpose_crops(3, 2, 'valid', None)
    ((0, 1), (0, 0))
    >>> transpose_crops(2, 3, 'valid', None)   # max(F, S) - F = 1 extra position on the right
    (0, -1)
    """
    extent = dilation * (kernel - 1) + 1
    if padding == "valid":
        extra = max(extent, stride) - extent if output_padding is None else output_padding
        return 0, -extra
    if output_padding is None:
        total = stride + extent - 2  # output length W1 * S
    else:
        total = extent + extent % 2 - 2 + output_padding
    left = min(total // 2 + total % 2, extent - 1)
    return extent - 1 - left, extent - 1 - (total - left)


def transpose_output_length(length, kernel: int, stride: int, padding: str, output_padding,
                            dilation: int = 1):
    """Keras's transposed-convolution output size along one axis (``None`` stays ``None``).

    'valid': ``(W1 - 1) * S + F_eff + P_out`` with ``P_out`` defaulting to ``max(F_eff, S) - F_eff``;
    'same': ``W1 * S``, or ``(W1 - 1) * S + F_eff % 2 + P_out`` when ``output_padding`` is given.

    >>> transpose_output_length(5, 3, 2, 'valid', None), transpose_output_length(5, 3, 2, 'same', None)
    (11, 10)
    >>> transpose_output_length(5, 3, 2, 'same', 0), transpose_output_length(5, 2, 3, 'valid', None)
    (9, 15)
    """
    if length is None:
        return None
    left, right = transpose_crops(kernel, stride, padding, output_padding, dilation)
    return (length - 1) * stride + dilation * (kernel - 1) + 1 - left - right
