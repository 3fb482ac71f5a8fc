"""Atomic file writes: a reader (or a process started after a crash) sees either the old file or
the complete new one, never half of one.

The new content goes to a temporary file beside the target (``.NAME.<12 hex>.tmp``), is flushed
and fsynced, then renamed over the target (``os.replace``, atomic on POSIX and Windows) and the
folder fsynced, so the rename itself survives a power cut. Model and weights files
(:mod:`seqlab.models.file_archive`, :mod:`seqlab.models.weight_files`) and every file of a run
folder (:mod:`seqlab.experiment.rundir`) are written this way.
"""
from __future__ import annotations

import os
import re
import uuid


def atomic_write(filepath, write) -> None:
    """Call ``write(file)`` on a temporary file beside ``filepath``, fsync it, then rename it
    over ``filepath``. On any failure the temporary file is removed and ``filepath`` is untouched.

    A process killed midway (``kill -9``) cannot remove its temporary file; the next successful
    save of the same target removes such leftovers (:func:`_remove_stale_temporaries`).
    """
    path = os.path.abspath(os.fspath(filepath))
    directory = os.path.dirname(path)
    if not os.path.isdir(directory):  # checked first, so the error names the target, not a temporary
        raise FileNotFoundError(f"cannot save '{os.fspath(filepath)}': the folder '{directory}' does not exist")
    temporary = os.path.join(directory, f".{os.path.basename(path)}.{uuid.uuid4().hex[:12]}.tmp")
    try:
        with open(temporary, "xb") as handle:
            started = os.fstat(handle.fileno()).st_mtime
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise
    fsync_directory(directory)
    _remove_stale_temporaries(path, started)


def _remove_stale_temporaries(path: str, started: float) -> None:
    """Remove ``.NAME.<12 hex>.tmp`` files of this target last written before this save began:
    leftovers of saves that were killed. A save of the same target running now in another
    process writes to its file, so its modification time is not before ``started``."""
    directory, name = os.path.split(path)
    pattern = re.compile(rf"\.{re.escape(name)}\.[0-9a-f]{{12}}\.tmp")
    try:
        candidates = [entry for entry in os.scandir(directory) if pattern.fullmatch(entry.name)]
    except OSError:
        return
    for entry in candidates:
        try:
            if entry.is_file(follow_symlinks=False) and entry.stat(follow_symlinks=False).st_mtime < started:
                os.unlink(entry.path)
        except OSError:  # gone already, or not ours to remove: the save itself succeeded
            pass


def fsync_directory(directory: str) -> None:
    # Makes the rename itself durable; not possible on every platform (e.g. Windows).
    try:
        descriptor = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)
