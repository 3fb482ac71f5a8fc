"""``LossScaleOptimizer``: dynamic loss scaling for float16 training (Keras 3's name and settings).

float16 keeps 5 exponent bits, so small gradients underflow to zero. The loss is multiplied by
a scale before ``backward`` (``scale_loss``, which the train step calls), and the gradients are
divided by it before the wrapped optimizer's update. A step whose gradients hold inf or NaN is
skipped and the scale halved; after ``dynamic_growth_steps`` finite steps in a row it doubles:
torch's ``GradScaler`` rule (backoff 0.5, growth 2.0) with Keras's defaults (2**15, 2000).
bfloat16 has float32's exponent range and needs no scaling.

>>> import torch, seqlab
>>> optimizer = seqlab.mixed_precision.LossScaleOptimizer(seqlab.optimizers.SGD(0.1), initial_scale=8.0)
>>> optimizer.dynamic_scale
8.0
"""
from __future__ import annotations

import torch

from seqlab.checks import check_int
from seqlab.errors import describe
from seqlab.training.optimizer_base import Optimizer


class LossScaleOptimizer(Optimizer):
    """Wraps ``inner_optimizer`` with dynamic loss scaling.

    Args:
        inner_optimizer: the seqlab optimizer that makes the updates.
        initial_scale: the first scale (a power of two keeps the scaling exact).
        dynamic_growth_steps: finite steps in a row after which the scale doubles.
        name: a label for configs.
    """

    def __init__(self, inner_optimizer, initial_scale: float = 2.0 ** 15, dynamic_growth_steps: int = 2000,
                 name: str | None = None):
        if not isinstance(inner_optimizer, Optimizer) or isinstance(inner_optimizer, LossScaleOptimizer):
            raise TypeError(f"LossScaleOptimizer: `inner_optimizer` must be a seqlab optimizer such as "
                            f"seqlab.optimizers.Adam(), got {describe(inner_optimizer)}")
        if isinstance(initial_scale, bool) or not isinstance(initial_scale, (int, float)) or not initial_scale > 0:
            raise ValueError(f"LossScaleOptimizer: `initial_scale` must be a positive number, got {initial_scale!r}")
        self.inner_optimizer = inner_optimizer
        self.initial_scale = float(initial_scale)
        self.dynamic_growth_steps = check_int("LossScaleOptimizer", "dynamic_growth_steps", dynamic_growth_steps)
        self.name = name or "loss_scale_optimizer"
        self._scale = torch.tensor(self.initial_scale)
        self._good_steps = 0

    # Everything but the scaling is the inner optimizer's.
    engine = property(lambda self: self.inner_optimizer.engine)
    schedule = property(lambda self: self.inner_optimizer.schedule)
    settings = property(lambda self: self.inner_optimizer.settings)
    iterations = property(lambda self: self.inner_optimizer.iterations)

    @property
    def param_names(self) -> list[str]:
        return self.inner_optimizer.param_names

    @param_names.setter
    def param_names(self, value) -> None:
        self.inner_optimizer.param_names = value

    @property
    def _model_id(self):
        return self.inner_optimizer._model_id

    @_model_id.setter
    def _model_id(self, value) -> None:
        self.inner_optimizer._model_id = value

    @property
    def learning_rate(self) -> float:
        return self.inner_optimizer.learning_rate

    @learning_rate.setter
    def learning_rate(self, value) -> None:
        self.inner_optimizer.learning_rate = value

    def build(self, named_parameters) -> None:
        self.inner_optimizer.build(named_parameters)

    def zero_grad(self) -> None:
        self.inner_optimizer.zero_grad()

    @property
    def dynamic_scale(self) -> float:
        """The scale the next loss is multiplied by."""
        return float(self._scale)

    def scale_loss(self, loss: torch.Tensor) -> torch.Tensor:
        return loss * self._scale.to(loss.device)

    @torch.no_grad()
    def step(self) -> None:
        """Unscale the gradients; update with them when all are finite, else skip and halve."""
        grads = [p.grad for group in self.engine.param_groups for p in group["params"] if p.grad is not None]
        if grads:
            scale = self._scale.to(grads[0].device)
            torch._foreach_div_(grads, scale)
            finite = bool(torch.stack([torch.isfinite(g).all() for g in grads]).all())  # one host read
        else:
            finite = True
        if not finite:
            self._scale = self._scale / 2
            self._good_steps = 0
            return
        self.inner_optimizer.step()
        self._good_steps += 1
        if self._good_steps >= self.dynamic_growth_steps:
            self._scale = self._scale * 2
            self._good_steps = 0

    def get_config(self) -> dict:
        inner = self.inner_optimizer
        return {"name": self.name, "initial_scale": self.initial_scale,
                "dynamic_growth_steps": self.dynamic_growth_steps,
                "inner_optimizer": {"class_name": type(inner).__name__, "config": inner.get_config()}}

    def __repr__(self) -> str:
        return f"LossScaleOptimizer({self.inner_optimizer!r}, dynamic_scale={self.dynamic_scale:g})"
