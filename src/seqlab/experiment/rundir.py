"""The run directory: ``runs/<YYYYmmdd-HHMMSS>-<name>/``, never overwritten, always explained.

``status.json`` is written first (``running``) and last (``succeeded`` or ``failed`` with the
error), so a run that died leaves a folder that says so and why. Every file is written
atomically (to a temporary file in the same folder, then renamed), so a reader never sees half
a file; an existing file is never replaced unless the caller says so (``seqlab report``
rebuilding ``report.html``).

Files: ``status.json``, ``spec.toml`` (resolved), ``data.csv`` (the prepared series),
``model.seqlab`` (the trained model), ``scalers.json``, ``history.csv``, ``metrics.json``,
``predictions.csv``, ``summary.txt``, ``trace.npz`` (recurrent models), ``report.html``.
"""
from __future__ import annotations

import datetime as _dt
import json
import os
import tempfile

from seqlab.errors import SeqlabError

STATUS = "status.json"


def _file_mode() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


_FILE_MODE = _file_mode()


class RunDirError(SeqlabError):
    """A run directory is missing, incomplete, or a file in it would be overwritten."""


class RunDir:
    """A run's folder. Create with :meth:`create`; open an existing one with :meth:`open`.

    >>> import tempfile
    >>> run = RunDir.create(tempfile.mkdtemp(), "demo", now=_dt.datetime(2024, 5, 1, 12, 0, 0))
    >>> os.path.basename(run.path)
    '20240501-120000-demo'
    """

    def __init__(self, path: str):
        self.path = os.path.abspath(path)

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
    def open(cls, path) -> "RunDir":
        """An existing run folder (one holding ``status.json``)."""
        path = os.fspath(path)
        if not os.path.isdir(path):
            raise RunDirError(f"run folder {path!r} does not exist")
        if not os.path.isfile(os.path.join(path, STATUS)):
            raise RunDirError(f"{path!r} is not a seqlab run folder (it has no {STATUS})")
        return cls(path)

    def file(self, name: str) -> str:
        return os.path.join(self.path, name)

    def has(self, name: str) -> bool:
        return os.path.isfile(self.file(name))

    def write_bytes(self, name: str, data: bytes, replace: bool = False) -> str:
        """Write ``name`` atomically; refuse to replace an existing file unless ``replace``."""
        target = self.file(name)
        if not replace and os.path.exists(target):
            raise RunDirError(f"{target} already exists; a run never overwrites its files")
        handle, temporary = tempfile.mkstemp(dir=self.path, prefix=f".{name}.", suffix=".tmp")
        try:
            with os.fdopen(handle, "wb") as stream:
                stream.write(data)
            os.chmod(temporary, _FILE_MODE)  # mkstemp makes 0600; a run's files are ordinary files
            os.replace(temporary, target)
        except BaseException:
            if os.path.exists(temporary):
                os.unlink(temporary)
            raise
        return target

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
        if os.path.exists(target):
            raise RunDirError(f"{target} already exists; a run never overwrites its files")
        temporary = self.file(f".{name}.partial")
        try:
            writer(temporary)
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
        record.update(state=state, **details)
        if state != "running":
            record["finished"] = now
        self.write_json(STATUS, record, replace=True)


def _plain(value):
    # numpy scalars and arrays in metrics -> JSON numbers and lists
    if hasattr(value, "tolist"):
        return value.tolist()
    raise TypeError(f"cannot write {type(value).__name__} to JSON")
