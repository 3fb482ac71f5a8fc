"""Nadam, Adamax, Adadelta and Lion: Keras 3's update rules, on the same engine as Adam.

Each is a transcription of ``keras/src/optimizers/<name>.py`` with torch's multi-tensor
``_foreach`` ops (tested against float64 NumPy transcriptions of Keras's code). Where
``torch.optim`` has an optimizer of the same name, its maths differ from Keras's, and seqlab
follows Keras:

- Nadam: Keras's momentum schedule is ``u_t = beta_1 * (1 - 0.5 * 0.96**t)``; torch's ``NAdam``
  uses ``0.96**(t * momentum_decay)`` with ``momentum_decay=0.004``, and adds epsilon after the
  bias-corrected root.
- Adamax: Keras divides by ``(1 - beta_1**t) * (u + eps)``; torch keeps ``max(beta_2 * u, |g| + eps)``.
- Adadelta: the same maths as ``torch.optim.Adadelta`` (tested), with Keras's defaults
  (``learning_rate=0.001, rho=0.95, epsilon=1e-7``; torch: ``lr=1.0, rho=0.9, eps=1e-6``).
- Lion (Chen et al. 2023, "Symbolic Discovery of Optimization Algorithms"; not in torch.optim):
  ``p -= lr * sign(beta_1 * m + (1 - beta_1) * g)``, then ``m = beta_2 * m + (1 - beta_2) * g``.
  Weight decay is the base class's decoupled ``p *= 1 - lr * weight_decay`` before the step,
  which equals the paper's ``p -= lr * (update + weight_decay * p)``.
"""
from __future__ import annotations

import torch

from seqlab.errors import describe
from seqlab.training.optimizer_base import Optimizer


def _zeros(param: torch.Tensor) -> torch.Tensor:
    return torch.zeros_like(param, memory_format=torch.preserve_format)


def _beta(owner: str, argument: str, value, allow_one: bool = False) -> float:
    # Keras does not check these; a beta outside its range silently diverges, so seqlab does.
    upper = "1]" if allow_one else "1)"
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{owner}: `{argument}` must be a number in [0, {upper}, got {describe(value)}")
    if not (0.0 <= value <= 1.0 if allow_one else 0.0 <= value < 1.0):
        raise ValueError(f"{owner}: `{argument}` must be in [0, {upper}, got {value}")
    return float(value)


def _epsilon(owner: str, value) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{owner}: `epsilon` must be a number >= 0, got {describe(value)}")
    if not value >= 0:
        raise ValueError(f"{owner}: `epsilon` must be a number >= 0, got {value}")
    return float(value)


class Nadam(Optimizer):
    """Keras's Nadam: ``Nadam(learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7)``.

    Adam with Nesterov momentum (Dozat 2016), with Keras's schedule
    ``u_t = beta_1 * (1 - 0.5 * 0.96**t)`` and the running product of the ``u_t`` kept in the
    parameter group (``u_product``, saved with the optimizer state):

        m = m + (g - m) * (1 - beta_1);  v = v + (g^2 - v) * (1 - beta_2)
        m_hat = u_{t+1} * m / (1 - prod_{i<=t+1} u_i) + (1 - u_t) * g / (1 - prod_{i<=t} u_i)
        p -= lr * m_hat / (sqrt(v / (1 - beta_2^t)) + eps)

    >>> Nadam().get_config()['beta_2']
    0.999
    """

    _defaults = {"beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-7}

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, **kwargs):
        super().__init__(learning_rate, beta_1=_beta("Nadam", "beta_1", beta_1),
                         beta_2=_beta("Nadam", "beta_2", beta_2), epsilon=_epsilon("Nadam", epsilon), **kwargs)

    def build(self, named_parameters) -> None:
        super().build(named_parameters)
        for group in self.engine.param_groups:
            group["u_product"] = 1.0  # prod of u_i over the updates so far (Keras's `_u_product`)

    def _init_state(self, state, param):
        state["momentum"] = _zeros(param)
        state["velocity"] = _zeros(param)

    def _update(self, group, params, grads, states):
        b1, b2, t = group["beta_1"], group["beta_2"], group["iterations"]  # t counts this update
        u_t = b1 * (1.0 - 0.5 * 0.96**t)
        u_next = b1 * (1.0 - 0.5 * 0.96 ** (t + 1))
        group["u_product"] *= u_t
        u_product, u_product_next = group["u_product"], group["u_product"] * u_next
        m = [s["momentum"] for s in states]
        v = [s["velocity"] for s in states]
        torch._foreach_lerp_(m, grads, 1.0 - b1)
        torch._foreach_mul_(v, b2)
        torch._foreach_addcmul_(v, grads, grads, 1.0 - b2)
        m_hat = torch._foreach_mul(m, u_next / (1.0 - u_product_next))
        torch._foreach_add_(m_hat, grads, alpha=(1.0 - u_t) / (1.0 - u_product))
        denominator = torch._foreach_div(v, 1.0 - b2**t)
        torch._foreach_sqrt_(denominator)
        torch._foreach_add_(denominator, group["epsilon"])
        torch._foreach_addcdiv_(params, m_hat, denominator, -group["lr"])


class Adamax(Optimizer):
    """Keras's Adamax: ``Adamax(learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7)``.

    Adam with the infinity norm (Kingma & Ba 2015, section 7.1):

        m = m + (g - m) * (1 - beta_1);  u = max(beta_2 * u, |g|)
        p -= lr * m / ((1 - beta_1^t) * (u + eps))
    """

    _defaults = {"beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-7}

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, **kwargs):
        super().__init__(learning_rate, beta_1=_beta("Adamax", "beta_1", beta_1),
                         beta_2=_beta("Adamax", "beta_2", beta_2), epsilon=_epsilon("Adamax", epsilon), **kwargs)

    def _init_state(self, state, param):
        state["momentum"] = _zeros(param)
        state["norm"] = _zeros(param)

    def _update(self, group, params, grads, states):
        b1, t = group["beta_1"], group["iterations"]
        m = [s["momentum"] for s in states]
        u = [s["norm"] for s in states]
        torch._foreach_lerp_(m, grads, 1.0 - b1)
        torch._foreach_mul_(u, group["beta_2"])
        torch._foreach_maximum_(u, torch._foreach_abs(grads))
        denominator = torch._foreach_add(u, group["epsilon"])
        torch._foreach_addcdiv_(params, m, denominator, -group["lr"] / (1.0 - b1**t))


class Adadelta(Optimizer):
    """Keras's Adadelta: ``Adadelta(learning_rate=0.001, rho=0.95, epsilon=1e-7)`` (Zeiler 2012):

        a = rho * a + (1 - rho) * g^2
        delta = -sqrt(d + eps) / sqrt(a + eps) * g
        d = rho * d + (1 - rho) * delta^2;  p += lr * delta

    Keras's default rate 0.001 is far smaller than the paper's (and torch's) 1.0; pass
    ``learning_rate=1.0`` for the paper's optimizer.
    """

    _defaults = {"rho": 0.95, "epsilon": 1e-7}

    def __init__(self, learning_rate=0.001, rho=0.95, epsilon=1e-7, **kwargs):
        super().__init__(learning_rate, rho=_beta("Adadelta", "rho", rho),
                         epsilon=_epsilon("Adadelta", epsilon), **kwargs)

    def _init_state(self, state, param):
        state["accumulated_grad"] = _zeros(param)
        state["accumulated_delta_var"] = _zeros(param)

    def _update(self, group, params, grads, states):
        rho, eps = group["rho"], group["epsilon"]
        accumulated_grad = [s["accumulated_grad"] for s in states]
        accumulated_delta = [s["accumulated_delta_var"] for s in states]
        torch._foreach_mul_(accumulated_grad, rho)
        torch._foreach_addcmul_(accumulated_grad, grads, grads, 1.0 - rho)
        delta = torch._foreach_add(accumulated_delta, eps)
        torch._foreach_sqrt_(delta)
        torch._foreach_mul_(delta, grads)
        rms_grad = torch._foreach_add(accumulated_grad, eps)
        torch._foreach_sqrt_(rms_grad)
        torch._foreach_div_(delta, rms_grad)  # -delta of the docstring
        torch._foreach_mul_(accumulated_delta, rho)
        torch._foreach_addcmul_(accumulated_delta, delta, delta, 1.0 - rho)
        torch._foreach_add_(params, delta, alpha=-group["lr"])


class Lion(Optimizer):
    """Keras's Lion: ``Lion(learning_rate=0.001, beta_1=0.9, beta_2=0.99)`` (Chen et al. 2023):

        p -= lr * sign(beta_1 * m + (1 - beta_1) * g);  m = beta_2 * m + (1 - beta_2) * g

    Every step moves each weight by exactly ``lr``, so Lion wants a rate 3-10x smaller than
    Adam's (the paper's advice).
    """

    _defaults = {"beta_1": 0.9, "beta_2": 0.99}

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.99, **kwargs):
        if not isinstance(beta_1, bool) and isinstance(beta_1, (int, float)) and beta_1 == 0:
            # Keras's rule: with beta_1 = 0 the update is sign(g), plain SignSGD.
            raise ValueError("Lion: `beta_1` must be in (0, 1], got 0 (the optimizer would "
                             "degenerate to SignSGD)")
        super().__init__(learning_rate, beta_1=_beta("Lion", "beta_1", beta_1, allow_one=True),
                         beta_2=_beta("Lion", "beta_2", beta_2, allow_one=True), **kwargs)

    def _init_state(self, state, param):
        state["momentum"] = _zeros(param)

    def _update(self, group, params, grads, states):
        b1, b2 = group["beta_1"], group["beta_2"]
        m = [s["momentum"] for s in states]
        direction = torch._foreach_lerp(m, grads, 1.0 - b1)  # b1 * m + (1 - b1) * g
        torch._foreach_sign_(direction)
        torch._foreach_add_(params, direction, alpha=-group["lr"])
        torch._foreach_lerp_(m, grads, 1.0 - b2)
