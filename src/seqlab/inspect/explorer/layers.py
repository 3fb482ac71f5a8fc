"""What the explorer shows of each recurrent layer — every gate, the cell and hidden state, the
gradient through time and the gate saturation — and the attributions to the input, computed
with the library's own ``trace``, ``gradients_through_time``, ``saturation`` and ``attribute``."""
from __future__ import annotations

import numpy as np
import torch

from seqlab.inspect.attribution import attribute
from seqlab.inspect.explorer.packing import ArrayStore
from seqlab.inspect.gradients import gradients_through_time
from seqlab.inspect.recording import Trace
from seqlab.inspect.saturation import SIGMOID_GATES, saturation
from seqlab.inspect.trace import as_input, trace

# Colours of a heat map are clipped at this quantile of |value| for a state without a known
# range (an LSTM's cell): one spike must not wash every other step out to white.
CLIP_QUANTILE = 0.995


def layer_entries(model, x, store: ArrayStore, y=None, loss=None, mask=None, quantize_gates: bool = True,
                  target=None) -> list[dict]:
    """One entry per recurrent layer (two for a Bidirectional: its forward and backward halves,
    both in input order): the states as array ids with their colour range, the saturation
    fractions and the gradient norm through time — of ``loss(model(x), y)`` when ``y`` is given,
    else of the explained output ``target`` of each sample (see :func:`explained_output`)."""
    traces = trace(model, x, mask)
    if y is None:  # the sum of a softmax's outputs is 1 whatever h is: follow the explained output
        y = np.zeros(len(x), dtype=np.int64) + np.asarray(0 if target is None else target, dtype=np.int64)
        loss = picked_output
    gradients = gradients_through_time(model, x, y, loss, mask)
    entries = []
    for name, record in traces.items():
        if isinstance(record, Trace):
            entries.append(layer_entry(name, record, gradients[name], store, quantize_gates))
            continue
        for half in ("forward", "backward"):
            gradient = gradients[name][half]
            if half == "backward":  # processing order -> input order, as the backward trace is
                gradient = gradient[:, ::-1]
            entries.append(layer_entry(f"{name} ({half})", record[half], gradient, store, quantize_gates))
    return entries


def layer_entry(name: str, record: Trace, gradient: np.ndarray, store: ArrayStore, quantize_gates: bool) -> dict:
    """The page's entry of one traced layer, ``gradient`` ``(N, L)`` in input order."""
    states = [(gate, values, "gate" if quantize_gates else "float32") for gate, values in record.gates.items()]
    if record.cell is not None:
        states.append(("cell", record.cell, "float32"))
    states.append(("hidden", record.hidden, "float32"))
    kind = "LSTM" if record.cell is not None else "GRU" if "update" in record.gates else "SimpleRNN"
    entry = {"name": name, "kind": kind, "units": int(record.hidden.shape[-1]),
             "states": [{"name": state, "array": store.add(values, storage), **colour_range(values)}
                        for state, values, storage in states],
             "gradient": store.add(np.ascontiguousarray(gradient), "float32"),
             "mask": None if record.mask is None else store.add(record.mask, "mask"),
             "saturation": None}
    if any(gate in SIGMOID_GATES for gate in record.gates):
        fractions = saturation(record)
        entry["saturation"] = {gate: {side: [float(v) for v in values] for side, values in sides.items()}
                               for gate, sides in fractions.items()}
    return entry


def colour_range(values: np.ndarray) -> dict:
    """``{'low', 'high', 'scale'}``: ``[0, 1]`` sequential for values inside it (sigmoid gates),
    ``[-1, 1]`` diverging for tanh-ranged ones; otherwise up to the ``CLIP_QUANTILE`` of ``|value|``,
    diverging around 0 when any value is negative."""
    low, high = float(values.min()), float(values.max())
    if low >= 0.0 and high <= 1.0:
        return {"low": 0.0, "high": 1.0, "scale": "sequential"}
    if low >= -1.0 and high <= 1.0:
        return {"low": -1.0, "high": 1.0, "scale": "diverging"}
    bound = float(np.quantile(np.abs(values), CLIP_QUANTILE)) or 1.0
    if low >= 0.0:
        return {"low": 0.0, "high": bound, "scale": "sequential"}
    return {"low": -bound, "high": bound, "scale": "diverging"}


def picked_output(outputs, index):
    """The sum over the samples of output ``index[n]`` of sample ``n`` (flattened outputs)."""
    flat = outputs.reshape(len(outputs), -1)
    return flat.gather(1, index.long().view(-1, 1)).sum()


def attribution_entry(model, x, store: ArrayStore, method, target, explained: str, steps: int = 32) -> dict:
    """The page's ``attribution`` entry: the array ``(N, L, F)`` (``(N, L)`` for token ids: one
    value per step) and what it explains, or ``{'missing': why}`` when Captum is absent or none
    was asked for."""
    if method is None:
        return {"missing": "no attribution was asked for (attribution=None)"}
    try:
        values = attribute(model, x, target=target, method=method, steps=steps)
    except ImportError as error:
        return {"missing": f"{error}; the explorer shows none"}
    if values.ndim == 2:
        values = values[:, :, None]  # token ids: one value per step
    return {"method": method, "explains": explained, "array": store.add(values, "float32")}


def explained_output(model, x, target=None) -> tuple:
    """``(target, description)``: the caller's flattened output index, or :func:`default_target`."""
    if target is None:
        return default_target(model, x)
    return target, f"output {target} (of the flattened outputs)"


def default_target(model, x):
    """Which output the attributions explain when the caller does not say: the only output;
    for a sequence output ``(N, L', V)`` the largest output of the last step of each sample (a
    next-token model's prediction); otherwise each sample's largest output (a classifier's
    predicted class)."""
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            outputs = model(as_input(model, x))
    finally:
        model.train(was_training)
    if isinstance(outputs, dict):
        outputs = next(iter(outputs.values()))
    if isinstance(outputs, (list, tuple)):
        outputs = outputs[0]
    outputs = outputs.detach().cpu().numpy()
    width = int(np.prod(outputs.shape[1:]))
    if width == 1:
        return None, "the model's single output"
    if outputs.ndim == 3:
        last = outputs[:, -1]
        offset = (outputs.shape[1] - 1) * outputs.shape[2]
        return [offset + int(k) for k in last.argmax(axis=-1)], "the largest output of the last step of each sample"
    flat = outputs.reshape(len(outputs), -1)
    return [int(k) for k in flat.argmax(axis=-1)], "the largest output of each sample (the predicted class)"
