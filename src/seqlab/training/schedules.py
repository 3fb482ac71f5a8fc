"""Keras's learning-rate schedules: ``Adam(learning_rate=ExponentialDecay(1e-3, 1000, 0.9))``.

A schedule maps the optimizer's step count (updates taken so far, starting at 0) to the
learning rate of the next update, exactly as ``keras.optimizers.schedules`` does; the formulas
below are Keras 3's. Schedules are plain objects with a JSON config, so a saved model keeps its
schedule and, with the optimizer's step count, resumes it where it stopped.

>>> schedule = ExponentialDecay(0.1, decay_steps=10, decay_rate=0.5)
>>> schedule(0), schedule(10), schedule(20)
(0.1, 0.05, 0.025)
"""
from __future__ import annotations

import math

from seqlab.errors import describe


class LearningRateSchedule:
    """Base class: ``schedule(step) -> learning rate``; subclasses define ``__call__``."""

    def __call__(self, step: int) -> float:
        raise NotImplementedError

    def get_config(self) -> dict:
        raise NotImplementedError

    @classmethod
    def from_config(cls, config: dict) -> "LearningRateSchedule":
        return cls(**config)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({', '.join(f'{k}={v!r}' for k, v in self.get_config().items())})"


def _number(owner, argument, value, minimum=None, strictly=False) -> float:
    name = type(owner).__name__
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise TypeError(f"{name}: `{argument}` must be a number, got {describe(value)}")
    if minimum is not None and (value < minimum or (strictly and value == minimum)):
        relation = ">" if strictly else ">="
        raise ValueError(f"{name}: `{argument}` must be {relation} {minimum}, got {value}")
    return float(value)


class _StepDecay(LearningRateSchedule):
    """Decay by ``step / decay_steps`` (floored with ``staircase=True``); subclasses say how."""

    def __init__(self, initial_learning_rate, decay_steps, decay_rate, staircase=False, name=None):
        self.initial_learning_rate = _number(self, "initial_learning_rate", initial_learning_rate, 0)
        self.decay_steps = _number(self, "decay_steps", decay_steps, 0, strictly=True)
        self.decay_rate = _number(self, "decay_rate", decay_rate, 0)
        self.staircase = bool(staircase)
        self.name = name or type(self).__name__

    def __call__(self, step):
        progress = step / self.decay_steps
        return self._decayed(math.floor(progress) if self.staircase else progress)

    def _decayed(self, progress: float) -> float:
        raise NotImplementedError

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate, "decay_steps": self.decay_steps,
                "decay_rate": self.decay_rate, "staircase": self.staircase, "name": self.name}


class ExponentialDecay(_StepDecay):
    """``initial_learning_rate * decay_rate ** (step / decay_steps)`` (the exponent floored
    with ``staircase=True``)."""

    def _decayed(self, progress):
        return self.initial_learning_rate * self.decay_rate ** progress


class InverseTimeDecay(_StepDecay):
    """``initial_learning_rate / (1 + decay_rate * step / decay_steps)`` (the ratio floored with
    ``staircase=True``)."""

    def _decayed(self, progress):
        return self.initial_learning_rate / (1 + self.decay_rate * progress)


class PiecewiseConstantDecay(LearningRateSchedule):
    """``values[0]`` up to and including step ``boundaries[0]``, ``values[1]`` up to
    ``boundaries[1]``, ..., ``values[-1]`` after the last boundary."""

    def __init__(self, boundaries, values, name="PiecewiseConstant"):
        boundaries, values = list(boundaries), list(values)
        if len(values) != len(boundaries) + 1:
            raise ValueError(
                f"PiecewiseConstantDecay: `values` must have one more entry than `boundaries`, "
                f"got {len(values)} values for {len(boundaries)} boundaries"
            )
        if boundaries != sorted(boundaries):
            raise ValueError(f"PiecewiseConstantDecay: `boundaries` must increase, got {boundaries}")
        self.boundaries = [_number(self, "boundaries", b) for b in boundaries]
        self.values = [_number(self, "values", v, 0) for v in values]
        self.name = name

    def __call__(self, step):
        for boundary, value in zip(self.boundaries, self.values):
            if step <= boundary:
                return value
        return self.values[-1]

    def get_config(self):
        return {"boundaries": self.boundaries, "values": self.values, "name": self.name}


class PolynomialDecay(LearningRateSchedule):
    """From ``initial_learning_rate`` to ``end_learning_rate`` over ``decay_steps`` along
    ``(1 - step / decay_steps) ** power``; held at the end, or restarted with ``cycle=True``."""

    def __init__(self, initial_learning_rate, decay_steps, end_learning_rate=0.0001, power=1.0,
                 cycle=False, name="PolynomialDecay"):
        self.initial_learning_rate = _number(self, "initial_learning_rate", initial_learning_rate, 0)
        self.decay_steps = _number(self, "decay_steps", decay_steps, 0, strictly=True)
        self.end_learning_rate = _number(self, "end_learning_rate", end_learning_rate, 0)
        self.power = _number(self, "power", power)
        self.cycle = bool(cycle)
        self.name = name

    def __call__(self, step):
        decay_steps = self.decay_steps
        if self.cycle:
            # the first multiple of decay_steps at or beyond step (1 at step 0), as Keras
            decay_steps *= 1.0 if step == 0 else math.ceil(step / decay_steps)
        else:
            step = min(step, decay_steps)
        remaining = 1 - step / decay_steps
        return (self.initial_learning_rate - self.end_learning_rate) * remaining ** self.power + self.end_learning_rate

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate, "decay_steps": self.decay_steps,
                "end_learning_rate": self.end_learning_rate, "power": self.power, "cycle": self.cycle,
                "name": self.name}


class CosineDecay(LearningRateSchedule):
    """Optional linear warm-up from ``initial_learning_rate`` to ``warmup_target`` over
    ``warmup_steps``, then a cosine from there down to ``alpha`` times it over ``decay_steps``."""

    def __init__(self, initial_learning_rate, decay_steps, alpha=0.0, name="CosineDecay",
                 warmup_target=None, warmup_steps=0):
        self.initial_learning_rate = _number(self, "initial_learning_rate", initial_learning_rate, 0)
        self.decay_steps = _number(self, "decay_steps", decay_steps, 0, strictly=True)
        self.alpha = _number(self, "alpha", alpha, 0)
        self.warmup_target = None if warmup_target is None else _number(self, "warmup_target", warmup_target, 0)
        self.warmup_steps = _number(self, "warmup_steps", warmup_steps, 0)
        self.name = name

    def __call__(self, step):
        if self.warmup_target is None:
            return self._decay(min(step, self.decay_steps), self.initial_learning_rate)
        step = min(step, self.decay_steps + self.warmup_steps)
        if step < self.warmup_steps:
            fraction = step / self.warmup_steps
            return (self.warmup_target - self.initial_learning_rate) * fraction + self.initial_learning_rate
        return self._decay(step - self.warmup_steps, self.warmup_target)

    def _decay(self, step, start):
        cosine = 0.5 * (1.0 + math.cos(math.pi * step / self.decay_steps))
        return start * ((1 - self.alpha) * cosine + self.alpha)

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate, "decay_steps": self.decay_steps,
                "alpha": self.alpha, "name": self.name, "warmup_target": self.warmup_target,
                "warmup_steps": self.warmup_steps}


_CLASSES = {cls.__name__: cls for cls in (ExponentialDecay, InverseTimeDecay, PiecewiseConstantDecay,
                                          PolynomialDecay, CosineDecay)}


def serialize(schedule: LearningRateSchedule) -> dict:
    return {"class_name": type(schedule).__name__, "config": schedule.get_config()}


def deserialize(spec: dict) -> LearningRateSchedule:
    """Rebuild from :func:`serialize` (a known class and its settings: no stored code runs)."""
    cls = _CLASSES.get(spec.get("class_name")) if isinstance(spec, dict) else None
    if cls is None:
        raise ValueError(
            f"unknown learning-rate schedule {describe(spec)}; known schedules: {sorted(_CLASSES)}"
        )
    return cls.from_config(dict(spec.get("config", {})))
