"""Regularization penalties: what layers add to the training loss (Keras's ``layer.losses``).

Weight penalties are computed from the current weights whenever they are asked for, on each
weight in Keras's layout (so a user's regularizer sees what Keras would give it; seqlab stores
some weights transposed for torch's kernels). Activity penalties are recorded by a forward
hook, installed only on a layer given an activity regularizer, so every other layer runs
exactly as before. As in Keras 3's ``Layer.__call__`` (since keras-team/keras#22021; earlier
Keras 3 releases left it out, against their own documentation), each output tensor's penalty is
divided by the batch size, so its weight against the weight penalties does not depend on it.
"""
from __future__ import annotations

import torch

from seqlab import regularizers


def check_regularizer(layer: str, argument: str, value):
    """``regularizers.get(value)``, its error led by the layer and argument."""
    try:
        return regularizers.get(value)
    except (TypeError, ValueError) as error:
        error.args = (f"{layer}: `{argument}`: {error}",)  # keeps the type (and a custom name)
        raise


def watch_activity(layer) -> None:
    """Install the recording hook the first time ``layer`` gets an activity regularizer."""
    if layer.activity_regularizer is not None and not layer._activity_hooked:
        layer.register_forward_hook(_record_activity)
        layer._activity_hooked = True


def _record_activity(layer, inputs, outputs) -> None:
    regularizer = layer.activity_regularizer
    if regularizer is None:  # unset after the hook was installed
        return
    tensors = outputs if isinstance(outputs, (list, tuple)) else [outputs]
    # Keras divides by the batch size (divide_no_nan: an empty batch gives 0, not NaN).
    layer._activity_losses = [
        _summed(regularizer(t)) / max(t.shape[0] if t.dim() else 1, 1) for t in tensors if torch.is_tensor(t)
    ]


def _summed(penalty) -> torch.Tensor:
    # Keras sums whatever a regularizer returns: a function giving one value per weight
    # (lambda w: 0.01 * w**2) is a penalty too, not a broadcast into the loss.
    return penalty.sum() if torch.is_tensor(penalty) else torch.as_tensor(penalty)


def weight_penalties(layer) -> list[torch.Tensor]:
    """The penalties of ``layer``'s own weights, now; none for frozen weights (Keras counts
    only trainable weights), each weight judged by itself."""
    if not layer.built:
        return []
    present = layer.weight_names()
    penalties = []
    for weight, argument in layer.weight_regularizer_arguments.items():
        regularizer = getattr(layer, argument)
        if regularizer is None or weight not in present:
            continue
        with torch.enable_grad():  # a view of a trainable parameter requires grad, even in evaluate
            value = layer.keras_weight(weight)
        if value.requires_grad:
            penalties.append(_summed(regularizer(value)))
    return penalties


def collect(layers) -> list[torch.Tensor]:
    """Keras's order: the activity penalties of the last forward pass, then the weight penalties."""
    layers = list(layers)
    activity = [t for layer in layers for t in layer._activity_losses]
    return activity + [t for layer in layers for t in weight_penalties(layer)]


def has_regularizers(layer) -> bool:
    return layer.activity_regularizer is not None or any(
        getattr(layer, argument) is not None for argument in layer.weight_regularizer_arguments.values())
