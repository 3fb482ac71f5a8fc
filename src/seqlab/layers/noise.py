"""Noise and regularization layers, active only while training (Keras 3's
``keras.layers.regularization``): SpatialDropout1D, GaussianNoise, GaussianDropout, and
ActivityRegularization (a penalty on the output, the layer itself the identity).

A ``seed`` makes a layer's noise reproducible on its own: the layer draws from a generator
seeded once with it (Keras's ``SeedGenerator``), so it does not depend on other random draws.
Without a seed it draws from torch's global generator (seeded by ``seqlab.utils`` seeding).
"""
from __future__ import annotations

import math
import numbers

import torch

from seqlab.checks import check_rate, check_seed
from seqlab.errors import describe
from seqlab.layers.base import Layer
from seqlab.layers.seeded import SeededDraws
from seqlab.regularizers import L1L2


class _Noise(Layer):
    """Shared by the noise layers: the identity outside training; seeded draws."""

    supports_masking = True

    def __init__(self, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.seed = check_seed(type(self).__name__, "seed", seed)
        self.draws = SeededDraws(self.seed)

    def normal(self, shape, like: torch.Tensor, std: float) -> torch.Tensor:
        return self.draws.randn(shape, like) * std

    def check_built_sizes(self, shape):
        """Any sizes: the layer has no weights."""

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)


class SpatialDropout1D(_Noise):
    """Drops whole feature channels of a sequence while training: one draw per sample and
    feature, shared by every timestep (noise shape ``(N, 1, F)``); kept channels are scaled by
    ``1 / (1 - rate)``.

    Input shape: ``(N, T, F)``. Output shape: the same.

    >>> import torch, seqlab
    >>> out = seqlab.layers.SpatialDropout1D(0.5, seed=1)(torch.ones(1, 4, 6), training=True)
    >>> bool((out == out[:, :1]).all())  # the same channels dropped at every step
    True
    """

    input_ndim = 3

    def __init__(self, rate: float, seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.rate = check_rate("SpatialDropout1D", "rate", rate)

    def rank_error(self, shape):
        return ValueError(f"layer '{self.name}' (SpatialDropout1D) expects 3-D input (batch, timesteps, "
                          f"features), got shape {tuple(shape)}")

    def call(self, inputs, training=False, mask=None):
        if not training or self.rate == 0.0:
            return inputs
        shape = (inputs.shape[0], 1, inputs.shape[2])
        uniform = self.draws.rand(shape, inputs)
        keep = (uniform >= self.rate).to(inputs.dtype)
        return inputs * keep / (1.0 - self.rate)

    def get_config(self):
        return {**super().get_config(), "rate": self.rate, "seed": self.seed}


class GaussianNoise(_Noise):
    """Adds zero-centred Gaussian noise of standard deviation ``stddev`` while training.

    Args:
        stddev: the noise's standard deviation, in [0, 1] (Keras's range).
        seed: makes the noise reproducible.

    Input shape: any. Output shape: the same.

    >>> import torch, seqlab
    >>> seqlab.layers.GaussianNoise(0.1)(torch.ones(2, 3), training=False).sum().item()
    6.0
    """

    def __init__(self, stddev: float, seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        if isinstance(stddev, bool) or not isinstance(stddev, numbers.Real):
            raise TypeError(f"GaussianNoise: `stddev` must be a number in [0, 1], got {describe(stddev)}")
        if not 0.0 <= stddev <= 1.0:
            raise ValueError(f"GaussianNoise: `stddev` must be a number in [0, 1], got {stddev}")
        self.stddev = float(stddev)

    def call(self, inputs, training=False, mask=None):
        if not training or self.stddev == 0.0:
            return inputs
        return inputs + self.normal(inputs.shape, inputs, self.stddev)

    def get_config(self):
        return {**super().get_config(), "stddev": self.stddev, "seed": self.seed}


class GaussianDropout(_Noise):
    """Multiplies the inputs by Gaussian noise of mean 1 and standard deviation
    ``sqrt(rate / (1 - rate))`` while training (Keras's formula): dropout's variance, without zeros.

    Input shape: any. Output shape: the same.

    >>> import torch, seqlab
    >>> seqlab.layers.GaussianDropout(0.2)(torch.ones(2, 3), training=False).sum().item()
    6.0
    """

    def __init__(self, rate: float, seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.rate = check_rate("GaussianDropout", "rate", rate)

    def call(self, inputs, training=False, mask=None):
        if not training or self.rate == 0.0:
            return inputs
        return inputs * (1.0 + self.normal(inputs.shape, inputs, math.sqrt(self.rate / (1.0 - self.rate))))

    def get_config(self):
        return {**super().get_config(), "rate": self.rate, "seed": self.seed}


class ActivityRegularization(Layer):
    """The identity, with the penalty ``l1 * sum(|x|) + l2 * sum(x**2)`` on its input added to
    the loss (Keras: ``activity_regularizer=L1L2(l1, l2)``, divided by the batch size).

    Input shape: any. Output shape: the same.

    >>> import torch, seqlab
    >>> layer = seqlab.layers.ActivityRegularization(l2=0.5)
    >>> _ = layer(torch.ones(2, 3))
    >>> [round(t.item(), 4) for t in layer.losses]  # 0.5 * 6 / batch of 2
    [1.5]
    """

    supports_masking = True

    def __init__(self, l1: float = 0.0, l2: float = 0.0, **kwargs):
        kwargs.pop("activity_regularizer", None)  # Keras: the layer's own l1/l2 decide it
        regularizer = L1L2(l1=l1, l2=l2)  # checks the factors ("L1L2: `l1` must be ...")
        super().__init__(activity_regularizer=regularizer, **kwargs)
        self.l1, self.l2 = regularizer.l1, regularizer.l2

    def call(self, inputs, training=False, mask=None):
        return inputs

    def check_built_sizes(self, shape):
        """Any sizes: the layer has no weights."""

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config.pop("activity_regularizer", None)
        return {**config, "l1": self.l1, "l2": self.l2}
