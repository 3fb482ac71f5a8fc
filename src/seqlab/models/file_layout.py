"""The entries of a ``.seqlab`` model file, and reading them back checked.

The file is a zip archive (:mod:`seqlab.models.file_archive`: stored, not compressed; every
entry CRC-checked on read) holding:

==========================  =================================================================
``seqlab.json``             format marker and version: ``{"format": "seqlab.model", ...}``
``model.json``              ``{"class_name": "Sequential", "config": model.get_config(),
                            "build_input_shape": [null, 7, 1]}``
``model.weights.safetensors``  every weight in Keras's layout (``layer.get_weights()``), keyed
                            ``"<layer name>/<weight name>"``: independent of torch module paths
``compile.json``            ``model.get_compile_config()``: loss, metrics and optimizer by name
                            and settings (if compiled; see :mod:`seqlab.training.compile`)
``optimizer.safetensors``   optimizer state (moments, step counts), keyed
                            ``"<layer name>/<parameter path>/<slot>"`` (if it has any)
``optimizer.json``          the rest of that state: parameter names, groups, scalar slots
                            (see :mod:`seqlab.training.optimizer_state`)
``training_state.safetensors``  the random generators' states at the end of the last epoch
                            (if trained), keyed ``"torch/cpu"``, ``"numpy/keys"``...
``training_state.json``     the epochs finished and the generators' scalars
                            (see :mod:`seqlab.training.rng_state`): what an exact resume needs
==========================  =================================================================

:func:`read_checked_entries` reads them all, each JSON entry checked against its schema
(:mod:`seqlab.models.file_schema`) and the pairs (optimizer, training state) checked complete,
before anything is built from them. Writing them is :func:`seqlab.models.saving.save_model`'s.
"""
from __future__ import annotations

from typing import NamedTuple

from seqlab.errors import ModelFileError
from seqlab.models import file_schema
from seqlab.models.file_archive import open_archive, read_bytes, read_entry, read_json_entry, read_safetensors
from seqlab.training.rng_state import from_file as training_state_from_file

FORMAT = "seqlab.model"
WEIGHTS_FORMAT = "seqlab.weights"
FORMAT_VERSION = 1
MARKER, MODEL, WEIGHTS, COMPILE, OPTIMIZER, OPTIMIZER_JSON, STATE, STATE_JSON = (
    "seqlab.json", "model.json", "model.weights.safetensors", "compile.json",
    "optimizer.safetensors", "optimizer.json", "training_state.safetensors", "training_state.json",
)


class Entries(NamedTuple):
    """A model file's entries, each checked against its schema (see :mod:`.file_schema`)."""

    file_bytes: int
    model: dict
    weights: dict
    compile: dict | None
    optimizer_tensors: dict | None
    optimizer: dict | None
    training_state: object  # a rng_state.TrainingState, or None (never trained, or an older file)


def read_checked_entries(path: str) -> Entries:
    """Every entry of the model file at ``path``, checked; any fault is a :class:`ModelFileError`."""
    raw = read_bytes(path)
    with open_archive(path, raw) as archive:
        marker = read_json_entry(archive, path, MARKER, missing="it has no 'seqlab.json' marker, so it "
                                 "is not a seqlab model file")
        file_schema.check_marker(marker, file_schema.Member(path, MARKER), FORMAT, FORMAT_VERSION)
        spec = read_json_entry(archive, path, MODEL)
        file_schema.check_model(spec, file_schema.Member(path, MODEL))
        weights = read_safetensors(read_entry(archive, path, WEIGHTS), path, WEIGHTS)
        names = set(archive.namelist())
        compile_config = read_json_entry(archive, path, COMPILE) if COMPILE in names else None
        if compile_config is not None:
            file_schema.check_compile(compile_config, file_schema.Member(path, COMPILE))
        optimizer_tensors = optimizer_json = None
        _check_both_or_neither(names, path, OPTIMIZER, OPTIMIZER_JSON, "the optimizer state")
        if OPTIMIZER in names:
            if compile_config is None:
                raise ModelFileError(f"'{path}' holds an optimizer state but no {COMPILE!r} to say "
                                     "which optimizer it belongs to")
            optimizer_tensors = read_safetensors(read_entry(archive, path, OPTIMIZER), path, OPTIMIZER)
            optimizer_json = read_json_entry(archive, path, OPTIMIZER_JSON)
            file_schema.check_optimizer_state(optimizer_json, file_schema.Member(path, OPTIMIZER_JSON),
                                              optimizer_tensors)
        training_state = _training_state(archive, path, names)
    return Entries(len(raw), spec, weights, compile_config, optimizer_tensors, optimizer_json, training_state)


def _training_state(archive, path: str, names: set):
    if STATE not in names and STATE_JSON not in names:
        return None
    _check_both_or_neither(names, path, STATE, STATE_JSON, "the training state")
    tensors = read_safetensors(read_entry(archive, path, STATE), path, STATE)
    spec = read_json_entry(archive, path, STATE_JSON)
    file_schema.check_training_state(spec, file_schema.Member(path, STATE_JSON), tensors)
    try:
        return training_state_from_file(tensors, spec)
    except ValueError as error:
        raise ModelFileError(f"'{path}': {error}") from None


def _check_both_or_neither(names: set, path: str, tensors_entry: str, json_entry: str, what: str) -> None:
    """``what`` is written as a safetensors entry and a JSON entry together: one alone is a fault."""
    if (tensors_entry in names) != (json_entry in names):
        present, absent = (tensors_entry, json_entry) if tensors_entry in names else (json_entry, tensors_entry)
        raise ModelFileError(f"'{path}' is not a complete seqlab model file: it has {present!r} but "
                             f"not {absent!r} ({what} is written as both)")
