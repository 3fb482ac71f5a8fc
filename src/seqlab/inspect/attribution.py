"""``seqlab.inspect.attribute``: how much each input step and feature moved one output, with
Captum's integrated gradients, saliency or occlusion.

Captum is optional (``pip install 'seqlab[inspect]'``) and imported when an attribution is
asked for. The model runs in inference mode on its usual path (the fused kernels included):
these methods need first derivatives only, which every execution path has.
"""
from __future__ import annotations

import numbers

import numpy as np
import torch

from seqlab.errors import describe
from seqlab.inspect.trace import as_input
from seqlab.layers.recurrent.embedding import Embedding

METHODS = ("integrated_gradients", "saliency", "occlusion")


def attribute(model: torch.nn.Module, x, target=None, method: str = "integrated_gradients",
              baselines=None, steps: int = 50) -> np.ndarray:
    """Importance of every input value for one output of ``model``.

    The model's output is flattened to ``(N, K)`` (every dimension after the batch: a forecast's
    steps, a classifier's classes, ``timesteps * vocabulary`` for a next-character model with
    ``return_sequences``) and ``target`` picks the column ``k`` to explain.

    * ``'integrated_gradients'`` (Sundararajan et al. 2017): the gradient averaged along the
      straight path from the baseline to ``x``, times ``x - baseline``; the attributions of a
      sample add up to ``output(x) - output(baseline)`` (completeness; ``steps`` sets the
      quadrature, Gauss–Legendre).
    * ``'saliency'``: ``|d output / d x|`` at ``x``.
    * ``'occlusion'``: ``output(x) - output(x with that one value set to the baseline's)``,
      one value at a time.

    Token ids (an integer ``x`` read by an ``Embedding``) have no gradient: the attribution is
    to the embedding's output — the vectors the next layer reads — summed over the embedding
    dimension (Captum's ``LayerIntegratedGradients`` for ``'integrated_gradients'``; for
    ``'saliency'`` the L2 norm of the gradient over the embedding dimension), so the result is
    ``(N, L)``; baselines are token ids (id 0 by default, the padding id), and occlusion
    replaces one token at a time by the baseline's.

    Args:
        model: a seqlab model (or any ``torch.nn.Module``).
        x: ``(N, L, F)`` input, or ``(N, L)`` token ids.
        target: the output column ``k`` in ``[0, K)``, or one per sample; None when the model
            has a single output (``K == 1``).
        method: ``'integrated_gradients'``, ``'saliency'`` or ``'occlusion'``.
        baselines: the reference input, shaped as ``x`` (or broadcastable to it; zeros by
            default, as Captum).
        steps: integration steps of integrated gradients.

    Returns:
        ``(N, L, F)`` float array (``(N, L)`` for token ids).

    >>> import numpy as np, seqlab
    >>> model = seqlab.models.Sequential([seqlab.layers.LSTM(4, input_shape=(6, 2)), seqlab.layers.Dense(1)])
    >>> seqlab.inspect.attribute(model, np.ones((3, 6, 2)), method="saliency").shape
    (3, 6, 2)
    """
    captum_attr = _captum()
    if method not in METHODS:
        raise ValueError(f"attribute: `method` must be one of {list(METHODS)}, got {method!r}")
    if isinstance(steps, bool) or not isinstance(steps, numbers.Integral) or steps < 1:
        raise ValueError(f"attribute: `steps` must be a positive integer, got {steps!r}")
    inputs = as_input(model, x)
    if not torch.is_tensor(inputs):
        raise TypeError(f"attribute: `x` must be one array or tensor (a model of several inputs is not "
                        f"supported), got {describe(x)}")
    was_training = model.training
    model.eval()
    try:
        forward = _flat_forward(model)
        with torch.no_grad():
            width = forward(inputs[:1]).shape[1]
        target = _check_target(target, width, len(inputs))
        if inputs.is_floating_point():
            result = _attribute_values(captum_attr, forward, inputs, target, method, baselines, steps)
        else:
            result = _attribute_tokens(captum_attr, model, forward, inputs, target, method, baselines, steps)
    finally:
        model.train(was_training)
    return result.detach().cpu().numpy()


def _captum():
    try:
        # Lazy: Captum is an optional dependency (the `inspect` extra), needed only here.
        import captum.attr
    except ImportError:
        raise ImportError("attribute needs Captum: pip install 'seqlab[inspect]' (or pip install captum)") from None
    return captum.attr


def _flat_forward(model):
    def forward(inputs):
        outputs = model(inputs)
        if isinstance(outputs, dict):  # a functional model of several outputs: the first one counts
            outputs = next(iter(outputs.values()))
        if isinstance(outputs, (list, tuple)):
            outputs = outputs[0]
        return outputs.reshape(len(outputs), -1)  # (N, K)
    return forward


def _check_target(target, width: int, samples: int):
    if target is None:
        if width != 1:
            raise ValueError(f"attribute: `target` is needed: the model has {width} outputs per sample "
                             f"(its flattened last dimensions); pass an index in [0, {width})")
        return 0
    values = np.asarray(target)
    if values.dtype.kind not in "iu" or values.ndim > 1 or (values.ndim == 1 and len(values) != samples):
        raise TypeError(f"attribute: `target` must be an integer or one integer per sample ({samples}), "
                        f"got {describe(target)}")
    if values.min() < 0 or values.max() >= width:
        raise ValueError(f"attribute: `target` must be in [0, {width}) (the model's flattened outputs), "
                         f"got {target!r}")
    return int(values) if values.ndim == 0 else values.tolist()


def _baselines(baselines, inputs):
    if baselines is None:
        return None
    value = torch.as_tensor(np.asarray(baselines) if not torch.is_tensor(baselines) else baselines)
    value = value.to(dtype=inputs.dtype, device=inputs.device)
    try:
        return torch.broadcast_to(value, inputs.shape).contiguous()
    except RuntimeError:
        raise ValueError(f"attribute: `baselines` must have the shape of `x` {tuple(inputs.shape)} or "
                         f"broadcast to it, got shape {tuple(value.shape)}") from None


def _attribute_values(captum_attr, forward, inputs, target, method, baselines, steps):
    baselines = _baselines(baselines, inputs)
    if method == "integrated_gradients":
        return captum_attr.IntegratedGradients(forward).attribute(
            inputs, baselines=baselines, target=target, n_steps=steps)
    if method == "saliency":
        # Captum warns when it has to switch the gradient on itself.
        inputs = inputs.detach().requires_grad_(True)
        return captum_attr.Saliency(forward).attribute(inputs, target=target, abs=True)
    window = (1,) * (inputs.dim() - 1)  # one value at a time
    return captum_attr.Occlusion(forward).attribute(
        inputs, sliding_window_shapes=window, baselines=baselines, target=target)


def _attribute_tokens(captum_attr, model, forward, inputs, target, method, baselines, steps):
    embedding = next((m for m in model.modules() if isinstance(m, Embedding)), None)
    if embedding is None:
        raise TypeError(f"attribute: integer `x` (dtype {inputs.dtype}) needs a model that reads token "
                        "ids with an Embedding layer; pass float features otherwise")
    baselines = _baselines(baselines, inputs)
    if method == "integrated_gradients":
        attributions = captum_attr.LayerIntegratedGradients(forward, embedding).attribute(
            inputs, baselines=baselines if baselines is not None else torch.zeros_like(inputs),
            target=target, n_steps=steps)
        return attributions.sum(dim=-1)  # (N, L, D) -> (N, L)
    if method == "saliency":
        gradients = captum_attr.LayerGradientXActivation(forward, embedding, multiply_by_inputs=False)
        return gradients.attribute(inputs, target=target).norm(dim=-1)
    replaced = baselines if baselines is not None else torch.zeros_like(inputs)
    return _occlude_tokens(forward, inputs, replaced, target)


def _occlude_tokens(forward, inputs, replaced, target):
    """``output(x) - output(x with token t replaced)`` for every step ``t``, as Captum's
    Occlusion does for values (Captum's mixes the baseline in arithmetically, which ids refuse)."""
    picked = torch.as_tensor(target, device=inputs.device).expand(len(inputs)).view(-1, 1)
    with torch.no_grad():
        full = forward(inputs).gather(1, picked)[:, 0]
        drops = []
        for step in range(inputs.shape[1]):
            occluded = inputs.clone()
            occluded[:, step] = replaced[:, step]
            drops.append(full - forward(occluded).gather(1, picked)[:, 0])
    return torch.stack(drops, dim=1)  # (N, L)
