"""Optimizers with Keras's names, defaults and update rules.

``Adam(learning_rate=0.001)`` is a Keras-style settings object; ``build`` attaches it to a model's
parameters and creates ``torch_optimizer``, a real ``torch.optim.Optimizer`` (its ``state_dict``
saves and resumes, torch LR schedulers can drive it). The update rules are Keras's own, written
with torch's multi-tensor ``_foreach`` ops: one call updates every parameter, which is faster
than ``torch.optim.Adam`` on small models and keeps Keras's epsilon placement:

- Adam (Keras): ``p -= lr * sqrt(1 - b2^t) / (1 - b1^t) * m / (sqrt(v) + eps)``; torch adds eps to
  the *bias-corrected* ``sqrt(v_hat)``. The two agree exactly for ``eps = 0`` (tested) and differ
  only while ``sqrt(v)`` is near ``eps``.
- RMSprop (Keras): ``p -= lr * g / sqrt(v + eps)``; torch uses ``sqrt(v) + eps``.
- Adagrad (Keras): starts its accumulator at 0.1 and divides by ``sqrt(acc + eps)``.
"""
from __future__ import annotations

import math

import torch

from seqlab.errors import describe


class _TorchOptimizer(torch.optim.Optimizer):
    """The torch side: holds param groups and state; ``step`` runs the owner's Keras rule."""

    def __init__(self, params, defaults: dict, owner: "Optimizer"):
        super().__init__(params, defaults)
        self.owner = owner

    def step(self, closure=None):
        """torch's entry point (with its profiler and hook wrappers around :meth:`apply`)."""
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        self.apply()
        return loss

    @torch.no_grad()
    def apply(self) -> None:
        """One update of every parameter that has a gradient."""
        for group in self.param_groups:
            params = [p for p in group["params"] if p.grad is not None]
            if not params:
                continue
            group["iterations"] = group.get("iterations", 0) + 1
            grads = self.owner._clip([p.grad for p in params])
            if group.get("weight_decay"):
                # Keras decays before the update, by lr * weight_decay (decoupled, as AdamW).
                torch._foreach_mul_(params, 1.0 - group["lr"] * group["weight_decay"])
            states = [self.state[p] for p in params]
            if not states[0]:
                for state, p in zip(states, params):
                    self.owner._init_state(state, p)
            self.owner._update(group, params, grads, states)


class Optimizer:
    """Base class of the Keras-style optimizers.

    Args:
        learning_rate: step size (a positive number).
        clipnorm: clip each gradient to this L2 norm (Keras semantics: per variable).
        clipvalue: clip every gradient value to ``[-clipvalue, clipvalue]``.
        global_clipnorm: clip all gradients together to this global L2 norm.
        weight_decay: decoupled weight decay (``p -= lr * weight_decay * p`` before the update).
        name: a label for configs.
    """

    _defaults: dict = {}

    def __init__(self, learning_rate=0.001, *, clipnorm=None, clipvalue=None, global_clipnorm=None,
                 weight_decay=None, name: str | None = None, **settings):
        self._learning_rate = _positive(self, "learning_rate", learning_rate)
        if clipnorm is not None and global_clipnorm is not None:
            raise ValueError(
                f"{type(self).__name__}: only one of `clipnorm` and `global_clipnorm` can be set, "
                f"got clipnorm={clipnorm} and global_clipnorm={global_clipnorm}"
            )
        self.clipnorm = None if clipnorm is None else _positive(self, "clipnorm", clipnorm)
        self.clipvalue = None if clipvalue is None else _positive(self, "clipvalue", clipvalue)
        self.global_clipnorm = None if global_clipnorm is None else _positive(self, "global_clipnorm", global_clipnorm)
        self.weight_decay = None if weight_decay is None else _non_negative(self, "weight_decay", weight_decay)
        self.name = name or type(self).__name__.lower()
        self.settings = {**self._defaults, **settings}
        self.torch_optimizer: _TorchOptimizer | None = None
        self.param_names: list[str] = []

    # ---- life cycle --------------------------------------------------------------------------
    def build(self, named_parameters) -> None:
        """Attach to ``[(name, parameter), ...]`` and create the torch optimizer."""
        named = list(named_parameters)
        self.param_names = [name for name, _ in named]
        defaults = {"lr": self._learning_rate, "weight_decay": self.weight_decay or 0.0, **self.settings}
        self.torch_optimizer = _TorchOptimizer([p for _, p in named], defaults, owner=self)

    @property
    def built(self) -> bool:
        return self.torch_optimizer is not None

    def zero_grad(self) -> None:
        # Direct loop: torch's zero_grad/step wrappers add profiler records that cost more
        # than the update itself on small models.
        for group in self.torch_optimizer.param_groups:
            for parameter in group["params"]:
                parameter.grad = None

    def step(self) -> None:
        self.torch_optimizer.apply()

    @property
    def learning_rate(self) -> float:
        if self.torch_optimizer is not None:
            return float(self.torch_optimizer.param_groups[0]["lr"])
        return self._learning_rate

    @learning_rate.setter
    def learning_rate(self, value) -> None:
        self._learning_rate = _positive(self, "learning_rate", value, allow_zero=True)
        if self.torch_optimizer is not None:
            for group in self.torch_optimizer.param_groups:
                group["lr"] = self._learning_rate

    lr = learning_rate  # Keras 2's name

    @property
    def iterations(self) -> int:
        """Number of update steps taken so far."""
        if self.torch_optimizer is None:
            return 0
        return int(self.torch_optimizer.param_groups[0].get("iterations", 0))

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
        config = {"learning_rate": self.learning_rate, "name": self.name}
        for key in ("clipnorm", "clipvalue", "global_clipnorm", "weight_decay"):
            if getattr(self, key) is not None:
                config[key] = getattr(self, key)
        return {**config, **self.settings}

    @classmethod
    def from_config(cls, config: dict) -> "Optimizer":
        return cls(**config)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(learning_rate={self.learning_rate:g})"


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
    works; it keeps torch's own update rule."""

    def __init__(self, optimizer: torch.optim.Optimizer):
        self.torch_optimizer = optimizer
        self._learning_rate = float(optimizer.param_groups[0]["lr"])
        self.clipnorm = self.clipvalue = self.global_clipnorm = self.weight_decay = None
        self.name = type(optimizer).__name__
        self.settings = {}
        self.param_names = []

    def build(self, named_parameters) -> None:
        by_id = {id(p): name for name, p in named_parameters}
        params = [p for group in self.torch_optimizer.param_groups for p in group["params"]]
        self.param_names = [by_id.get(id(p), f"param_{i}") for i, p in enumerate(params)]

    def zero_grad(self) -> None:
        self.torch_optimizer.zero_grad(set_to_none=True)

    def step(self) -> None:
        self.torch_optimizer.step()

    @property
    def iterations(self) -> int:
        steps = [s.get("step") for s in self.torch_optimizer.state.values() if "step" in s]
        return int(steps[0]) if steps else 0

    def get_config(self) -> dict:
        group = {k: v for k, v in self.torch_optimizer.param_groups[0].items() if k != "params"}
        return {"torch_class": type(self.torch_optimizer).__name__, **_jsonable(group)}


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
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise TypeError(f"{name}: `{argument}` must be a positive number, got {describe(value)}")
    if value < 0 or (value == 0 and not allow_zero):
        raise ValueError(f"{name}: `{argument}` must be a positive number, got {value}")
    return float(value)


def _non_negative(owner, argument, value) -> float:
    return _positive(owner, argument, value, allow_zero=True)


_BY_NAME = {"adam": Adam, "adamw": AdamW, "sgd": SGD, "rmsprop": RMSprop, "adagrad": Adagrad}
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


def deserialize(spec: dict) -> Optimizer:
    """Rebuild from :func:`serialize` (for a wrapped torch optimizer, see ``saving``)."""
    cls = _CLASSES.get(spec.get("class_name"))
    if cls is None:
        raise ValueError(f"unknown optimizer class {spec.get('class_name')!r}; known: {sorted(_CLASSES)}")
    return cls.from_config(dict(spec.get("config", {})))
