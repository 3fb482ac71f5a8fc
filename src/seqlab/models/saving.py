"""One-file model saving: ``model.save('model.seqlab')`` / ``load_model('model.seqlab')``.

A model file holds the model's JSON config, its weights in safetensors, its compile settings and
its optimizer and training state (the entries: :mod:`seqlab.models.file_layout`). Nothing is
pickled and ``torch.load`` is never used: loading rebuilds layers by class name from the registry
and fills in plain tensors, so an untrusted file runs no code. Nor can it make the loader allocate
without bound or fail with a raw exception: the archive's entries must be stored (never inflated)
with bounded sizes (:mod:`seqlab.models.file_archive`), each JSON entry is checked against its
schema (:mod:`seqlab.models.file_schema`) before anything is built, and the build is bounded by
the stored weights (:mod:`seqlab.layers.allocation`). A user's loss, metric or regularizer
function cannot be stored; it is saved by name and must be passed back through
``custom_objects``. The same model writes the same bytes (entries carry a fixed date), so two
files can be compared as files. Writes are atomic (temporary file in the same directory, fsync,
``os.replace``): an interrupted save leaves the previous file untouched.

This module puts a model into those entries and rebuilds one from them. The weights alone
(``save_weights`` / ``load_weights``) live in :mod:`seqlab.models.weight_files`; they and the
format's names are re-exported here (``__all__``), so what imports them from this module still
does. What the compile settings and the optimizer state are is training's business,
and which class a file may name is chosen by :func:`seqlab.models.load_model`.
"""
from __future__ import annotations

import os

from safetensors.numpy import save as save_numpy
from safetensors.torch import save as save_tensors

import seqlab
from seqlab import regularizers
from seqlab.errors import ModelFileError
from seqlab.layers.allocation import AllocationLimitError, allocation_limit
from seqlab.models.file_archive import to_json, warn_foreign_suffix, write_archive
from seqlab.models.file_layout import (
    COMPILE, FORMAT, FORMAT_VERSION, MARKER, MODEL, OPTIMIZER, OPTIMIZER_JSON, STATE, STATE_JSON, WEIGHTS,
    WEIGHTS_FORMAT, read_checked_entries,
)
from seqlab.models.weight_files import assign_weights, load_weights, save_weights, weight_arrays
from seqlab.training.compile import MissingCustomObjectError
from seqlab.training.optimizer_state import get_optimizer_state, set_optimizer_state
from seqlab.training.rng_state import to_file as training_state_to_file

__all__ = [
    "FORMAT", "FORMAT_VERSION", "WEIGHTS_FORMAT", "assign_weights", "load_checkpoint",
    "load_model", "load_weights", "save_model", "save_weights", "weight_arrays",
]


def save_model(model, filepath, include_optimizer: bool = True) -> None:
    """Write ``model`` (architecture, weights, compile settings, optimizer state) to one file.

    The compile settings are ``model.get_compile_config()``; the optimizer state comes from
    :mod:`seqlab.training.optimizer_state`. This module only lays them out in the archive.
    """
    warn_foreign_suffix(filepath, "save")
    input_shape = model.input_shape if model.built else None
    entries = {
        MARKER: to_json({"format": FORMAT, "format_version": FORMAT_VERSION, "seqlab_version": seqlab.__version__}),
        MODEL: to_json({"class_name": type(model).__name__, "config": model.get_config(),
                        "build_input_shape": None if input_shape is None else list(input_shape)}),
        WEIGHTS: save_numpy(weight_arrays(model)),
    }
    compile_config = model.get_compile_config()
    if compile_config is not None:
        entries[COMPILE] = to_json(compile_config)
        state = get_optimizer_state(model) if include_optimizer else None
        if state is not None:
            tensors, state_json = state
            entries[OPTIMIZER] = save_tensors(tensors)
            entries[OPTIMIZER_JSON] = to_json(state_json)
    training_state = getattr(model, "_training_state", None)
    if training_state is not None:
        tensors, state_json = training_state_to_file(training_state)
        entries[STATE] = save_tensors(tensors)
        entries[STATE_JSON] = to_json(state_json)
    write_archive(filepath, entries)


def load_model(filepath, model_classes: dict, custom_objects: dict | None = None, compile: bool = True):
    """Rebuild a model saved by :func:`save_model`.

    Args:
        filepath: the ``.seqlab`` file.
        model_classes: ``{"Sequential": Sequential, ...}``: the classes a file may name (chosen by
            :func:`seqlab.models.load_model`; each has ``from_config`` and ``compile_from_config``).
        custom_objects: ``{'rmse': rmse}`` for user loss, metric and regularizer functions (or
            Regularizer classes) saved by name.
        compile: restore the loss, metrics, optimizer and optimizer state.

    Raises:
        ModelFileError: the file is missing, not a seqlab model file, truncated or corrupted, an
            entry breaks its schema (:mod:`seqlab.models.file_schema`), or the config does not
            match the stored weights (found before anything larger than the file is allocated).
    """
    path = os.fspath(filepath)
    entries = read_checked_entries(path)
    spec, weights = entries.model, entries.weights
    compile_config, optimizer_tensors, optimizer_json = entries.compile, entries.optimizer_tensors, entries.optimizer
    cls = model_classes.get(spec["class_name"])
    if cls is None:
        name = spec["class_name"]
        raise ModelFileError(f"'{path}' holds a {name!r} model; seqlab builds "
                             f"{', '.join(model_classes)} models. If {name!r} is your subclass of "
                             f"seqlab.Model, pass load_model('{path}', custom_objects={{'{name}': {name}}})")
    model = _rebuild(cls, spec, weights, custom_objects, path, entries.file_bytes)
    assign_weights(model, weights, f"model file '{path}'")
    model._training_state = entries.training_state
    if compile and compile_config is not None:
        _compile_from_file(model, compile_config, custom_objects, path)
        if optimizer_tensors is not None:
            _set_optimizer_state(model, optimizer_tensors, optimizer_json, path)
    return model


def load_checkpoint(model, filepath) -> None:
    """Put a saved model's weights, optimizer state and training state into ``model``: a compiled
    model of the same architecture, built and placed as the caller builds it (what resuming a
    run needs; ``load_model`` would rebuild it from the file instead).

    Raises:
        ModelFileError: as :func:`load_model`, or the weights or the optimizer state do not fit.
    """
    path = os.fspath(filepath)
    entries = read_checked_entries(path)
    assign_weights(model, entries.weights, f"model file '{path}'")
    if entries.optimizer_tensors is not None:
        _set_optimizer_state(model, entries.optimizer_tensors, entries.optimizer, path)
    model._training_state = entries.training_state


# A shape probe or carried state may need some memory of its own beyond the weights' size.
_PROBE_BYTES = 64 * 2**20


def _rebuild(cls, spec: dict, weights: dict, custom_objects, path: str, file_bytes: int):
    """``cls.from_config`` + build, bounded by the file: the layers may ask for no more weight
    values than the file stores, and no single tensor beyond twice the file's size (at least
    64 MiB), so a
    small file cannot make the loader allocate without bound (see :mod:`seqlab.layers.allocation`)."""
    stored = sum(tensor.numel() for tensor in weights.values())
    try:
        with regularizers.custom_object_scope(custom_objects), \
                allocation_limit(stored, max(_PROBE_BYTES, 2 * file_bytes), source=f"'{path}' ({WEIGHTS})"):
            model = cls.from_config(spec["config"])
            shape = spec.get("build_input_shape")
            if shape is not None and not model.built:
                model.build(tuple(shape))
    except regularizers.UnknownRegularizerError as error:
        name = error.name
        raise ValueError(f"model file '{path}': {error}; pass load_model('{path}', "
                         f"custom_objects={{'{name}': {name}}})") from None
    except AllocationLimitError as error:
        raise ModelFileError(f"'{path}': its model config does not match its stored weights: {error}; "
                             "nothing that large was allocated") from None
    except RecursionError:
        raise ModelFileError(f"'{path}' holds a model config nested too deeply to rebuild") from None
    except Exception as error:  # noqa: BLE001 - a file's config is untrusted: any failure is the file's
        raise ModelFileError(f"'{path}' holds a model config that cannot be rebuilt: {error}") from error
    return model


def _compile_from_file(model, config: dict, custom_objects, path: str) -> None:
    try:
        model.compile_from_config(config, custom_objects=custom_objects)
    except MissingCustomObjectError as error:
        name = error.name
        raise ValueError(
            f"model file '{path}' was compiled with a custom {error.kind} {name!r}, which cannot be "
            f"stored in a file; pass load_model('{path}', custom_objects={{'{name}': {name}}}) "
            "or load_model(..., compile=False)"
        ) from None
    except (ValueError, TypeError) as error:
        raise ModelFileError(f"'{path}': its compile settings cannot be restored: {error}") from error


def _set_optimizer_state(model, tensors: dict, spec: dict, path: str) -> None:
    try:
        set_optimizer_state(model, tensors, spec)
    except ValueError as error:  # the state does not fit this model's optimizer: the file's fault
        raise ModelFileError(f"'{path}': {error}") from error
