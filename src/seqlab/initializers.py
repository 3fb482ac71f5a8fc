"""Weight initialisers with Keras's names, defaults and fan arithmetic.

Each initialiser is called with a shape in *Keras's layout* (for a kernel: ``(fan_in, fan_out)``;
for a convolution kernel: ``(*kernel_size, in_channels, filters)``) so the fans, and therefore
the scales, are the ones Keras uses. A layer that stores a weight transposed for torch's kernels
initialises it in Keras's layout and transposes.
"""
from __future__ import annotations

import math

import torch

from seqlab.errors import describe


def _fans(shape: tuple[int, ...]) -> tuple[int, int]:
    if len(shape) == 0:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    if len(shape) == 2:
        return shape[0], shape[1]
    receptive = math.prod(shape[:-2])
    return shape[-2] * receptive, shape[-1] * receptive


class Initializer:
    """Base class: ``init(shape, dtype)`` returns a new tensor; ``get_config`` is JSON."""

    def __call__(self, shape, dtype=None) -> torch.Tensor:
        raise NotImplementedError

    def get_config(self) -> dict:
        return {}

    @classmethod
    def from_config(cls, config: dict) -> "Initializer":
        return cls(**config)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


class Zeros(Initializer):
    def __call__(self, shape, dtype=None):
        return torch.zeros(tuple(shape), dtype=dtype)


class Ones(Initializer):
    def __call__(self, shape, dtype=None):
        return torch.ones(tuple(shape), dtype=dtype)


class Constant(Initializer):
    def __init__(self, value: float = 0.0):
        self.value = float(value)

    def __call__(self, shape, dtype=None):
        return torch.full(tuple(shape), self.value, dtype=dtype)

    def get_config(self):
        return {"value": self.value}


class RandomNormal(Initializer):
    """Normal draws; Keras's default spread is ``stddev=0.05``.

    The notes' "initialize weights from N(0, 1)" is ``RandomNormal(stddev=1.0)``.
    """

    def __init__(self, mean: float = 0.0, stddev: float = 0.05):
        self.mean, self.stddev = float(mean), float(stddev)

    def __call__(self, shape, dtype=None):
        return torch.empty(tuple(shape), dtype=dtype).normal_(self.mean, self.stddev)

    def get_config(self):
        return {"mean": self.mean, "stddev": self.stddev}


class RandomUniform(Initializer):
    def __init__(self, minval: float = -0.05, maxval: float = 0.05):
        self.minval, self.maxval = float(minval), float(maxval)

    def __call__(self, shape, dtype=None):
        return torch.empty(tuple(shape), dtype=dtype).uniform_(self.minval, self.maxval)

    def get_config(self):
        return {"minval": self.minval, "maxval": self.maxval}


class GlorotUniform(Initializer):
    """Uniform on ``[-limit, limit]``, ``limit = sqrt(6 / (fan_in + fan_out))``."""

    def __call__(self, shape, dtype=None):
        fan_in, fan_out = _fans(tuple(shape))
        limit = math.sqrt(6.0 / (fan_in + fan_out))
        return torch.empty(tuple(shape), dtype=dtype).uniform_(-limit, limit)


class GlorotNormal(Initializer):
    def __call__(self, shape, dtype=None):
        fan_in, fan_out = _fans(tuple(shape))
        return _truncated_normal(shape, math.sqrt(2.0 / (fan_in + fan_out)), dtype)


class HeNormal(Initializer):
    """Truncated normal with ``stddev = sqrt(2 / fan_in)``, as Keras."""

    def __call__(self, shape, dtype=None):
        fan_in, _ = _fans(tuple(shape))
        return _truncated_normal(shape, math.sqrt(2.0 / fan_in), dtype)


class HeUniform(Initializer):
    def __call__(self, shape, dtype=None):
        fan_in, _ = _fans(tuple(shape))
        limit = math.sqrt(6.0 / fan_in)
        return torch.empty(tuple(shape), dtype=dtype).uniform_(-limit, limit)


class Orthogonal(Initializer):
    def __init__(self, gain: float = 1.0):
        self.gain = float(gain)

    def __call__(self, shape, dtype=None):
        shape = tuple(shape)
        # Keras flattens a kernel of rank > 2 to (prod(shape[:-1]), shape[-1]) — the columns
        # are the output units, e.g. a ConvLSTM recurrent kernel (k, k, F, 4F) -> (k*k*F, 4F);
        # torch's orthogonal_ would flatten to (shape[0], rest). Rank <= 2 is unchanged.
        flat = shape if len(shape) <= 2 else (math.prod(shape[:-1]), shape[-1])
        weight = torch.empty(flat, dtype=dtype)
        return torch.nn.init.orthogonal_(weight, gain=self.gain).reshape(shape)

    def get_config(self):
        return {"gain": self.gain}


def _truncated_normal(shape, stddev: float, dtype) -> torch.Tensor:
    # Keras truncates at two standard deviations and rescales by 1/0.8796 so the spread of
    # the truncated draw equals `stddev`.
    weight = torch.empty(tuple(shape), dtype=dtype)
    scaled = stddev / 0.87962566103423978
    return torch.nn.init.trunc_normal_(weight, 0.0, scaled, -2 * scaled, 2 * scaled)


_BY_NAME: dict[str, type[Initializer]] = {
    "zeros": Zeros,
    "ones": Ones,
    "constant": Constant,
    "random_normal": RandomNormal,
    "normal": RandomNormal,
    "random_uniform": RandomUniform,
    "uniform": RandomUniform,
    "glorot_uniform": GlorotUniform,
    "glorot_normal": GlorotNormal,
    "he_normal": HeNormal,
    "he_uniform": HeUniform,
    "orthogonal": Orthogonal,
}
_BY_CLASS = {cls.__name__: cls for cls in _BY_NAME.values()}


def get(identifier) -> Initializer:
    """Resolve a name, a ``{'class_name', 'config'}`` dict or an instance."""
    if isinstance(identifier, Initializer):
        return identifier
    if isinstance(identifier, str):
        try:
            return _BY_NAME[identifier]()
        except KeyError:
            raise ValueError(
                f"unknown initializer {identifier!r}; expected one of {sorted(_BY_NAME)}"
            ) from None
    if isinstance(identifier, dict) and identifier.get("class_name") in _BY_CLASS:
        return _BY_CLASS[identifier["class_name"]].from_config(identifier.get("config", {}))
    raise TypeError(
        f"initializer must be a name or an Initializer, got {type(identifier).__name__} "
        f"{describe(identifier)}"
    )


def serialize(init: Initializer):
    """A name when the initialiser has default settings, else a class/config dict."""
    for name, cls in _BY_NAME.items():
        if type(init) is cls and init.get_config() == cls().get_config():
            return name
    return {"class_name": type(init).__name__, "config": init.get_config()}
