"""What convolution and pooling layers share: the channel axis, input checks, ``repr``.

Keras puts channels last — ``(batch, steps, channels)``, ``(batch, height, width, channels)`` —
while ``torch.nn.functional`` wants them first. ``movedim`` turns one into the other as a *view*:
no data is copied. A channels-last tensor seen through that view is exactly what torch calls the
``channels_last`` memory format, which its CPU convolution kernels (oneDNN) take natively, so a
stack of seqlab convolutions stays in that layout from layer to layer without copies.
"""
from __future__ import annotations

import torch

from seqlab.checks import format_shape

DATA_FORMATS = ("channels_last", "channels_first")
_AXES = {1: ("steps",), 2: ("height", "width")}


def normalize_data_format(layer: str, data_format) -> str:
    """``None`` means Keras's default, ``'channels_last'``."""
    if data_format is None:
        return "channels_last"
    if data_format not in DATA_FORMATS:
        raise ValueError(f"{layer}: `data_format` must be one of {DATA_FORMATS}, got {data_format!r}")
    return data_format


def to_channels_first(inputs: torch.Tensor, data_format: str) -> torch.Tensor:
    # (N, *spatial, C) -> (N, C, *spatial), a view.
    return inputs.movedim(-1, 1) if data_format == "channels_last" else inputs


def to_data_format(outputs: torch.Tensor, data_format: str) -> torch.Tensor:
    # (N, C, *spatial) -> (N, *spatial, C), a view.
    return outputs.movedim(1, -1) if data_format == "channels_last" else outputs


def spatial_axes(input_shape, data_format: str) -> tuple:
    """The spatial sizes of a shape that includes the batch axis."""
    return tuple(input_shape[1:-1] if data_format == "channels_last" else input_shape[2:])


def channel_size(input_shape, data_format: str):
    return input_shape[-1] if data_format == "channels_last" else input_shape[1]


def layout_text(rank: int, data_format: str) -> str:
    """``'(batch, height, width, channels)'`` for a 2-D channels-last layer, etc."""
    names = list(_AXES[rank])
    axes = names + ["channels"] if data_format == "channels_last" else ["channels"] + names
    return "(" + ", ".join(["batch"] + axes) + ")"


def rank_error(layer, input_shape, rank: int, data_format: str) -> ValueError:
    """The error for input that lacks (or has extra) axes; ``Layer.check_rank`` raises it.

    The common mistake is images or series without a channel axis, e.g. MNIST's
    ``(N, 28, 28)`` fed to a ``Conv2D``; the message shows the ``reshape`` that adds it.
    """
    input_shape = tuple(input_shape)
    description = f"layer '{layer.name}' ({type(layer).__name__})"
    message = (
        f"{description} expects {rank + 2}-D input {layout_text(rank, data_format)}, got shape "
        f"{format_shape(input_shape)}"
    )
    if len(input_shape) == rank + 1:
        # Unknown sizes are shown by name: reshape takes at most one -1, used for the batch.
        sizes = ", ".join(str(s) if s is not None else f"n{i}" for i, s in enumerate(input_shape[1:]))
        reshape = (
            f"x.reshape(-1, {sizes}, 1)" if data_format == "channels_last" else f"x.reshape(-1, 1, {sizes})"
        )
        kind = "images" if rank == 2 else "sequences"
        message += (
            f". The input has no channel axis: {kind} with a single channel still need one, "
            f"of size 1 — use {reshape}"
        )
    return ValueError(message)


def check_built_channels(layer, shape, data_format: str) -> None:
    """After build, the channel count the weights were made for must not change."""
    built = layer.input_shape_
    if built is not None and channel_size(shape, data_format) != channel_size(built, data_format):
        raise ValueError(
            f"layer '{layer.name}' ({type(layer).__name__}) was built for "
            f"{channel_size(built, data_format)} input channels, got input of shape {tuple(shape)}"
        )


def check_channels(layer, input_shape, data_format: str) -> None:
    if channel_size(input_shape, data_format) is None:
        raise ValueError(
            f"layer '{layer.name}' ({type(layer).__name__}) needs a known number of channels, "
            f"got input shape {format_shape(tuple(input_shape))}"
        )


def settings_repr(layer, positional: dict, defaults: dict) -> str:
    """``Conv2D(32, (3, 3), activation='relu')``: positional settings, then non-defaults.

    ``defaults`` holds each keyword setting's default *in the form get_config stores it*, so a
    default given as ``strides=1`` is not mistaken for a change when stored as ``[1]``.
    """
    config = layer.get_config()
    parts = [_show(value) for value in positional.values()]
    parts += [
        f"{key}={_show(config[key])}"
        for key, default in defaults.items()
        if key in config and config[key] != default
    ]
    return f"{type(layer).__name__}({', '.join(parts)})"


def _show(value) -> str:
    # Tuples as Keras users write them: (3, 3); a 1-D layer's (3,) as plain 3.
    if isinstance(value, list):
        return repr(value[0]) if len(value) == 1 else repr(tuple(value))
    return repr(value)


def convolution_config(layer) -> dict:
    """The settings every convolution (Conv, SeparableConv, ConvTranspose, ConvLSTM) shares, in
    Keras's config form."""
    return {
        "filters": layer.filters,
        "kernel_size": list(layer.kernel_size),
        "strides": list(layer.strides),
        "padding": layer.padding,
        "data_format": layer.data_format,
        "dilation_rate": list(layer.dilation_rate),
    }
