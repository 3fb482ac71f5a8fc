"""The container of a seqlab file: a zip archive of stored entries, written and read safely.

Writing: every entry stored (never compressed) with a fixed date, so the same entries give the
same bytes, and the whole archive written atomically (:func:`seqlab.atomic.atomic_write`:
temporary file in the same directory, fsync, ``os.replace``), so an interrupted save leaves the
previous file untouched.

Reading: the whole file is read once, and the archive's directory is proven sane before any
entry is read (stored entries only, each name once, sizes bounded by the file), so a hostile
file can neither make the reader allocate without bound nor fail with a raw exception: every
failure is a :class:`~seqlab.errors.ModelFileError` naming the file and the entry. Entries are
decoded as JSON (:func:`seqlab.models.file_schema.parse_json`) or safetensors; nothing is
unpickled.

This module knows the container only; which entries a model file holds is
:mod:`seqlab.models.file_layout`'s business.
"""
from __future__ import annotations

import io
import json
import os
import struct
import warnings
import zipfile

from safetensors import SafetensorError
from safetensors.torch import load as load_tensors

from seqlab.atomic import atomic_write
from seqlab.errors import ModelFileError
from seqlab.models import file_schema

# Every entry's date: a fixed one (zip's earliest), so the same model gives the same bytes.
_ENTRY_DATE = (1980, 1, 1, 0, 0, 0)
_FOREIGN_SUFFIXES = {".h5": "HDF5", ".hdf5": "HDF5", ".keras": "Keras's .keras format"}


# ---- writing ------------------------------------------------------------------------------------
def warn_foreign_suffix(filepath, what: str) -> None:
    """Warn when ``filepath`` has a suffix of another library's format (call it from the saving
    function itself: the warning points ``stacklevel=3`` up, at the caller of that function)."""
    # The notes save to 'best_model.h5'; the file works with seqlab, but say that it is not HDF5.
    foreign = _FOREIGN_SUFFIXES.get(os.path.splitext(os.fspath(filepath))[1].lower())
    if foreign:
        warnings.warn(
            f"{what}('{os.fspath(filepath)}'): seqlab writes its own format (JSON config and "
            f"safetensors weights), not {foreign}; seqlab reads it back, Keras and h5py do not. "
            "Name it '*.seqlab' to make that plain",
            UserWarning, stacklevel=3,
        )


def to_json(value) -> bytes:
    """A JSON entry's bytes (indented, keys in their given order)."""
    return json.dumps(value, indent=1, sort_keys=False).encode("utf-8")


def write_archive(filepath, entries: dict[str, bytes]) -> None:
    """Write ``{name: payload}`` as a zip archive of stored entries, in that order, atomically."""

    def write(handle):
        with zipfile.ZipFile(handle, "w", compression=zipfile.ZIP_STORED) as archive:
            for name, payload in entries.items():
                info = zipfile.ZipInfo(name, date_time=_ENTRY_DATE)
                info.external_attr = 0o644 << 16  # an ordinary file when unzipped
                archive.writestr(info, payload, compress_type=zipfile.ZIP_STORED)

    atomic_write(filepath, write)


# ---- reading ------------------------------------------------------------------------------------
def read_bytes(path: str) -> bytes:
    """The whole file; a missing file or a directory is a :class:`ModelFileError`."""
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except FileNotFoundError:
        raise ModelFileError(f"no model file at '{path}'") from None
    except IsADirectoryError:
        raise ModelFileError(f"'{path}' is a directory, not a seqlab model file") from None


def is_archive(raw: bytes) -> bool:
    """Whether ``raw`` starts as a zip archive does (a local file header)."""
    return raw[:4] == b"PK\x03\x04"


def open_archive(path: str, raw: bytes) -> zipfile.ZipFile:
    """The archive, once its directory is proven sane: members stored (the format never
    compresses, so a member cannot inflate beyond the file), each name once, sizes bounded."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(raw))
    except (zipfile.BadZipFile, NotImplementedError, ValueError, OSError, EOFError, struct.error):
        if is_archive(raw):
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


def read_entry(archive: zipfile.ZipFile, path: str, name: str, missing: str | None = None) -> bytes:
    """Entry ``name``'s bytes (CRC-checked by zipfile); ``missing`` says why its absence matters."""
    try:
        return archive.read(name)
    except KeyError:
        raise ModelFileError(f"'{path}' is not a complete seqlab model file: {missing or f'it has no {name!r}'}") from None
    except (zipfile.BadZipFile, NotImplementedError, ValueError, OSError, EOFError, struct.error) as error:
        raise ModelFileError(f"'{path}' is corrupted: entry {name!r} fails its check ({error})") from None


def read_json_entry(archive, path: str, name: str, missing: str | None = None) -> dict:
    """Entry ``name`` parsed as a JSON object, its nesting bounded (not yet checked against a schema)."""
    return file_schema.parse_json(read_entry(archive, path, name, missing), file_schema.Member(path, name))


def read_safetensors(data: bytes, path: str, what: str) -> dict:
    """``{key: tensor}`` from safetensors bytes; any failure of the reader names ``what``."""
    try:
        return load_tensors(data)
    except (SafetensorError, ValueError, struct.error) as error:
        raise ModelFileError(f"'{path}' is corrupted or not a safetensors file: {what} cannot be read ({error})") from None
    except Exception as error:  # noqa: BLE001 - whatever a damaged header makes the reader raise
        raise ModelFileError(f"'{path}' is corrupted: {what} cannot be read ({type(error).__name__}: {error})") from None
