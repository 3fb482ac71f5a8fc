"""Optimizers with Keras's names, defaults and update rules.

``Adam(learning_rate=0.001)`` is a Keras-style settings object; ``build`` attaches it to a model's
parameters and creates its ``engine`` (parameter groups and state, saved in torch's
``state_dict`` format). The update rules are Keras's own, written with torch's multi-tensor
``_foreach`` ops: one call updates every parameter, which is faster than ``torch.optim.Adam`` on
small models and keeps Keras's epsilon placement:

- Adam (Keras): ``p -= lr * sqrt(1 - b2^t) / (1 - b1^t) * m / (sqrt(v) + eps)``; torch adds eps to
  the *bias-corrected* ``sqrt(v_hat)``. The two agree exactly for ``eps = 0`` (tested) and differ
  only while ``sqrt(v)`` is near ``eps``.
- RMSprop (Keras): ``p -= lr * g / sqrt(v + eps)``; torch uses ``sqrt(v) + eps``.
- Adagrad (Keras): starts its accumulator at 0.1 and divides by ``sqrt(acc + eps)``.

Nadam, Adamax, Adadelta and Lion are in :mod:`seqlab.training.optimizer_rules`; every rule is
registered here by name.
"""
from __future__ import annotations

import inspect
import math

import torch

from seqlab.errors import describe
from seqlab.training.loss_scale import LossScaleOptimizer
from seqlab.training.optimizer_base import Optimizer, _jsonable
from seqlab.training.optimizer_rules import Adadelta, Adamax, Lion, Nadam


class Adam(Optimizer):
    """Keras's Adam: ``Adam(learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, amsgrad=False)``.

    >>> Adam(learning_rate=0.01).get_config()['beta_2']
    0.999
    """

    _defaults = {"beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-7, "amsgrad": False}

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, amsgrad=False, **kwargs):
        super().__init__(learning_rate, beta_1=float(beta_1), beta_2=float(beta_2),
                         epsilon=float(epsilon), amsgrad=bool(amsgrad), **kwargs)

    def _init_state(self, state, param):
        state["m"] = torch.zeros_like(param, memory_format=torch.preserve_format)
        state["v"] = torch.zeros_like(param, memory_format=torch.preserve_format)
        if self.settings["amsgrad"]:
            state["v_hat"] = torch.zeros_like(param, memory_format=torch.preserve_format)

    def _update(self, group, params, grads, states):
        b1, b2, t = group["beta_1"], group["beta_2"], group["iterations"]
        alpha = group["lr"] * math.sqrt(1.0 - b2**t) / (1.0 - b1**t)
        m = [s["m"] for s in states]
        v = [s["v"] for s in states]
        torch._foreach_lerp_(m, grads, 1.0 - b1)  # m += (g - m) * (1 - b1)
        torch._foreach_mul_(v, b2)
        torch._foreach_addcmul_(v, grads, grads, 1.0 - b2)  # v += (g^2 - v) * (1 - b2)
        if group["amsgrad"]:
            v_hat = [s["v_hat"] for s in states]
            torch._foreach_maximum_(v_hat, v)
            v = v_hat
        denominator = torch._foreach_sqrt(v)
        torch._foreach_add_(denominator, group["epsilon"])
        torch._foreach_addcdiv_(params, m, denominator, -alpha)


class AdamW(Adam):
    """Adam with decoupled weight decay (Keras default ``weight_decay=0.004``)."""

    def __init__(self, learning_rate=0.001, weight_decay=0.004, **kwargs):
        super().__init__(learning_rate, weight_decay=weight_decay, **kwargs)


class SGD(Optimizer):
    """Keras's SGD: ``SGD(learning_rate=0.01, momentum=0.0, nesterov=False)``.

    With momentum: ``m = momentum * m - lr * g``; ``p += m`` (or ``p += momentum * m - lr * g``
    with Nesterov).
    """

    _defaults = {"momentum": 0.0, "nesterov": False}

    def __init__(self, learning_rate=0.01, momentum=0.0, nesterov=False, **kwargs):
        if isinstance(momentum, bool) or not isinstance(momentum, (int, float)) or not 0 <= momentum <= 1:
            raise ValueError(f"SGD: `momentum` must be a number in [0, 1], got {describe(momentum)}")
        super().__init__(learning_rate, momentum=float(momentum), nesterov=bool(nesterov), **kwargs)

    def _init_state(self, state, param):
        if self.settings["momentum"]:
            state["momentum"] = torch.zeros_like(param, memory_format=torch.preserve_format)

    def _update(self, group, params, grads, states):
        lr, momentum = group["lr"], group["momentum"]
        if not momentum:
            torch._foreach_add_(params, grads, alpha=-lr)
            return
        m = [s["momentum"] for s in states]
        torch._foreach_mul_(m, momentum)
        torch._foreach_add_(m, grads, alpha=-lr)
        if group["nesterov"]:
            torch._foreach_add_(params, m, alpha=momentum)
            torch._foreach_add_(params, grads, alpha=-lr)
        else:
            torch._foreach_add_(params, m)


class RMSprop(Optimizer):
    """Keras's RMSprop: ``RMSprop(learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-7, centered=False)``."""

    _defaults = {"rho": 0.9, "momentum": 0.0, "epsilon": 1e-7, "centered": False}

    def __init__(self, learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-7, centered=False, **kwargs):
        super().__init__(learning_rate, rho=float(rho), momentum=float(momentum),
                         epsilon=float(epsilon), centered=bool(centered), **kwargs)

    def _init_state(self, state, param):
        state["velocity"] = torch.zeros_like(param, memory_format=torch.preserve_format)
        if self.settings["momentum"]:
            state["momentum"] = torch.zeros_like(param, memory_format=torch.preserve_format)
        if self.settings["centered"]:
            state["average_gradient"] = torch.zeros_like(param, memory_format=torch.preserve_format)

    def _update(self, group, params, grads, states):
        rho, lr = group["rho"], group["lr"]
        velocity = [s["velocity"] for s in states]
        torch._foreach_mul_(velocity, rho)
        torch._foreach_addcmul_(velocity, grads, grads, 1.0 - rho)
        if group["centered"]:
            average = [s["average_gradient"] for s in states]
            torch._foreach_mul_(average, rho)
            torch._foreach_add_(average, grads, alpha=1.0 - rho)
            denominator = torch._foreach_sub(velocity, torch._foreach_mul(average, average))
            torch._foreach_add_(denominator, group["epsilon"])
        else:
            denominator = torch._foreach_add(velocity, group["epsilon"])
        torch._foreach_sqrt_(denominator)
        if group["momentum"]:
            m = [s["momentum"] for s in states]
            torch._foreach_mul_(m, group["momentum"])
            torch._foreach_addcdiv_(m, grads, denominator, lr)
            torch._foreach_sub_(params, m)
        else:
            torch._foreach_addcdiv_(params, grads, denominator, -lr)


class Adagrad(Optimizer):
    """Keras's Adagrad: ``Adagrad(learning_rate=0.001, initial_accumulator_value=0.1, epsilon=1e-7)``."""

    _defaults = {"initial_accumulator_value": 0.1, "epsilon": 1e-7}

    def __init__(self, learning_rate=0.001, initial_accumulator_value=0.1, epsilon=1e-7, **kwargs):
        super().__init__(learning_rate, initial_accumulator_value=float(initial_accumulator_value),
                         epsilon=float(epsilon), **kwargs)

    def _init_state(self, state, param):
        state["accumulator"] = torch.full_like(param, self.settings["initial_accumulator_value"])

    def _update(self, group, params, grads, states):
        accumulator = [s["accumulator"] for s in states]
        torch._foreach_addcmul_(accumulator, grads, grads)
        denominator = torch._foreach_add(accumulator, group["epsilon"])
        torch._foreach_sqrt_(denominator)
        torch._foreach_addcdiv_(params, grads, denominator, -group["lr"])


class TorchOptimizer(Optimizer):
    """Wraps a ready-made ``torch.optim.Optimizer`` so ``compile(optimizer=torch.optim.SGD(...))``
    works (with torch's own update rule, and torch's LR schedulers driving it)."""

    def __init__(self, optimizer: torch.optim.Optimizer):
        self.engine = optimizer
        self._learning_rate = float(optimizer.param_groups[0]["lr"])
        self.clipnorm = self.clipvalue = self.global_clipnorm = self.weight_decay = self.schedule = None
        self.name = type(optimizer).__name__
        self.settings = {}
        self.param_names = []

    @property
    def torch_optimizer(self) -> torch.optim.Optimizer:
        return self.engine

    def build(self, named_parameters) -> None:
        by_id = {id(p): name for name, p in named_parameters}
        params = [p for group in self.engine.param_groups for p in group["params"]]
        self.param_names = [by_id.get(id(p), f"param_{i}") for i, p in enumerate(params)]

    def zero_grad(self) -> None:
        self.engine.zero_grad(set_to_none=True)

    @property
    def iterations(self) -> int:
        steps = [s.get("step") for s in self.engine.state.values() if "step" in s]
        return int(steps[0]) if steps else 0

    def get_config(self) -> dict:
        group = {k: v for k, v in self.engine.param_groups[0].items() if k != "params"}
        return {"torch_class": type(self.engine).__name__, **_jsonable(group)}


_BY_NAME = {"adam": Adam, "adamw": AdamW, "sgd": SGD, "rmsprop": RMSprop, "adagrad": Adagrad,
            "nadam": Nadam, "adamax": Adamax, "adadelta": Adadelta, "lion": Lion}
_CLASSES = {cls.__name__: cls for cls in _BY_NAME.values()}


def names() -> list[str]:
    """Every optimizer name ``compile(optimizer=...)`` accepts."""
    return sorted(_BY_NAME)


def get(identifier) -> Optimizer:
    """An :class:`Optimizer` from a name (``'adam'``), an instance, or a ``torch.optim`` optimizer."""
    if isinstance(identifier, Optimizer):
        return identifier
    if isinstance(identifier, str):
        cls = _BY_NAME.get(identifier.lower()) or _CLASSES.get(identifier)
        if cls is None:
            raise ValueError(f"unknown optimizer {identifier!r}; known optimizers: {names()}")
        return cls()
    if isinstance(identifier, torch.optim.Optimizer):
        return TorchOptimizer(identifier)
    if isinstance(identifier, type) and issubclass(identifier, Optimizer):
        return identifier()
    raise TypeError(
        f"`optimizer` must be a name such as 'adam', a seqlab optimizer or a torch.optim optimizer, "
        f"got {describe(identifier)}"
    )


def serialize(optimizer: Optimizer) -> dict:
    return {"class_name": type(optimizer).__name__, "config": optimizer.get_config()}


def deserialize(spec: dict, parameters=None) -> Optimizer:
    """Rebuild from :func:`serialize`. A wrapped ``torch.optim`` optimizer is built on
    ``parameters`` (the model's; a torch optimizer cannot exist without them), with the settings
    its class accepts.

    Raises:
        ValueError: the class is unknown (or, from ``from_config``, its settings are refused).
    """
    if spec.get("class_name") == "TorchOptimizer":
        config = dict(spec.get("config", {}))
        torch_class = config.pop("torch_class", "")
        cls = getattr(torch.optim, torch_class, None) if isinstance(torch_class, str) else None
        if not (isinstance(cls, type) and issubclass(cls, torch.optim.Optimizer)) or cls is torch.optim.Optimizer:
            known = sorted(name for name, value in vars(torch.optim).items() if isinstance(value, type)
                           and issubclass(value, torch.optim.Optimizer) and value is not torch.optim.Optimizer)
            raise ValueError(f"unknown torch optimizer class {torch_class!r}; known: {known}")
        # torch's own settings only (its param_groups also hold bookkeeping such as
        # 'initial_lr'); never the parameters, which are the model's.
        accepted = set(inspect.signature(cls).parameters) - {"params"}
        settings = {k: v for k, v in config.items() if k in accepted}
        try:
            return TorchOptimizer(cls(parameters, **settings))
        except (TypeError, ValueError, RuntimeError) as error:  # torch's own checks of its settings
            raise ValueError(f"torch.optim.{torch_class}{settings} cannot be built: {error}") from None
    config = dict(spec.get("config", {}))
    if spec.get("class_name") == "LossScaleOptimizer":  # a wrapper: the wrapped optimizer is serialized in it
        inner = config.pop("inner_optimizer", None)
        if not isinstance(inner, dict) or inner.get("class_name") not in _CLASSES:
            raise ValueError(f"LossScaleOptimizer: `inner_optimizer` must be a serialized seqlab optimizer "
                             f"(one of {sorted(_CLASSES)}), got {inner!r}")
        return LossScaleOptimizer(deserialize(inner), **config)
    cls = _CLASSES.get(spec.get("class_name"))
    if cls is None:
        raise ValueError(f"unknown optimizer class {spec.get('class_name')!r}; known: "
                         f"{sorted([*_CLASSES, 'LossScaleOptimizer'])}")
    return cls.from_config(config)
