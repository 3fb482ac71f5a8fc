"""Normalization layers with Keras 3's arguments, defaults, weights and formulas.

Every one of them computes ``(x - mean) * rsqrt(variance + epsilon) * gamma + beta`` (the
biased variance, as Keras's ``ops.moments``); they differ in which axes the statistics are taken
over. ``BatchNormalization`` takes them over the batch (and time) while training and keeps
moving averages for inference; ``LayerNormalization`` over the features of each sample;
``GroupNormalization`` over groups of channels; ``UnitNormalization`` only rescales to unit L2 norm.
"""
from __future__ import annotations

import numbers

import torch

from seqlab import initializers
from seqlab.checks import check_bool, check_int
from seqlab.errors import describe
from seqlab.layers.base import Layer
from seqlab.layers.penalties import check_regularizer

# Keras's backend epsilon, added to the mask's weight sum so an all-masked batch gives 0, not NaN.
_BACKEND_EPSILON = 1e-7


def _check_epsilon(owner: str, value) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{owner}: `epsilon` must be a positive number, got {describe(value)}")
    if not value > 0:
        raise ValueError(f"{owner}: `epsilon` must be a positive number, got {value}")
    return float(value)


def _check_axis(owner: str, value) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{owner}: `axis` must be an integer, got {describe(value)}")
    return int(value)


def normalize(x, mean, variance, epsilon: float, gamma=None, beta=None):
    """Keras's ``ops.batch_normalization``: the one formula all these layers share."""
    outputs = (x - mean) * torch.rsqrt(variance + epsilon)
    if gamma is not None:
        outputs = outputs * gamma
    if beta is not None:
        outputs = outputs + beta
    return outputs


def l2_normalize(x, axis, epsilon: float):
    """Keras's ``ops.normalize(order=2)``: ``x / max(||x||, epsilon)`` along ``axis``."""
    inverse_norm = torch.rsqrt(x.square().sum(dim=axis, keepdim=True))
    return x * torch.clamp(inverse_norm, max=1.0 / epsilon)


class _AffineNormalization(Layer):
    """Shared arguments of the layers with ``gamma`` (scale) and ``beta`` (center) weights."""

    supports_masking = True
    weight_regularizer_arguments = {"gamma": "gamma_regularizer", "beta": "beta_regularizer"}

    def __init__(self, epsilon, center, scale, beta_initializer, gamma_initializer,
                 beta_regularizer, gamma_regularizer, **kwargs):
        super().__init__(**kwargs)
        owner = type(self).__name__
        self.epsilon = _check_epsilon(owner, epsilon)
        self.center = check_bool(owner, "center", center)
        self.scale = check_bool(owner, "scale", scale)
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.beta_regularizer = check_regularizer(owner, "beta_regularizer", beta_regularizer)
        self.gamma_regularizer = check_regularizer(owner, "gamma_regularizer", gamma_regularizer)

    def _resolve_axis(self, axis: int, shape) -> int:
        if not -len(shape) <= axis < len(shape) or axis % len(shape) == 0:
            raise ValueError(f"layer '{self.name}' ({type(self).__name__}): `axis` {axis} must name a "
                             f"non-batch axis of inputs of shape {tuple(shape)}")
        return axis % len(shape)

    def _add_affine(self, shape) -> None:
        # Keras's order: gamma, then beta.
        if self.scale:
            self.add_weight("gamma", shape, self.gamma_initializer)
        if self.center:
            self.add_weight("beta", shape, self.beta_initializer)

    def _affine(self, ndim: int, axes: list[int]):
        """gamma and beta shaped to broadcast against ``ndim``-axis input."""
        view = [1] * ndim
        for axis in axes:
            view[axis] = -1
        gamma = self.gamma.reshape(view) if self.scale else None
        beta = self.beta.reshape(view) if self.center else None
        return gamma, beta

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def _affine_config(self):
        return {
            "epsilon": self.epsilon, "center": self.center, "scale": self.scale,
            "beta_initializer": initializers.serialize(self.beta_initializer),
            "gamma_initializer": initializers.serialize(self.gamma_initializer),
            **self.regularizer_config(),
        }


class BatchNormalization(_AffineNormalization):
    """Normalizes each feature over the batch (and time): batch statistics while training,
    their moving averages at inference.

    While training (and ``trainable``), Keras's update rule after each batch:
    ``moving = moving * momentum + batch_statistic * (1 - momentum)``: ``momentum`` is the weight
    of the *old* value (torch's ``BatchNorm1d(momentum=...)`` is the weight of the new one, so
    Keras's 0.99 is torch's 0.01). The batch variance is the biased one in both the output and
    the update, as Keras. A timestep mask ``(N, T)`` leaves padded steps out of the statistics.
    ``trainable=False`` runs the layer in inference mode, as Keras.

    Args:
        axis: the feature axis (default the last).
        momentum: weight of the old moving value, Keras's 0.99.
        epsilon: added to the variance, Keras's 1e-3.
        center / scale: learn ``beta`` / ``gamma``.
        beta_initializer, gamma_initializer, moving_mean_initializer, moving_variance_initializer,
        beta_regularizer, gamma_regularizer: as Keras.

    Weights (``get_weights()`` order): ``gamma``, ``beta``, ``moving_mean``, ``moving_variance``,
    each of shape ``(features,)``; the moving statistics are non-trainable.

    Input shape: any, ``(N, ..., features)``. Output shape: the same.

    >>> import torch, seqlab
    >>> layer = seqlab.layers.BatchNormalization()
    >>> out = layer(torch.randn(8, 5, 4), training=True)
    >>> layer.count_params(), layer.moving_mean.requires_grad
    (16, False)
    """

    def __init__(self, axis: int = -1, momentum: float = 0.99, epsilon: float = 1e-3, center: bool = True,
                 scale: bool = True, beta_initializer="zeros", gamma_initializer="ones",
                 moving_mean_initializer="zeros", moving_variance_initializer="ones",
                 beta_regularizer=None, gamma_regularizer=None, **kwargs):
        super().__init__(epsilon, center, scale, beta_initializer, gamma_initializer,
                         beta_regularizer, gamma_regularizer, **kwargs)
        self.axis = _check_axis("BatchNormalization", axis)
        if isinstance(momentum, bool) or not isinstance(momentum, numbers.Real):
            raise TypeError(f"BatchNormalization: `momentum` must be a number in [0, 1], got {describe(momentum)}")
        if not 0.0 <= momentum <= 1.0:
            raise ValueError(f"BatchNormalization: `momentum` must be a number in [0, 1] (the weight of the old "
                             f"moving value, Keras's convention), got {momentum}")
        self.momentum = float(momentum)
        self.moving_mean_initializer = initializers.get(moving_mean_initializer)
        self.moving_variance_initializer = initializers.get(moving_variance_initializer)

    def validate_input_shape(self, input_shape):
        axis = self._resolve_axis(self.axis, input_shape)
        if input_shape[axis] is None:
            raise ValueError(f"layer '{self.name}' (BatchNormalization) needs a fixed size on axis {self.axis}, "
                             f"got shape {tuple(input_shape)}")

    def build(self, input_shape):
        self._axis = self._resolve_axis(self.axis, input_shape)
        shape = (input_shape[self._axis],)
        self._add_affine(shape)
        self.add_weight("moving_mean", shape, self.moving_mean_initializer, trainable=False)
        self.add_weight("moving_variance", shape, self.moving_variance_initializer, trainable=False)

    def check_built_sizes(self, shape):
        want = self.input_shape_[self._axis]
        if shape[self._axis] != want:
            raise ValueError(f"layer '{self.name}' (BatchNormalization) was built for {want} features on axis "
                             f"{self.axis}, got input of shape {tuple(shape)}")

    def call(self, inputs, training=False, mask=None):
        axes = [a for a in range(inputs.dim()) if a != self._axis]
        view = [1] * inputs.dim()
        view[self._axis] = -1
        if training and self.trainable:
            mean, variance = self._moments(inputs, axes, mask)
            with torch.no_grad():  # Keras's assign: the moving statistics get no gradient
                self.moving_mean.mul_(self.momentum).add_(mean.detach() * (1.0 - self.momentum))
                self.moving_variance.mul_(self.momentum).add_(variance.detach() * (1.0 - self.momentum))
        else:
            mean, variance = self.moving_mean, self.moving_variance
        gamma, beta = self._affine(inputs.dim(), [self._axis])
        return normalize(inputs, mean.reshape(view), variance.reshape(view), self.epsilon, gamma, beta)

    def _moments(self, inputs, axes, mask):
        if mask is None:
            return inputs.mean(dim=axes), inputs.var(dim=axes, unbiased=False)
        if mask.dim() != inputs.dim() - 1:
            raise ValueError(f"layer '{self.name}' (BatchNormalization): the mask must have one axis fewer than "
                             f"the inputs, got mask of shape {tuple(mask.shape)} for inputs of shape "
                             f"{tuple(inputs.shape)}")
        weights = mask.to(inputs.dtype).unsqueeze(-1)  # (N, T, 1)
        total = (weights * torch.ones_like(inputs)).sum(dim=axes) + _BACKEND_EPSILON
        mean = (weights * inputs).sum(dim=axes) / total
        view = [1] * inputs.dim()
        view[self._axis] = -1
        variance = (weights * (inputs - mean.reshape(view)).square()).sum(dim=axes) / total
        return mean, variance

    def get_config(self):
        return {
            **super().get_config(), "axis": self.axis, "momentum": self.momentum, **self._affine_config(),
            "moving_mean_initializer": initializers.serialize(self.moving_mean_initializer),
            "moving_variance_initializer": initializers.serialize(self.moving_variance_initializer),
        }


class LayerNormalization(_AffineNormalization):
    """Normalizes each sample over ``axis`` (the features by default), the same at training
    and inference: the normalization of Transformer blocks.

    Args:
        axis: an axis or a list of axes to normalize over (default the last).
        epsilon: added to the variance, Keras's 1e-3.
        center / scale: learn ``beta`` / ``gamma`` (shape: the sizes on ``axis``).
        rms_scaling: ignore ``center``/``scale``; ``x * rsqrt(mean(x**2) + epsilon) * gamma``.
        beta_initializer, gamma_initializer, beta_regularizer, gamma_regularizer: as Keras.

    Input shape: any. Output shape: the same.

    >>> import torch, seqlab
    >>> out = seqlab.layers.LayerNormalization()(torch.randn(2, 5, 8))
    >>> round(out.mean(-1).abs().max().item(), 4)
    0.0
    """

    def __init__(self, axis=-1, epsilon: float = 1e-3, center: bool = True, scale: bool = True,
                 rms_scaling: bool = False, beta_initializer="zeros", gamma_initializer="ones",
                 beta_regularizer=None, gamma_regularizer=None, **kwargs):
        super().__init__(epsilon, center, scale, beta_initializer, gamma_initializer,
                         beta_regularizer, gamma_regularizer, **kwargs)
        if isinstance(axis, (list, tuple)):
            self.axis = [_check_axis("LayerNormalization", a) for a in axis]
        else:
            self.axis = _check_axis("LayerNormalization", axis)
        self.rms_scaling = check_bool("LayerNormalization", "rms_scaling", rms_scaling)
        if self.rms_scaling:  # Keras: gamma only
            self.scale, self.center = True, False
            self._given_affine = (bool(scale), bool(center))
        else:
            self._given_affine = (self.scale, self.center)

    def _axes(self, shape) -> list[int]:
        axes = self.axis if isinstance(self.axis, list) else [self.axis]
        return sorted(self._resolve_axis(a, shape) for a in axes)

    def validate_input_shape(self, input_shape):
        for axis in self._axes(input_shape):
            if input_shape[axis] is None:
                raise ValueError(f"layer '{self.name}' (LayerNormalization) needs a fixed size on axis {axis}, "
                                 f"got shape {tuple(input_shape)}")

    def build(self, input_shape):
        self._reduce = self._axes(input_shape)
        self._add_affine(tuple(input_shape[a] for a in self._reduce))

    def check_built_sizes(self, shape):
        for axis in self._reduce:
            if shape[axis] != self.input_shape_[axis]:
                raise ValueError(f"layer '{self.name}' (LayerNormalization) was built for inputs of shape "
                                 f"{tuple(self.input_shape_)}, got shape {tuple(shape)}")

    def call(self, inputs, training=False, mask=None):
        view = [inputs.shape[a] if a in self._reduce else 1 for a in range(inputs.dim())]
        gamma = self.gamma.reshape(view) if self.scale else None
        beta = self.beta.reshape(view) if self.center else None
        if self.rms_scaling:
            return inputs * torch.rsqrt(inputs.square().mean(dim=self._reduce, keepdim=True) + self.epsilon) * gamma
        mean = inputs.mean(dim=self._reduce, keepdim=True)
        variance = inputs.var(dim=self._reduce, unbiased=False, keepdim=True)
        return normalize(inputs, mean, variance, self.epsilon, gamma, beta)

    def get_config(self):
        config = {**super().get_config(), "axis": self.axis, **self._affine_config(), "rms_scaling": self.rms_scaling}
        config["scale"], config["center"] = self._given_affine
        return config


class GroupNormalization(_AffineNormalization):
    """Splits the channels (``axis``) into ``groups`` and normalizes each group of each sample
    over its channels and all other non-batch axes (time): LayerNormalization is
    ``groups=1``, InstanceNormalization ``groups=-1`` (one channel per group).

    Args:
        groups: number of groups; must divide the number of channels (``-1``: one per channel).
        axis: the channel axis (default the last).
        epsilon, center, scale, beta_initializer, gamma_initializer, beta_regularizer,
        gamma_regularizer: as LayerNormalization; ``gamma``/``beta`` have shape ``(channels,)``.

    Input shape: ``(N, ..., channels)``. Output shape: the same.

    >>> import torch, seqlab
    >>> seqlab.layers.GroupNormalization(groups=2)(torch.randn(2, 5, 4)).shape
    torch.Size([2, 5, 4])
    """

    def __init__(self, groups: int = 32, axis: int = -1, epsilon: float = 1e-3, center: bool = True,
                 scale: bool = True, beta_initializer="zeros", gamma_initializer="ones",
                 beta_regularizer=None, gamma_regularizer=None, **kwargs):
        super().__init__(epsilon, center, scale, beta_initializer, gamma_initializer,
                         beta_regularizer, gamma_regularizer, **kwargs)
        self.groups = -1 if groups == -1 else check_int("GroupNormalization", "groups", groups)
        self.axis = _check_axis("GroupNormalization", axis)

    def validate_input_shape(self, input_shape):
        axis = self._resolve_axis(self.axis, input_shape)
        channels = input_shape[axis]
        if channels is None:
            raise ValueError(f"layer '{self.name}' (GroupNormalization) needs a fixed size on axis {self.axis}, "
                             f"got shape {tuple(input_shape)}")
        groups = channels if self.groups == -1 else self.groups
        if channels % groups:
            raise ValueError(f"layer '{self.name}' (GroupNormalization): `groups` {groups} must divide the "
                             f"{channels} channels on axis {self.axis}, got input of shape {tuple(input_shape)}")

    def build(self, input_shape):
        self._axis = self._resolve_axis(self.axis, input_shape)
        self._add_affine((input_shape[self._axis],))

    def check_built_sizes(self, shape):
        if shape[self._axis] != self.input_shape_[self._axis]:
            raise ValueError(f"layer '{self.name}' (GroupNormalization) was built for {self.input_shape_[self._axis]} "
                             f"channels on axis {self.axis}, got input of shape {tuple(shape)}")

    def call(self, inputs, training=False, mask=None):
        channels = inputs.shape[self._axis]
        groups = channels if self.groups == -1 else self.groups
        shape = list(inputs.shape)
        grouped = inputs.reshape(*shape[:self._axis], groups, channels // groups, *shape[self._axis + 1:])
        # statistics over every non-batch axis but the group axis: (N, ..., G, C/G, ...)
        axes = [a for a in range(1, grouped.dim()) if a != self._axis]
        mean = grouped.mean(dim=axes, keepdim=True)
        variance = grouped.var(dim=axes, unbiased=False, keepdim=True)
        normalized = normalize(grouped, mean, variance, self.epsilon).reshape(shape)
        gamma, beta = self._affine(inputs.dim(), [self._axis])
        if gamma is not None:
            normalized = normalized * gamma
        return normalized + beta if beta is not None else normalized

    def get_config(self):
        return {**super().get_config(), "groups": self.groups, "axis": self.axis, **self._affine_config()}


class UnitNormalization(Layer):
    """Rescales each sample to unit L2 norm along ``axis``: ``x / max(||x||, 1e-12)``.

    Args:
        axis: an axis or a list of axes (default the last).

    Input shape: any. Output shape: the same.

    >>> import torch, seqlab
    >>> seqlab.layers.UnitNormalization()(torch.tensor([[3.0, 4.0]])).tolist()
    [[0.6000000238418579, 0.800000011920929]]
    """

    supports_masking = True

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        if isinstance(axis, (list, tuple)):
            self.axis = [_check_axis("UnitNormalization", a) for a in axis]
        else:
            self.axis = _check_axis("UnitNormalization", axis)

    def check_built_sizes(self, shape):
        """Any sizes: the layer has no weights."""

    def call(self, inputs, training=False, mask=None):
        return l2_normalize(inputs, self.axis, epsilon=1e-12)  # Keras's UnitNormalization epsilon

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}
