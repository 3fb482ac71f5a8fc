"""The optimizer base class and its engine (parameter groups + state), shared by every rule.

See :mod:`seqlab.training.optimizers` for the rules (Adam, SGD, RMSprop, Adagrad, AdamW).
"""
from __future__ import annotations

import math
import numbers

import torch

from seqlab.errors import describe
from seqlab.training import schedules


class _Engine:
    """Parameter groups and per-parameter state, with torch's ``state_dict`` format.

    Not a ``torch.optim.Optimizer`` on purpose: constructing the first one imports
    ``torch._dynamo``, which costs 1.5-3 s per process on this project's machines, for
    machinery (hooks, profiler records, compile guards) seqlab does not use.
    """

    def __init__(self, params, defaults: dict, owner: "Optimizer"):
        self.param_groups = [{**defaults, "params": list(params), "iterations": 0}]
        self.state: dict = {}
        self.owner = owner

    @torch.no_grad()
    def apply(self) -> None:
        """One update of every parameter that has a gradient."""
        for group in self.param_groups:
            params = [p for p in group["params"] if p.grad is not None]
            if not params:
                continue
            schedule = self.owner.schedule
            if schedule is not None:  # Keras: the rate of this update is schedule(updates so far)
                group["lr"] = schedule(group["iterations"])
            group["iterations"] += 1
            grads = self.owner._clip([p.grad for p in params])
            if group.get("weight_decay"):
                # Keras decays before the update, by lr * weight_decay (decoupled, as AdamW).
                torch._foreach_mul_(params, 1.0 - group["lr"] * group["weight_decay"])
            states = [self.state.setdefault(p, {}) for p in params]
            if not states[0]:
                for state, p in zip(states, params):
                    self.owner._init_state(state, p)
            self.owner._update(group, params, grads, states)

    step = apply

    def zero_grad(self, set_to_none: bool = True) -> None:
        for group in self.param_groups:
            for parameter in group["params"]:
                parameter.grad = None

    def follow_parameters(self) -> None:
        """Move the state to each parameter's device and dtype (after ``model.to(...)``)."""
        for parameter, slots in self.state.items():
            for slot, value in slots.items():
                if not isinstance(value, torch.Tensor):
                    continue
                dtype = parameter.dtype if value.is_floating_point() else value.dtype
                if value.device != parameter.device or value.dtype != dtype:
                    slots[slot] = value.to(device=parameter.device, dtype=dtype)

    def state_dict(self) -> dict:
        """``{'state': {index: {slot: tensor}}, 'param_groups': [{..., 'params': [index]}]}``."""
        index = {}
        groups = []
        for group in self.param_groups:
            ids = []
            for parameter in group["params"]:
                index[parameter] = len(index)
                ids.append(index[parameter])
            groups.append({**{k: v for k, v in group.items() if k != "params"}, "params": ids})
        state = {index[p]: dict(slots) for p, slots in self.state.items() if p in index}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict) -> None:
        """Restore from :meth:`state_dict`; tensors go to each parameter's device and dtype."""
        groups = state_dict["param_groups"]
        if len(groups) != len(self.param_groups) or any(
            len(saved["params"]) != len(group["params"]) for saved, group in zip(groups, self.param_groups)
        ):
            raise ValueError("the saved optimizer state has a different number of parameters")
        by_index = {}
        for saved, group in zip(groups, self.param_groups):
            for index, parameter in zip(saved["params"], group["params"]):
                by_index[index] = parameter
            group.update({k: v for k, v in saved.items() if k != "params"})
        self.state = {}
        for index, slots in state_dict["state"].items():
            parameter = by_index[int(index)]
            self.state[parameter] = {
                slot: value.to(device=parameter.device,
                               dtype=parameter.dtype if value.is_floating_point() else value.dtype)
                if isinstance(value, torch.Tensor) else value
                for slot, value in slots.items()
            }


class Optimizer:
    """Base class of the Keras-style optimizers.

    Args:
        learning_rate: step size (a positive number), or a schedule from
            :mod:`seqlab.optimizers.schedules` evaluated at every update.
        clipnorm: clip each gradient to this L2 norm (Keras semantics: per variable).
        clipvalue: clip every gradient value to ``[-clipvalue, clipvalue]``.
        global_clipnorm: clip all gradients together to this global L2 norm.
        weight_decay: decoupled weight decay (``p -= lr * weight_decay * p`` before the update).
        name: a label for configs.
    """

    _defaults: dict = {}

    def __init__(self, learning_rate=0.001, *, clipnorm=None, clipvalue=None, global_clipnorm=None,
                 weight_decay=None, name: str | None = None, **settings):
        self.schedule = learning_rate if isinstance(learning_rate, schedules.LearningRateSchedule) else None
        if self.schedule is not None:
            self._learning_rate = float(self.schedule(0))
        else:
            self._learning_rate = _non_negative(self, "learning_rate", learning_rate)  # 0 freezes, as in Keras
        if clipnorm is not None and global_clipnorm is not None:
            raise ValueError(
                f"{type(self).__name__}: only one of `clipnorm` and `global_clipnorm` can be set, "
                f"got clipnorm={clipnorm} and global_clipnorm={global_clipnorm}"
            )
        self.clipnorm = None if clipnorm is None else _positive(self, "clipnorm", clipnorm)
        self.clipvalue = None if clipvalue is None else _positive(self, "clipvalue", clipvalue)
        self.global_clipnorm = None if global_clipnorm is None else _positive(self, "global_clipnorm", global_clipnorm)
        self.weight_decay = None if weight_decay is None else _non_negative(self, "weight_decay", weight_decay)
        unknown = sorted(set(settings) - set(self._defaults))
        if unknown:  # as Keras ("Argument(s) not recognized"): a misspelt setting is never ignored
            raise TypeError(
                f"{type(self).__name__}() got unexpected keyword arguments {unknown}; it takes "
                f"learning_rate, clipnorm, clipvalue, global_clipnorm, weight_decay, name"
                + "".join(f", {key}" for key in self._defaults)
            )
        self.name = name or type(self).__name__.lower()
        self.settings = {**self._defaults, **settings}
        self.engine: _Engine | None = None
        self.param_names: list[str] = []
        self._model_id: int | None = None  # the model whose weights it updates, once built

    # ---- life cycle --------------------------------------------------------------------------
    def build(self, named_parameters) -> None:
        """Attach to ``[(name, parameter), ...]`` and create the engine holding the state."""
        named = list(named_parameters)
        self.param_names = [name for name, _ in named]
        defaults = {"lr": self._learning_rate, "weight_decay": self.weight_decay or 0.0, **self.settings}
        self.engine = _Engine([p for _, p in named], defaults, owner=self)

    @property
    def built(self) -> bool:
        return self.engine is not None

    def zero_grad(self) -> None:
        self.engine.zero_grad()

    def step(self) -> None:
        self.engine.step()

    def scale_loss(self, loss: torch.Tensor) -> torch.Tensor:
        """The loss to differentiate (Keras 3's hook): itself, or scaled by a LossScaleOptimizer."""
        return loss

    @property
    def learning_rate(self) -> float:
        """The rate the next update will use (with a schedule: its value at this step)."""
        if self.schedule is not None:
            return float(self.schedule(self.iterations))
        if self.engine is not None:
            return float(self.engine.param_groups[0]["lr"])
        return self._learning_rate

    @learning_rate.setter
    def learning_rate(self, value) -> None:
        if self.schedule is not None:
            raise TypeError(
                f"{type(self).__name__}: the learning rate follows the schedule "
                f"{type(self.schedule).__name__} given as `learning_rate`, so it cannot be set "
                "(ReduceLROnPlateau and LearningRateScheduler need a constant learning_rate)"
            )
        self._learning_rate = _positive(self, "learning_rate", value, allow_zero=True)
        if self.engine is not None:
            for group in self.engine.param_groups:
                group["lr"] = self._learning_rate

    lr = learning_rate  # Keras 2's name

    @property
    def iterations(self) -> int:
        """Number of update steps taken so far."""
        if self.engine is None:
            return 0
        return int(self.engine.param_groups[0].get("iterations", 0))

    # ---- the rule (subclasses) ---------------------------------------------------------------
    def _init_state(self, state: dict, param: torch.Tensor) -> None:
        """Create the per-parameter slots (moments, accumulators)."""

    def _update(self, group: dict, params, grads, states) -> None:
        raise NotImplementedError

    def _clip(self, grads: list[torch.Tensor]) -> list[torch.Tensor]:
        if self.clipvalue is not None:
            grads = [g.clamp(-self.clipvalue, self.clipvalue) for g in grads]
        if self.clipnorm is not None:
            norms = torch._foreach_norm(grads)
            grads = [g * (self.clipnorm / torch.maximum(n, g.new_tensor(self.clipnorm))) for g, n in zip(grads, norms)]
        if self.global_clipnorm is not None:
            total = torch.linalg.vector_norm(torch.stack(torch._foreach_norm(grads)))
            scale = self.global_clipnorm / torch.maximum(total, total.new_tensor(self.global_clipnorm))
            grads = torch._foreach_mul(grads, scale)
        return grads

    # ---- config ------------------------------------------------------------------------------
    def get_config(self) -> dict:
        learning_rate = schedules.serialize(self.schedule) if self.schedule is not None else self.learning_rate
        config = {"learning_rate": learning_rate, "name": self.name}
        for key in ("clipnorm", "clipvalue", "global_clipnorm", "weight_decay"):
            if getattr(self, key) is not None:
                config[key] = getattr(self, key)
        return {**config, **self.settings}

    @classmethod
    def from_config(cls, config: dict) -> "Optimizer":
        if isinstance(config.get("learning_rate"), dict):
            config = {**config, "learning_rate": schedules.deserialize(config["learning_rate"])}
        return cls(**config)

    def __repr__(self) -> str:
        rate = self.schedule if self.schedule is not None else f"{self.learning_rate:g}"
        return f"{type(self).__name__}(learning_rate={rate})"


def _jsonable(mapping: dict) -> dict:
    out = {}
    for key, value in mapping.items():
        if isinstance(value, tuple):
            value = list(value)
        if value is None or isinstance(value, (bool, int, float, str, list)):
            out[key] = value
    return out


def _positive(owner, argument, value, allow_zero: bool = False) -> float:
    name = type(owner).__name__
    expected = "a number >= 0" if allow_zero else "a positive number"
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name}: `{argument}` must be {expected}, got {describe(value)}")
    if not math.isfinite(value) or value < 0 or (value == 0 and not allow_zero):
        raise ValueError(f"{name}: `{argument}` must be {expected}, got {value}")
    return float(value)


def _non_negative(owner, argument, value) -> float:
    return _positive(owner, argument, value, allow_zero=True)
