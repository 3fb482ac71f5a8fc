"""A model's weights as named arrays, and the weights-only file (``model.save_weights``).

Weights are named in Keras's layout (``layer.get_weights()``), keyed ``"<layer>/<weight>"``, so a
file does not depend on torch module paths. The same naming fills ``model.weights.safetensors``
inside a model file (:mod:`seqlab.models.file_layout`) and the weights-only file, which is one
safetensors file written atomically; :func:`load_weights` reads either.
"""
from __future__ import annotations

import json
import os
import struct

import numpy as np
from safetensors.numpy import save as save_numpy

from seqlab.atomic import atomic_write
from seqlab.errors import ModelFileError
from seqlab.models.file_archive import (
    is_archive, open_archive, read_bytes, read_entry, read_safetensors, warn_foreign_suffix,
)
from seqlab.models.file_layout import FORMAT_VERSION, WEIGHTS, WEIGHTS_FORMAT


def weight_arrays(model) -> dict[str, np.ndarray]:
    """``{"<layer>/<weight>": array}`` in Keras's layout (the layer keyed by ``model.keyed_layers()``:
    its name, or a subclassed model's attribute path; a nested model's as ``"<model>/<layer>/<weight>"``)."""
    arrays = {}
    for key, layer in model.keyed_layers():
        if not layer.built:
            continue
        for name, value in zip(layer.weight_names(), layer.get_weights()):
            # reshape: ascontiguousarray makes a 0-d weight 1-d (Normalization's `count` is shape ())
            arrays[f"{key}/{name}"] = np.ascontiguousarray(value).reshape(np.shape(value))
    return arrays


def assign_weights(model, tensors: dict, source: str) -> None:
    """Set every layer's weights from ``tensors``; every key must be used exactly once."""
    expected = []
    for key, layer in model.keyed_layers():
        names = layer.weight_names() if layer.built else []
        keys = [f"{key}/{name}" for name in names]
        expected += keys
        missing = [key for key in keys if key not in tensors]
        if missing:
            raise ModelFileError(f"{source} has no weights {missing} for layer '{layer.name}'")
        try:
            layer.set_weights([tensors[key] for key in keys])
        except (ValueError, TypeError, RuntimeError) as error:
            raise ModelFileError(f"{source}: {error}") from None
    extra = sorted(set(tensors) - set(expected))
    if extra:
        raise ModelFileError(f"{source} holds weights {extra} that match no layer of model '{model.name}'")


def save_weights(model, filepath) -> None:
    """Write the weights alone to a safetensors file (atomically); the same weights write the
    same bytes."""
    model._require_built("save_weights")
    warn_foreign_suffix(filepath, "save_weights")
    data = save_numpy(weight_arrays(model), metadata={"format": WEIGHTS_FORMAT, "format_version": str(FORMAT_VERSION)})
    atomic_write(filepath, lambda handle: handle.write(with_sorted_metadata(data)))


def with_sorted_metadata(data: bytes) -> bytes:
    """A safetensors file with its header's metadata in key order. safetensors writes the
    metadata from a Rust hash map, whose order changes from one save to the next; the tensors'
    entries and offsets are already in a fixed order and are kept as they are."""
    size = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8:8 + size])
    header["__metadata__"] = dict(sorted(header["__metadata__"].items()))
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)  # safetensors pads its header to 8 bytes with spaces
    return struct.pack("<Q", len(text)) + text + data[8 + size:]


def load_weights(model, filepath) -> None:
    """Load weights written by :func:`save_weights`, or those inside a ``.seqlab`` model file."""
    path = os.fspath(filepath)
    raw = read_bytes(path)
    if is_archive(raw):
        with open_archive(path, raw) as archive:
            tensors = read_safetensors(read_entry(archive, path, WEIGHTS), path, WEIGHTS)
    else:
        tensors = read_safetensors(raw, path, "weights")
    if not model.built:
        raise ModelFileError(f"model '{model.name}' must be built before load_weights('{path}')")
    assign_weights(model, tensors, f"weights file '{path}'")
