"""``Normalization``: feature-wise ``(x - mean) / sqrt(variance)``, learned by ``adapt``.

As ``keras/src/layers/preprocessing/normalization.py``: statistics per position of the kept
``axis`` (the last by default), reduced over every other axis; the divisor is
``max(sqrt(variance), 1e-7)``; ``invert=True`` maps back, ``mean + x * max(sqrt(variance), 1e-7)``.
Adapted statistics are the non-trainable weights ``mean``, ``variance`` and ``count``
(``get_weights()`` order), saved in the safetensors file; a ``mean``/``variance`` given to
``__init__`` lives in the config and makes no weights, as in Keras.
"""
from __future__ import annotations

import numbers

import numpy as np
import torch

from seqlab.checks import check_bool
from seqlab.errors import describe
from seqlab.layers.preprocessing.base import PreprocessingLayer, adapt_batches

EPSILON = 1e-7  # Keras's backend.epsilon()


class Normalization(PreprocessingLayer):
    """Shifts and scales inputs to zero mean and unit variance per feature.

    Args:
        axis: the axis (or axes) that keep their own statistics; None for one mean and
            variance over everything.
        mean, variance: the statistics, instead of ``adapt`` (both or neither).
        invert: undo the normalization instead.

    Input shape:
        Any shape ``(batch, ...)``, the kept axes of a fixed size.

    Output shape:
        Same as the input.

    Keras's docstring example, same answer:

    >>> layer = Normalization(axis=-1)
    >>> layer.adapt(np.array([[0., 7., 4.], [2., 9., 6.], [0., 7., 4.], [2., 9., 6.]]))
    >>> layer(np.array([[0., 7., 4.]])).tolist()
    [[-1.0, -1.0, -1.0]]
    """

    supports_masking = True

    def __init__(self, axis=-1, mean=None, variance=None, invert=False, **kwargs):
        super().__init__(**kwargs)
        owner = type(self).__name__
        if axis is None:
            axis = ()
        elif isinstance(axis, numbers.Integral) and not isinstance(axis, bool):
            axis = (int(axis),)
        elif isinstance(axis, (tuple, list)) and all(isinstance(a, numbers.Integral) for a in axis):
            axis = tuple(int(a) for a in axis)
        else:
            raise TypeError(f"{owner}: `axis` must be an integer, a tuple of integers or None, got {describe(axis)}")
        self.axis = axis
        if (mean is None) != (variance is None):
            raise ValueError(f"{owner}: give both `mean` and `variance` or neither, got mean={describe(mean)} "
                             f"and variance={describe(variance)}")
        if mean is not None:
            if np.shape(mean) != np.shape(variance):
                raise ValueError(f"{owner}: `mean` and `variance` must have the same shape, got "
                                 f"{np.shape(mean)} and {np.shape(variance)}")
            if np.ndim(mean) > len(axis):
                raise ValueError(f"{owner}: `mean` has {np.ndim(mean)} axes, more than the {len(axis)} kept "
                                 f"axes (axis={axis})")
            if np.any(np.asarray(variance) < 0):
                raise ValueError(f"{owner}: `variance` must be non-negative, got {describe(variance)}")
        self.input_mean, self.input_variance = mean, variance
        self.invert = check_bool(owner, "invert", invert)

    def validate_input_shape(self, input_shape):
        ndim = len(input_shape)
        if any(a < -ndim or a >= ndim for a in self.axis):
            raise ValueError(f"{self.describe_self()}: `axis` {self.axis} is out of range for {ndim}-D input "
                             f"of shape {tuple(input_shape)}")
        for a in self.keep_axes(ndim):
            if input_shape[a] is None:
                raise ValueError(f"{self.describe_self()}: the kept axis {a} of input shape {tuple(input_shape)} "
                                 "must have a known size")

    def keep_axes(self, ndim: int) -> tuple:
        return tuple(sorted(a % ndim for a in self.axis))

    def build(self, input_shape):
        ndim = len(input_shape)
        keep = self.keep_axes(ndim)
        self._reduce = tuple(d for d in range(ndim) if d not in keep)
        self._broadcast = [input_shape[d] if d in keep else 1 for d in range(ndim)]
        stats_shape = tuple(input_shape[d] for d in keep)
        dtype = self.torch_dtype
        if self.input_mean is None:
            self.add_state("mean", torch.zeros(stats_shape, dtype=dtype))
            self.add_state("variance", torch.ones(stats_shape, dtype=dtype))
            self.add_state("count", torch.zeros((), dtype=torch.int64))
        else:  # given statistics: constants from the config, broadcast right to left on the kept axes
            for name, value in (("_given_mean", self.input_mean), ("_given_variance", self.input_variance)):
                value = np.asarray(value, dtype=np.float64)
                shape = [1] * ndim
                for i in range(1, value.ndim + 1):
                    shape[keep[-i]] = value.shape[-i]
                value = np.broadcast_to(value.reshape(shape), self._broadcast)
                self.register_buffer(name, torch.as_tensor(value.copy(), dtype=dtype), persistent=False)

    def check_built_sizes(self, shape):
        for a in self.keep_axes(len(shape)):
            if shape[a] != self.input_shape_[a]:
                raise ValueError(f"{self.describe_self()} was built for input shape {self.input_shape_}, got "
                                 f"input of shape {tuple(shape)} (axis {a} differs)")

    def adapt(self, data) -> None:
        """Learn the mean and variance of ``data`` (an array, or an iterable of batches)."""
        batches = [np.asarray(b, dtype=np.float64) for b in adapt_batches(self, data, "its mean and variance")]
        if self.input_mean is not None:
            raise ValueError(f"{self.describe_self()} was given `mean` and `variance`; adapt would replace "
                             "them (make the layer without them to adapt it)")
        if not self.built:
            self.build_from_shape((None, *batches[0].shape[1:]))
        count, mean, variance = 0, 0.0, 0.0
        for batch in batches:
            self.check_rank(batch.shape)
            self.check_built_sizes(batch.shape)
            n = int(np.prod([batch.shape[d] for d in self._reduce])) if self._reduce else 1
            if n == 0:
                continue
            batch_mean = batch.mean(axis=self._reduce)
            batch_variance = batch.var(axis=self._reduce)
            # Two groups' population variance combined (Keras's lack-of-fit formula): exact in float64.
            total = count + n
            new_mean = mean + (batch_mean - mean) * (n / total)
            variance = ((variance + (mean - new_mean) ** 2) * (count / total)
                        + (batch_variance + (batch_mean - new_mean) ** 2) * (n / total))
            mean, count = new_mean, total
        self.add_state("mean", torch.as_tensor(mean, dtype=self.torch_dtype).reshape(self.mean.shape))
        self.add_state("variance", torch.as_tensor(variance, dtype=self.torch_dtype).reshape(self.variance.shape))
        self.add_state("count", torch.tensor(count, dtype=torch.int64))

    def call(self, inputs, training=False, mask=None):
        x = inputs.to(self.torch_dtype) if inputs.dtype != self.torch_dtype else inputs
        if self.input_mean is None:
            mean = self.mean.reshape(self._broadcast)
            variance = self.variance.reshape(self._broadcast)
        else:
            mean, variance = self._given_mean, self._given_variance
        scale = torch.clamp(torch.sqrt(variance), min=EPSILON)  # Keras: ops.maximum(sqrt(var), epsilon)
        if self.invert:
            return mean + x * scale
        return (x - mean) / scale

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update({"axis": list(self.axis), "invert": self.invert,
                       "mean": None if self.input_mean is None else np.asarray(self.input_mean).tolist(),
                       "variance": None if self.input_variance is None else np.asarray(self.input_variance).tolist()})
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["axis"] = tuple(config["axis"])
        return cls(**config)
