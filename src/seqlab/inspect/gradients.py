"""``seqlab.inspect.gradients_through_time``: how much each timestep's hidden state matters to
the loss — backpropagation through time made visible (vanishing gradients, the notes' reason
for the LSTM)."""
from __future__ import annotations

import torch

from seqlab.inspect.trace import as_input, collect, run_recorded
from seqlab.layers.dtype_policy import full_precision


def gradients_through_time(model: torch.nn.Module, x, y=None, loss=None, mask=None,
                           layer: str | None = None) -> dict:
    """The norm of ``d objective / d h_t`` for every recurrent layer and timestep.

    ``h_t`` is the hidden state after step ``t`` (the state the next step reads), so the
    gradient counts every path from ``h_t`` to the objective: through the later timesteps
    and, with ``return_sequences``, directly through output ``t``. The objective is
    ``loss(model(x), y)`` when ``y`` is given (mean squared error by default), else the sum of
    the model's outputs. Dropout is off (inference mode).

    Args:
        model: a model or layer holding seqlab recurrent layers.
        x: the input.
        y: optional targets.
        loss: optional callable ``loss(y_pred, y_true) -> scalar tensor``.
        mask: optional ``(N, L)`` mask passed to the model.
        layer: the name of one recurrent layer to return (all of them by default).

    Returns:
        ``{layer name: array (N, L)}`` of per-sample L2 norms over the units, in the order of
        the layer's outputs (``{'forward', 'backward'}`` for a Bidirectional, both in
        processing order). ``.mean(axis=0)`` gives the curve of the notes' BPTT lecture.

    >>> import torch, seqlab
    >>> model = seqlab.models.Sequential([seqlab.layers.SimpleRNN(8, input_shape=(20, 1), name='rnn')])
    >>> g = seqlab.inspect.gradients_through_time(model, torch.randn(4, 20, 1))['rnn']
    >>> g.shape
    (4, 20)
    """
    outputs, recorder = run_recorded(model, x, mask, grad=True)
    if isinstance(outputs, dict):  # a functional model of several outputs: the first one counts
        outputs = next(iter(outputs.values()))
    if isinstance(outputs, (list, tuple)):
        outputs = outputs[0]
    if y is None:
        objective = outputs.sum()
    else:
        target = as_input(model, y)
        objective = loss(outputs, target) if loss is not None else ((outputs - target) ** 2).mean()
    recorded = [each for each in recorder.layers if id(each) in recorder.records]
    tensors = [h for each in recorded for h in recorder.hidden_tensors(each)]
    grads = torch.autograd.grad(objective, tensors, allow_unused=True)
    norms, start = {}, 0
    for each in recorded:
        count = len(recorder.hidden_tensors(each))
        steps = [g if g is not None else torch.zeros_like(h)
                 for g, h in zip(grads[start:start + count], tensors[start:start + count])]
        norms[id(each)] = full_precision(torch.stack(steps, dim=1)).norm(dim=-1).detach().cpu().numpy()
        start += count
    return collect(model, recorder, lambda each: norms.get(id(each)), layer)

