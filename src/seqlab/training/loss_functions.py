"""The loss maths: Keras's per-sample loss functions and the tensor rules they share.

Each function is ``fn(y_true, y_pred) -> per-sample values`` with Keras's name and Keras's exact
maths (``mean_squared_error`` returns shape ``(N,)`` for ``(N, k)`` inputs: the mean over the last
axis), usable as a loss and as a metric. The helpers that turn user values into tensors and line
target and output ranks up (``align_ranks``, ``output_mask``, ``mask_weights``) live here too,
because the metrics compute on the same rules; the ``Loss`` classes that reduce these values to one
scalar, and the name registry, are in :mod:`seqlab.training.losses`, the public path for all of it.

Probabilistic losses clip probabilities to ``[EPSILON, 1 - EPSILON]`` with Keras's
``EPSILON = 1e-7`` and, for categorical crossentropy, renormalise them to sum to 1 first, so values
and gradients match Keras, including for saturated softmax outputs.
"""
from __future__ import annotations

from typing import Callable

import torch
import torch.nn.functional as F

from seqlab.layers.base import OUTPUT_MASK

EPSILON = 1e-7  # keras.backend.epsilon()

LossFn = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


def output_mask(y_pred) -> torch.Tensor | None:
    """The ``(N, T)`` mask a model attached to its sequence output (``Masking``,
    ``Embedding(mask_zero=True)``), or None. Losses and metrics leave masked timesteps out."""
    return getattr(y_pred, OUTPUT_MASK, None)


def mask_weights(mask: torch.Tensor | None, values: torch.Tensor) -> torch.Tensor | None:
    """``mask`` as 0/1 weights shaped like ``values``, whose leading axes are ``(N, T)``; None
    when the mask does not line up with the values (e.g. after a reduction over time)."""
    if mask is None or values.ndim < mask.ndim or tuple(mask.shape) != tuple(values.shape[:mask.ndim]):
        return None
    weight = mask.to(device=values.device, dtype=values.dtype)
    return weight.reshape(weight.shape + (1,) * (values.ndim - weight.ndim)).expand_as(values)


def _tensors(y_true, y_pred, integer_targets: bool = False):
    y_pred = y_pred if isinstance(y_pred, torch.Tensor) else torch.as_tensor(y_pred)
    if not y_pred.is_floating_point():
        y_pred = y_pred.to(torch.get_default_dtype())
    dtype = torch.long if integer_targets else y_pred.dtype
    y_true = torch.as_tensor(y_true, dtype=dtype, device=y_pred.device)
    return y_true, y_pred


def align_ranks(y_true: torch.Tensor, y_pred: torch.Tensor):
    """Keras's ``squeeze_or_expand_to_same_rank``: ``(N,)`` targets meet ``(N, 1)`` outputs as
    ``(N, 1)`` instead of broadcasting to ``(N, N)``."""
    t, p = y_true.ndim, y_pred.ndim
    if t == p + 1 and y_true.shape[-1] == 1:
        if p == 1:
            y_pred = y_pred.unsqueeze(-1)
        else:
            y_true = y_true.squeeze(-1)
    elif p == t + 1 and y_pred.shape[-1] == 1:
        if t == 1:
            y_true = y_true.unsqueeze(-1)
        else:
            y_pred = y_pred.squeeze(-1)
    if y_true.shape != y_pred.shape and _without_unit_axes(y_true) == _without_unit_axes(y_pred):
        # Shapes that differ only in size-1 axes, e.g. (N,) targets for the (N, 1, 1) output of
        # the notes' Conv1D -> MaxPooling1D -> Dense(1) model: the same values, so line them up.
        # A plain broadcast would give (N, 1, N): every output compared with every target.
        y_true = y_true.reshape(y_pred.shape)
    return y_true, y_pred


def _without_unit_axes(tensor: torch.Tensor) -> tuple:
    return (tensor.shape[0] if tensor.ndim else None, *(size for size in tensor.shape[1:] if size != 1))


def _same_shape(name: str, y_true, y_pred):
    aligned_true, aligned_pred = align_ranks(y_true, y_pred)
    if aligned_true.shape != aligned_pred.shape:
        raise ValueError(
            f"loss '{name}': y_true of shape {tuple(y_true.shape)} does not match y_pred (the "
            f"model's output) of shape {tuple(y_pred.shape)}; the targets need one value per output"
        )
    return aligned_true, aligned_pred


# ---- per-sample functions (Keras's keras.losses.<name>) ---------------------------------------
def mean_squared_error(y_true, y_pred) -> torch.Tensor:
    """``mean((y_true - y_pred)**2, axis=-1)``. Shapes: ``(N, ..., k)`` → ``(N, ...)``.

    >>> mean_squared_error(torch.tensor([[0., 1.]]), torch.tensor([[1., 1.]]))
    tensor([0.5000])
    """
    y_true, y_pred = _same_shape("mean_squared_error", *_tensors(y_true, y_pred))
    return (y_true - y_pred).square().mean(dim=-1)


def mean_absolute_error(y_true, y_pred) -> torch.Tensor:
    """``mean(|y_true - y_pred|, axis=-1)``."""
    y_true, y_pred = _same_shape("mean_absolute_error", *_tensors(y_true, y_pred))
    return (y_true - y_pred).abs().mean(dim=-1)


def mean_absolute_percentage_error(y_true, y_pred) -> torch.Tensor:
    """``100 * mean(|y_true - y_pred| / max(|y_true|, EPSILON), axis=-1)``."""
    y_true, y_pred = _same_shape("mean_absolute_percentage_error", *_tensors(y_true, y_pred))
    diff = (y_true - y_pred).abs() / y_true.abs().clamp_min(EPSILON)
    return 100.0 * diff.mean(dim=-1)


def mean_squared_logarithmic_error(y_true, y_pred) -> torch.Tensor:
    """``mean((log(max(y_pred, EPS) + 1) - log(max(y_true, EPS) + 1))**2, axis=-1)``."""
    y_true, y_pred = _same_shape("mean_squared_logarithmic_error", *_tensors(y_true, y_pred))
    first = torch.log1p(y_pred.clamp_min(EPSILON))
    second = torch.log1p(y_true.clamp_min(EPSILON))
    return (first - second).square().mean(dim=-1)


def huber(y_true, y_pred, delta: float = 1.0) -> torch.Tensor:
    """Quadratic for ``|error| <= delta``, linear beyond: ``mean(..., axis=-1)``."""
    y_true, y_pred = _same_shape("huber", *_tensors(y_true, y_pred))
    error = y_pred - y_true
    abs_error = error.abs()
    quadratic = 0.5 * error.square()
    linear = delta * abs_error - 0.5 * delta**2
    return torch.where(abs_error <= delta, quadratic, linear).mean(dim=-1)


def categorical_crossentropy(y_true, y_pred, from_logits: bool = False,
                             label_smoothing: float = 0.0) -> torch.Tensor:
    """``-sum(y_true * log(p), axis=-1)`` with one-hot (or soft) targets.

    With ``from_logits=False`` (a softmax output), ``p`` is ``y_pred`` renormalised to sum to 1 and
    clipped to ``[1e-7, 1 - 1e-7]``, exactly as Keras does. Shapes: ``(N, ..., C)`` → ``(N, ...)``.

    >>> round(float(categorical_crossentropy(torch.tensor([[0., 1.]]), torch.tensor([[0.5, 0.5]]))), 4)
    0.6931
    """
    y_true, y_pred = _tensors(y_true, y_pred)
    if y_true.shape != y_pred.shape:
        raise ValueError(
            f"loss 'categorical_crossentropy': y_true of shape {tuple(y_true.shape)} does not match "
            f"y_pred of shape {tuple(y_pred.shape)}; it needs one-hot targets (use "
            "seqlab.utils.to_categorical) or the loss 'sparse_categorical_crossentropy' for "
            "integer labels"
        )
    if label_smoothing:
        classes = y_pred.shape[-1]
        y_true = y_true * (1.0 - label_smoothing) + label_smoothing / classes
    return -(y_true * _log_probabilities(y_pred, from_logits)).sum(dim=-1)


def sparse_categorical_crossentropy(y_true, y_pred, from_logits: bool = False) -> torch.Tensor:
    """Categorical crossentropy with integer labels: ``y_true`` ``(N, ...)`` or ``(N, ..., 1)``."""
    y_true, y_pred = _tensors(y_true, y_pred, integer_targets=True)
    if y_true.ndim == y_pred.ndim and y_true.shape[-1] == 1:
        y_true = y_true.squeeze(-1)
    if tuple(y_true.shape) != tuple(y_pred.shape[:-1]):
        raise ValueError(
            "loss 'sparse_categorical_crossentropy': y_true must hold one integer label per "
            f"sample, shape {tuple(y_pred.shape[:-1])}, for y_pred of shape "
            f"{tuple(y_pred.shape)}; got y_true of shape {tuple(y_true.shape)}"
        )
    log_p = _log_probabilities(y_pred, from_logits)
    return -log_p.gather(-1, y_true.unsqueeze(-1)).squeeze(-1)


def binary_crossentropy(y_true, y_pred, from_logits: bool = False,
                        label_smoothing: float = 0.0) -> torch.Tensor:
    """``mean(-(y log p + (1 - y) log(1 - p)), axis=-1)``, ``p`` clipped to ``[1e-7, 1 - 1e-7]``."""
    y_true, y_pred = _same_shape("binary_crossentropy", *_tensors(y_true, y_pred))
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + 0.5 * label_smoothing
    if from_logits:
        values = F.binary_cross_entropy_with_logits(y_pred, y_true, reduction="none")
    else:
        p = y_pred.clamp(EPSILON, 1.0 - EPSILON)
        values = -(y_true * torch.log(p) + (1.0 - y_true) * torch.log1p(-p))
    return values.mean(dim=-1)


def _log_probabilities(y_pred: torch.Tensor, from_logits: bool) -> torch.Tensor:
    if from_logits:
        return torch.log_softmax(y_pred, dim=-1)
    p = y_pred / y_pred.sum(dim=-1, keepdim=True)
    return torch.log(p.clamp(EPSILON, 1.0 - EPSILON))


mse = MSE = mean_squared_error
mae = MAE = mean_absolute_error
mape = MAPE = mean_absolute_percentage_error
msle = MSLE = mean_squared_logarithmic_error

# Every name compile(loss=...) and compile(metrics=...) accept for a function, Keras's aliases included.
_FUNCTIONS: dict[str, LossFn] = {
    "mean_squared_error": mean_squared_error, "mse": mean_squared_error,
    "mean_absolute_error": mean_absolute_error, "mae": mean_absolute_error,
    "mean_absolute_percentage_error": mean_absolute_percentage_error,
    "mape": mean_absolute_percentage_error,
    "mean_squared_logarithmic_error": mean_squared_logarithmic_error,
    "msle": mean_squared_logarithmic_error,
    "huber": huber, "huber_loss": huber,
    "categorical_crossentropy": categorical_crossentropy,
    "sparse_categorical_crossentropy": sparse_categorical_crossentropy,
    "binary_crossentropy": binary_crossentropy,
}
_INTEGER_TARGETS = {sparse_categorical_crossentropy}
# Losses whose targets are probabilities: a target of 5.0 makes binary cross-entropy reward a
# prediction of 1 without bound (its value goes negative), so training runs on nonsense. Keras
# computes it anyway; seqlab refuses such targets before training.
_PROBABILITY_TARGETS = {binary_crossentropy}
# seqlab's own functions: they check shapes themselves, run on meta tensors and save by name.
_FUNCTION_SET = set(_FUNCTIONS.values())
