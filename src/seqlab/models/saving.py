"""One-file model saving: ``model.save('model.seqlab')`` / ``load_model('model.seqlab')``.

The file is a zip archive (stored, not compressed; every entry CRC-checked on read) holding:

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

Nothing is pickled and ``torch.load`` is never used: loading rebuilds layers by class name from
the registry and fills in plain tensors, so an untrusted file runs no code. Nor can it make the
loader allocate without bound or fail with a raw exception: entries must be stored (never
inflated) with bounded sizes, each JSON entry is checked against its schema
(:mod:`seqlab.models.file_schema`) before anything is built, and the build is bounded by the
stored weights (:mod:`seqlab.layers.allocation`). A user's loss,
metric or regularizer function cannot be stored; it is saved by name and must be passed back
through ``custom_objects``. The same model writes the same bytes (entries carry a fixed date),
so two files can be compared as files. Writes are atomic (temporary file in the same directory, fsync,
``os.replace``): an interrupted save leaves the previous file untouched.

This module knows only the archive and the weights: what the compile settings and the optimizer
state are is training's business, and which class a file may name is chosen by
:func:`seqlab.models.load_model`.
"""
from __future__ import annotations

import io
import json
import os
import struct
import warnings
import zipfile
from typing import NamedTuple

import numpy as np
from safetensors import SafetensorError
from safetensors.numpy import save as save_numpy
from safetensors.torch import load as load_tensors, save as save_tensors

import seqlab
from seqlab import regularizers
from seqlab.atomic import atomic_write
from seqlab.errors import ModelFileError
from seqlab.layers.allocation import AllocationLimitError, allocation_limit
from seqlab.models import file_schema
from seqlab.training.compile import MissingCustomObjectError
from seqlab.training.optimizer_state import get_optimizer_state, set_optimizer_state
from seqlab.training.rng_state import from_file as training_state_from_file, to_file as training_state_to_file

FORMAT = "seqlab.model"
WEIGHTS_FORMAT = "seqlab.weights"
FORMAT_VERSION = 1
_MARKER, _MODEL, _WEIGHTS, _COMPILE, _OPTIMIZER, _OPTIMIZER_JSON, _STATE, _STATE_JSON = (
    "seqlab.json", "model.json", "model.weights.safetensors", "compile.json",
    "optimizer.safetensors", "optimizer.json", "training_state.safetensors", "training_state.json",
)
# Every entry's date: a fixed one (zip's earliest), so the same model gives the same bytes.
_ENTRY_DATE = (1980, 1, 1, 0, 0, 0)


# ---- weights ----------------------------------------------------------------------------------
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
    """Write the weights alone to a safetensors file (atomically)."""
    model._require_built("save_weights")
    _warn_foreign_suffix(filepath, "save_weights")
    data = save_numpy(weight_arrays(model), metadata={"format": WEIGHTS_FORMAT, "format_version": str(FORMAT_VERSION)})
    atomic_write(filepath, lambda handle: handle.write(data))


def load_weights(model, filepath) -> None:
    """Load weights written by :func:`save_weights`, or those inside a ``.seqlab`` model file."""
    path = os.fspath(filepath)
    raw = _read_bytes(path)
    if raw[:4] == b"PK\x03\x04":
        with _open_archive(path, raw) as archive:
            tensors = _safetensors(_entry(archive, path, _WEIGHTS), path, _WEIGHTS)
    else:
        tensors = _safetensors(raw, path, "weights")
    if not model.built:
        raise ModelFileError(f"model '{model.name}' must be built before load_weights('{path}')")
    assign_weights(model, tensors, f"weights file '{path}'")


# ---- whole models -----------------------------------------------------------------------------
_FOREIGN_SUFFIXES = {".h5": "HDF5", ".hdf5": "HDF5", ".keras": "Keras's .keras format"}


def _warn_foreign_suffix(filepath, what: str) -> None:
    # The notes save to 'best_model.h5'; the file works with seqlab, but say that it is not HDF5.
    foreign = _FOREIGN_SUFFIXES.get(os.path.splitext(os.fspath(filepath))[1].lower())
    if foreign:
        warnings.warn(
            f"{what}('{os.fspath(filepath)}'): seqlab writes its own format (JSON config and "
            f"safetensors weights), not {foreign}; seqlab reads it back, Keras and h5py do not. "
            "Name it '*.seqlab' to make that plain",
            UserWarning, stacklevel=3,
        )


def save_model(model, filepath, include_optimizer: bool = True) -> None:
    """Write ``model`` (architecture, weights, compile settings, optimizer state) to one file.

    The compile settings are ``model.get_compile_config()``; the optimizer state comes from
    :mod:`seqlab.training.optimizer_state`. This module only lays them out in the archive.
    """
    _warn_foreign_suffix(filepath, "save")
    input_shape = model.input_shape if model.built else None
    entries = {
        _MARKER: _json({"format": FORMAT, "format_version": FORMAT_VERSION, "seqlab_version": seqlab.__version__}),
        _MODEL: _json({"class_name": type(model).__name__, "config": model.get_config(),
                       "build_input_shape": None if input_shape is None else list(input_shape)}),
        _WEIGHTS: save_numpy(weight_arrays(model)),
    }
    compile_config = model.get_compile_config()
    if compile_config is not None:
        entries[_COMPILE] = _json(compile_config)
        state = get_optimizer_state(model) if include_optimizer else None
        if state is not None:
            tensors, state_json = state
            entries[_OPTIMIZER] = save_tensors(tensors)
            entries[_OPTIMIZER_JSON] = _json(state_json)
    training_state = getattr(model, "_training_state", None)
    if training_state is not None:
        tensors, state_json = training_state_to_file(training_state)
        entries[_STATE] = save_tensors(tensors)
        entries[_STATE_JSON] = _json(state_json)

    def write(handle):
        with zipfile.ZipFile(handle, "w", compression=zipfile.ZIP_STORED) as archive:
            for name, payload in entries.items():
                info = zipfile.ZipInfo(name, date_time=_ENTRY_DATE)
                info.external_attr = 0o644 << 16  # an ordinary file when unzipped
                archive.writestr(info, payload, compress_type=zipfile.ZIP_STORED)

    atomic_write(filepath, write)


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
    entries = _read_checked_entries(path)
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
            try:
                set_optimizer_state(model, optimizer_tensors, optimizer_json)
            except ValueError as error:
                raise ModelFileError(f"'{path}': {error}") from error
    return model


def load_checkpoint(model, filepath) -> None:
    """Put a saved model's weights, optimizer state and training state into ``model``: a compiled
    model of the same architecture, built and placed as the caller builds it (what resuming a
    run needs; ``load_model`` would rebuild it from the file instead).

    Raises:
        ModelFileError: as :func:`load_model`, or the weights or the optimizer state do not fit.
    """
    path = os.fspath(filepath)
    entries = _read_checked_entries(path)
    assign_weights(model, entries.weights, f"model file '{path}'")
    if entries.optimizer_tensors is not None:
        try:
            set_optimizer_state(model, entries.optimizer_tensors, entries.optimizer)
        except ValueError as error:
            raise ModelFileError(f"'{path}': {error}") from error
    model._training_state = entries.training_state


class _Entries(NamedTuple):
    """A model file's entries, each checked against its schema (see :mod:`.file_schema`)."""

    file_bytes: int
    model: dict
    weights: dict
    compile: dict | None
    optimizer_tensors: dict | None
    optimizer: dict | None
    training_state: object  # a rng_state.TrainingState, or None (never trained, or an older file)


def _read_checked_entries(path: str) -> _Entries:
    raw = _read_bytes(path)
    with _open_archive(path, raw) as archive:
        marker = _json_entry(archive, path, _MARKER, missing="it has no 'seqlab.json' marker, so it "
                             "is not a seqlab model file")
        file_schema.check_marker(marker, file_schema.Member(path, _MARKER), FORMAT, FORMAT_VERSION)
        spec = _json_entry(archive, path, _MODEL)
        file_schema.check_model(spec, file_schema.Member(path, _MODEL))
        weights = _safetensors(_entry(archive, path, _WEIGHTS), path, _WEIGHTS)
        names = set(archive.namelist())
        compile_config = _json_entry(archive, path, _COMPILE) if _COMPILE in names else None
        if compile_config is not None:
            file_schema.check_compile(compile_config, file_schema.Member(path, _COMPILE))
        optimizer_tensors = optimizer_json = None
        if (_OPTIMIZER in names) != (_OPTIMIZER_JSON in names):
            present, absent = (_OPTIMIZER, _OPTIMIZER_JSON) if _OPTIMIZER in names else (_OPTIMIZER_JSON, _OPTIMIZER)
            raise ModelFileError(f"'{path}' is not a complete seqlab model file: it has {present!r} but "
                                 f"not {absent!r} (the optimizer state is written as both)")
        if _OPTIMIZER in names:
            if compile_config is None:
                raise ModelFileError(f"'{path}' holds an optimizer state but no {_COMPILE!r} to say "
                                     "which optimizer it belongs to")
            optimizer_tensors = _safetensors(_entry(archive, path, _OPTIMIZER), path, _OPTIMIZER)
            optimizer_json = _json_entry(archive, path, _OPTIMIZER_JSON)
            file_schema.check_optimizer_state(optimizer_json, file_schema.Member(path, _OPTIMIZER_JSON),
                                              optimizer_tensors)
        training_state = _training_state(archive, path, names)
    return _Entries(len(raw), spec, weights, compile_config, optimizer_tensors, optimizer_json, training_state)


def _training_state(archive, path: str, names: set):
    if _STATE not in names and _STATE_JSON not in names:
        return None
    if (_STATE in names) != (_STATE_JSON in names):
        present, absent = (_STATE, _STATE_JSON) if _STATE in names else (_STATE_JSON, _STATE)
        raise ModelFileError(f"'{path}' is not a complete seqlab model file: it has {present!r} but "
                             f"not {absent!r} (the training state is written as both)")
    tensors = _safetensors(_entry(archive, path, _STATE), path, _STATE)
    spec = _json_entry(archive, path, _STATE_JSON)
    file_schema.check_training_state(spec, file_schema.Member(path, _STATE_JSON), tensors)
    try:
        return training_state_from_file(tensors, spec)
    except ValueError as error:
        raise ModelFileError(f"'{path}': {error}") from None


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
                allocation_limit(stored, max(_PROBE_BYTES, 2 * file_bytes), source=f"'{path}' ({_WEIGHTS})"):
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


# ---- reading ------------------------------------------------------------------------------------
def _read_bytes(path: str) -> bytes:
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except FileNotFoundError:
        raise ModelFileError(f"no model file at '{path}'") from None
    except IsADirectoryError:
        raise ModelFileError(f"'{path}' is a directory, not a seqlab model file") from None


def _open_archive(path: str, raw: bytes) -> zipfile.ZipFile:
    """The archive, once its directory is proven sane: members stored (the format never
    compresses, so a member cannot inflate beyond the file), each name once, sizes bounded."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(raw))
    except (zipfile.BadZipFile, NotImplementedError, ValueError, OSError, EOFError, struct.error):
        if raw[:4] == b"PK\x03\x04":
            raise ModelFileError(
                f"'{path}' is a truncated or corrupted seqlab model file (its zip directory is "
                "missing or damaged); the save may have been interrupted"
            ) from None
        raise ModelFileError(
            f"'{path}' is not a seqlab model file (it is not a zip archive; starts with {raw[:16]!r})"
        ) from None
    seen = set()
    for info in archive.infolist():
        if info.filename in seen:
            raise ModelFileError(f"'{path}' is corrupted: it holds the entry {info.filename!r} twice")
        seen.add(info.filename)
        if info.compress_type != zipfile.ZIP_STORED:
            raise ModelFileError(
                f"'{path}' is corrupted or not written by seqlab: entry {info.filename!r} is compressed "
                f"(zip method {info.compress_type}); seqlab stores entries uncompressed and reads no other"
            )
        limit = file_schema.MAX_JSON_BYTES if info.filename.endswith(".json") else len(raw)
        if info.file_size > limit or info.compress_size != info.file_size:
            raise ModelFileError(
                f"'{path}' is corrupted: entry {info.filename!r} declares {info.file_size:,} bytes "
                f"({info.compress_size:,} stored), beyond the {limit:,} bytes such an entry may have"
            )
    return archive


def _entry(archive: zipfile.ZipFile, path: str, name: str, missing: str | None = None) -> bytes:
    try:
        return archive.read(name)
    except KeyError:
        raise ModelFileError(f"'{path}' is not a complete seqlab model file: {missing or f'it has no {name!r}'}") from None
    except (zipfile.BadZipFile, NotImplementedError, ValueError, OSError, EOFError, struct.error) as error:
        raise ModelFileError(f"'{path}' is corrupted: entry {name!r} fails its check ({error})") from None


def _json_entry(archive, path: str, name: str, missing: str | None = None) -> dict:
    return file_schema.parse_json(_entry(archive, path, name, missing), file_schema.Member(path, name))


def _safetensors(data: bytes, path: str, what: str) -> dict:
    try:
        return load_tensors(data)
    except (SafetensorError, ValueError, struct.error) as error:
        raise ModelFileError(f"'{path}' is corrupted or not a safetensors file: {what} cannot be read ({error})") from None
    except Exception as error:  # noqa: BLE001 - whatever a damaged header makes the reader raise
        raise ModelFileError(f"'{path}' is corrupted: {what} cannot be read ({type(error).__name__}: {error})") from None


def _json(value) -> bytes:
    return json.dumps(value, indent=1, sort_keys=False).encode("utf-8")
