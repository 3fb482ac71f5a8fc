"""The run directory: ``runs/<YYYYmmdd-HHMMSS>-<name>/``, never overwritten, always explained.

``status.json`` is written first (``running``) and last (``succeeded`` or ``failed`` with the
error), so a run that died leaves a folder that says so and why. Every file is written
atomically (:mod:`seqlab.atomic`: a temporary file in the same folder, fsynced, then renamed),
so a reader never sees half a file, even after ``kill -9``; an existing file is never replaced
unless the caller says so (``seqlab report`` rebuilding ``report.html``). A folder opened to
resume an interrupted run (``resuming=True``) accepts a file it already holds when the new
bytes are the same, and refuses one that differs: the resumed run must repeat what the
interrupted one wrote.

Files: ``status.json``, ``spec.toml`` (resolved), ``data.csv`` (the prepared series),
``model.seqlab`` (the trained model), ``scalers.json``, ``history.csv``, ``metrics.json``,
``predictions.csv``, ``summary.txt``, ``trace.npz`` (recurrent models), ``report.html``, and
``checkpoints/`` while training (:mod:`seqlab.experiment.checkpoints`).
"""
from __future__ import annotations

import datetime as _dt
import json
import os
import re

from seqlab.atomic import atomic_write
from seqlab.errors import SeqlabError

STATUS = "status.json"
# What a killed writer leaves behind: atomic_write's temporaries, save_via's partial files.
_LEFTOVER = re.compile(r"\..+\.([0-9a-f]{12}\.tmp|partial)")


class RunDirError(SeqlabError):
    """A run directory is missing, incomplete, or a file in it would be overwritten."""


class RunDir:
    """A run's folder. Create with :meth:`create`; open an existing one with :meth:`open`.

    >>> import tempfile
    >>> run = RunDir.create(tempfile.mkdtemp(), "demo", now=_dt.datetime(2024, 5, 1, 12, 0, 0))
    >>> os.path.basename(run.path)
    '20240501-120000-demo'
    """

    def __init__(self, path: str, resuming: bool = False):
        self.path = os.path.abspath(path)
        self.resuming = resuming

    @classmethod
    def create(cls, root, name: str, now: _dt.datetime | None = None) -> "RunDir":
        """Make a new, empty run folder; a clash adds ``-2``, ``-3`` ... (never reuses one)."""
        stamp = (now or _dt.datetime.now()).strftime("%Y%m%d-%H%M%S")
        base = os.path.join(os.fspath(root), f"{stamp}-{name}")
        try:
            os.makedirs(root, exist_ok=True)
            for attempt in range(1, 1000):
                path = base if attempt == 1 else f"{base}-{attempt}"
                try:
                    os.mkdir(path)  # atomic: two runs started in the same second get different folders
                except FileExistsError:
                    continue
                return cls(path)
        except OSError as error:  # read-only, full, not a folder, a name too long, no permission
            raise RunDirError(f"cannot create a run folder in {os.fspath(root)!r}: "
                              f"{error.strerror or error} (--runs-dir chooses another place)") from None
        raise RunDirError(f"could not create a new run folder next to {base}: 999 already exist")

    @classmethod
    def open(cls, path, resuming: bool = False) -> "RunDir":
        """An existing run folder (one holding ``status.json``); ``resuming``: to finish it."""
        path = os.fspath(path)
        if not os.path.isdir(path):
            raise RunDirError(f"run folder {path!r} does not exist")
        if not os.path.isfile(os.path.join(path, STATUS)):
            raise RunDirError(f"{path!r} is not a seqlab run folder (it has no {STATUS})")
        return cls(path, resuming=resuming)

    def remove_leftovers(self) -> list[str]:
        """Remove the temporary files of writers that were killed (never a finished file);
        returns their names. Only for a folder no process is writing to any more."""
        removed = []
        for entry in os.scandir(self.path):
            if _LEFTOVER.fullmatch(entry.name) and entry.is_file(follow_symlinks=False):
                os.unlink(entry.path)
                removed.append(entry.name)
        return removed

    def file(self, name: str) -> str:
        return os.path.join(self.path, name)

    def has(self, name: str) -> bool:
        return os.path.isfile(self.file(name))

    def write_bytes(self, name: str, data: bytes, replace: bool = False) -> str:
        """Write ``name`` atomically; refuse to replace an existing file unless ``replace``."""
        target = self.file(name)
        if not replace and os.path.exists(target):
            self._check_unchanged(target, data)
            return target
        atomic_write(target, lambda handle: handle.write(data))
        return target

    def _check_unchanged(self, target: str, data: bytes) -> None:
        """An existing file: refused, unless resuming and the file holds these very bytes."""
        if not self.resuming:
            raise RunDirError(f"{target} already exists; a run never overwrites its files")
        with open(target, "rb") as stream:
            if stream.read() != data:
                raise RunDirError(
                    f"{target} differs from what the resumed run computes; the data, the spec or "
                    "seqlab changed since the run started (start a new run instead)")

    def write_text(self, name: str, text: str, replace: bool = False) -> str:
        return self.write_bytes(name, text.encode("utf-8"), replace=replace)

    def write_json(self, name: str, value, replace: bool = False) -> str:
        return self.write_text(name, json.dumps(value, indent=2, default=_plain) + "\n", replace=replace)

    def read_json(self, name: str):
        self.require(name)
        with open(self.file(name), encoding="utf-8") as stream:
            return json.load(stream)

    def require(self, name: str) -> str:
        if not self.has(name):
            state = self.status().get("state", "unknown")
            raise RunDirError(f"run {self.path} has no {name} (its status is {state!r})")
        return self.file(name)

    def save_via(self, name: str, writer) -> str:
        """Let ``writer(path)`` write a file (e.g. ``model.save``), then move it in atomically."""
        target = self.file(name)
        exists = os.path.exists(target)
        if exists and not self.resuming:
            raise RunDirError(f"{target} already exists; a run never overwrites its files")
        temporary = self.file(f".{name}.partial")
        try:
            writer(temporary)
            if exists:
                with open(temporary, "rb") as stream:
                    self._check_unchanged(target, stream.read())
            else:
                os.replace(temporary, target)
        finally:
            if os.path.exists(temporary):
                os.unlink(temporary)
        return target

    # ---- status -------------------------------------------------------------------------
    def status(self) -> dict:
        if not self.has(STATUS):
            return {}
        with open(self.file(STATUS), encoding="utf-8") as stream:
            return json.load(stream)

    def mark(self, state: str, **details) -> None:
        """Record ``running``, ``succeeded``, ``failed`` or ``interrupted`` (with ``error=...``) in status.json."""
        record = self.status()
        now = _dt.datetime.now().isoformat(timespec="seconds")
        record.setdefault("started", now)
        if state == "running":  # (again, when resumed) the last end's error no longer holds
            record.pop("error", None)
            record.pop("finished", None)
        record.update(state=state, **details)
        if state != "running":
            record["finished"] = now
        self.write_json(STATUS, record, replace=True)


def _plain(value):
    # numpy scalars and arrays in metrics -> JSON numbers and lists
    if hasattr(value, "tolist"):
        return value.tolist()
    raise TypeError(f"cannot write {type(value).__name__} to JSON")
