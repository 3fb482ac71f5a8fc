"""``seqlab.inspect.trace``: the gates, cell and hidden states of every recurrent layer, at
every timestep, from the trained weights."""
from __future__ import annotations

import numpy as np
import torch

from seqlab.errors import describe
from seqlab.inspect.recording import RECORDABLE, Recorder
from seqlab.layers.recurrent.layer import RecurrentLayer
from seqlab.layers.recurrent.wrappers import Bidirectional


def as_input(model: torch.nn.Module, x):
    """``x`` as a tensor with the model's dtype and device (integer ids stay integers); a list,
    tuple or dict of inputs (a functional model's) keeps its structure."""
    if isinstance(x, dict):
        return {key: as_input(model, value) for key, value in x.items()}
    if isinstance(x, (list, tuple)) and getattr(type(model), "nested_inputs", False):
        return [as_input(model, value) for value in x]
    parameter = next(model.parameters(), None)
    if parameter is not None:
        dtype, device = parameter.dtype, parameter.device
    else:  # not built yet: the dtype the layers were declared with
        declared = [m.torch_dtype for m in model.modules() if hasattr(m, "torch_dtype")]
        dtype, device = (declared[0] if declared else torch.get_default_dtype()), torch.device("cpu")
    if not torch.is_tensor(x):
        try:
            x = torch.as_tensor(np.asarray(x))
        except (TypeError, ValueError):
            raise TypeError(f"inspect: `x` must be an array or tensor, got {describe(x)}") from None
    if x.is_floating_point():
        x = x.to(dtype)
    return x.to(device)


def run_recorded(model: torch.nn.Module, x, mask=None, grad: bool = False, record=RECORDABLE):
    """Run ``model`` on ``x`` in inference mode with every recurrent layer recording ``record``."""
    recorder = Recorder(model, record, keep_steps=grad)  # checks `record` before anything runs
    x = as_input(model, x)
    # Only the modules in training mode are switched to inference and back: a submodule the
    # user froze with eval() stays frozen (model.train() afterwards would thaw it), and no
    # module is walked twice on the way.
    training = [module for module in model.modules() if module.training]
    for module in training:
        module.training = False
    try:
        with torch.set_grad_enabled(grad), recorder:
            outputs = model(x) if mask is None else model(x, mask=torch.as_tensor(mask, device=model_device(model)))
    finally:
        for module in training:
            module.training = True
    if not recorder.layers:
        raise ValueError(f"inspect: {type(model).__name__} has no recurrent layers (SimpleRNN, LSTM, "
                         "GRU) to look inside")
    return outputs, recorder


def model_device(model: torch.nn.Module) -> torch.device:
    parameter = next(model.parameters(), None)
    return parameter.device if parameter is not None else torch.device("cpu")


def collect(model: torch.nn.Module, recorder: Recorder, per_layer, layer: str | None = None) -> dict:
    """``{layer name: per_layer(layer)}``; a Bidirectional gives ``{'forward', 'backward'}``.
    With ``layer``, only that recurrent layer's entry (a clear error if there is none)."""
    result = _collect(model, per_layer)
    if layer is None:
        return result
    if layer not in result:
        raise ValueError(f"inspect: `layer` must name a recurrent layer of model "
                         f"'{getattr(model, 'name', type(model).__name__)}' that ran, got {layer!r}; "
                         f"its recurrent layers are {sorted(result)}")
    return {layer: result[layer]}


def _collect(model: torch.nn.Module, per_layer) -> dict:
    result: dict = {}
    inside: set[int] = set()
    for module in model.modules():
        if isinstance(module, Bidirectional):
            inside |= {id(module.forward_layer), id(module.backward_layer)}
            forward, backward = per_layer(module.forward_layer), per_layer(module.backward_layer)
            if forward is not None and backward is not None:
                result[module.name] = {"forward": forward, "backward": backward}
        elif isinstance(module, RecurrentLayer) and id(module) not in inside:
            value = per_layer(module)
            if value is not None:
                result[module.name] = value
    return result


def trace(model: torch.nn.Module, x, mask=None, layer: str | None = None, record=RECORDABLE) -> dict:
    """Look inside every recurrent layer of ``model`` while it reads ``x``.

    The model runs once in inference mode; each recurrent layer records its gates and states
    from the very parameters its fused path uses (an unmasked float32 LSTM on seqlab's in-place
    LSTM kernel, other layers on the step loop). A layer in the
    middle of a stack sees what the layers before it output, and what the model outputs is
    unchanged (stateful layers keep their carried state).

    Args:
        model: a ``Sequential``, a single recurrent layer, or any ``torch.nn.Module`` holding
            seqlab recurrent layers.
        x: the input, e.g. ``(N, L, F)`` (or ``(N, L)`` token ids for an ``Embedding`` model);
            a list or dict of them for a functional model of several inputs.
        mask: optional ``(N, L)`` mask passed to the model.
        layer: the name of one recurrent layer to return (all of them by default); in a
            functional graph any recurrent layer, e.g. the decoder of an encoder–decoder.
        record: what to keep, a list of ``'gates'``, ``'cell'``, ``'hidden'`` (all by
            default); what is left out is never held (its field is ``{}`` or None), which saves
            memory and the copy to NumPy on long or wide traces.

    Returns:
        ``{layer name: Trace}``; for a ``Bidirectional`` layer
        ``{name: {'forward': Trace, 'backward': Trace}}`` (the backward trace in input order).
        Each :class:`~seqlab.inspect.Trace` holds ``gates`` (name → ``(N, L, H)`` array),
        ``hidden`` and, for an LSTM, ``cell``.

    >>> import torch, seqlab
    >>> model = seqlab.models.Sequential([seqlab.layers.LSTM(4, input_shape=(6, 2), name='encoder')])
    >>> t = seqlab.inspect.trace(model, torch.randn(3, 6, 2))['encoder']
    >>> sorted(t.gates), t.cell.shape
    (['candidate', 'forget', 'input', 'output'], (3, 6, 4))
    """
    _, recorder = run_recorded(model, x, mask, record=record)

    def per_layer(recurrent):
        result = recorder.trace(recurrent)
        if result is not None and isinstance(_parent(model, recurrent), Bidirectional) and recurrent.go_backwards:
            result = result.flipped()
        return result

    return collect(model, recorder, per_layer, layer)


def _parent(model, layer):
    for module in model.modules():
        if isinstance(module, Bidirectional) and layer in (module.forward_layer, module.backward_layer):
            return module
    return None
