"""A run's checkpoint of every finished epoch: what ``seqlab run --resume RUN_DIR`` goes on from.

``<run>/checkpoints/epoch-NNNN/`` (``NNNN``: the epochs finished) holds

==========================  ===================================================================
``model.seqlab``            the model after that epoch: weights, optimizer state and the
                            training state (every random generator at the epoch's end, see
                            :mod:`seqlab.training.rng_state`)
``progress.json``           the history so far, whether early stopping stopped the run, and its
                            counters (:meth:`~seqlab.callbacks.EarlyStopping.counters`)
``best.safetensors``        with ``restore_best_weights``: the best epoch's weights so far
==========================  ===================================================================

A checkpoint is written into a hidden folder (``.epoch-NNNN.partial``) and renamed into place,
then the one before it is removed, so a process killed at any moment leaves the last complete
checkpoint (and perhaps a partial folder, which is ignored and removed on resume). A resumed
fit from it repeats the uninterrupted one bit for bit on the CPU.
"""
from __future__ import annotations

import json
import os
import re
import shutil
from dataclasses import dataclass

from safetensors.torch import load as load_tensors, save as save_tensors

from seqlab.atomic import fsync_directory
from seqlab.callbacks import Callback
from seqlab.experiment.rundir import RunDirError

FOLDER = "checkpoints"
MODEL, PROGRESS, BEST = "model.seqlab", "progress.json", "best.safetensors"
_COMPLETE = re.compile(r"epoch-(\d{4,})")


@dataclass
class Checkpoint:
    """One finished epoch, read back from its folder."""

    epoch: int  # epochs finished
    folder: str
    history: dict  # {"loss": [...], "val_loss": [...]}: every epoch so far
    stopped: bool  # early stopping ended training at this epoch
    early_stopping: dict | None  # EarlyStopping.counters()
    best_weights: list | None  # EarlyStopping.best_weights

    @property
    def model_file(self) -> str:
        return os.path.join(self.folder, MODEL)


class RunCheckpoints:
    """The checkpoints of the run in ``run_path``."""

    def __init__(self, run_path: str):
        self.root = os.path.join(run_path, FOLDER)

    def latest(self) -> Checkpoint | None:
        """The last complete checkpoint, or None; partial folders of killed writers are removed."""
        if not os.path.isdir(self.root):
            return None
        complete = {}
        for entry in os.scandir(self.root):
            match = _COMPLETE.fullmatch(entry.name)
            if match and entry.is_dir():
                complete[int(match.group(1))] = entry.path
            elif entry.name.endswith(".partial"):
                shutil.rmtree(entry.path, ignore_errors=True)
        if not complete:
            return None
        epoch = max(complete)
        return _read(epoch, complete[epoch])

    def write(self, epoch: int, model, history: dict, stopped: bool, stopping) -> None:
        """The checkpoint after ``epoch`` finished epochs, then the older ones removed."""
        os.makedirs(self.root, exist_ok=True)
        name = f"epoch-{epoch:04d}"
        partial, final = os.path.join(self.root, f".{name}.partial"), os.path.join(self.root, name)
        shutil.rmtree(partial, ignore_errors=True)
        os.mkdir(partial)
        model.save(os.path.join(partial, MODEL))
        progress = {"epoch": epoch, "history": history, "stopped": bool(stopped),
                    "early_stopping": None if stopping is None else stopping.counters()}
        _write_synced(os.path.join(partial, PROGRESS), json.dumps(progress).encode())
        if stopping is not None and stopping.best_weights is not None:
            tensors = {str(i): weight.detach().cpu().contiguous() for i, weight in enumerate(stopping.best_weights)}
            _write_synced(os.path.join(partial, BEST), save_tensors(tensors))
        if os.path.isdir(final):  # (a resumed run starts after the last complete one: not expected)
            shutil.rmtree(final)
        os.replace(partial, final)
        fsync_directory(self.root)
        for entry in os.scandir(self.root):
            match = _COMPLETE.fullmatch(entry.name)
            if match and int(match.group(1)) < epoch:
                shutil.rmtree(entry.path, ignore_errors=True)

    def remove(self) -> None:
        """Once the run succeeded: its model is in model.seqlab, the checkpoints are spent."""
        shutil.rmtree(self.root, ignore_errors=True)


def _write_synced(path: str, data: bytes) -> None:
    # Inside the partial folder a plain write will do: renaming the folder is the atomic step
    # (the data is fsynced first, so the renamed folder is complete after a power cut too).
    with open(path, "xb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


def _read(epoch: int, folder: str) -> Checkpoint:
    try:
        with open(os.path.join(folder, PROGRESS), encoding="utf-8") as stream:
            progress = json.load(stream)
        best = None
        if os.path.exists(os.path.join(folder, BEST)):
            with open(os.path.join(folder, BEST), "rb") as stream:
                tensors = load_tensors(stream.read())
            best = [tensors[str(i)] for i in range(len(tensors))]
        checkpoint = Checkpoint(epoch, folder, dict(progress["history"]), bool(progress["stopped"]),
                                progress["early_stopping"], best)
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise RunDirError(f"the checkpoint {folder} cannot be read ({error}); it was not written "
                          "by this seqlab, or the disk damaged it") from None
    if progress.get("epoch") != epoch or any(len(values) != epoch for values in checkpoint.history.values()):
        raise RunDirError(f"the checkpoint {folder} is inconsistent: its progress.json does not hold "
                          f"{epoch} epochs")
    return checkpoint


class CheckpointEachEpoch(Callback):
    """Writes the run's checkpoint at the end of every epoch (after early stopping decided);
    resumed, it first puts early stopping's counters back and goes on with the history."""

    def __init__(self, checkpoints: RunCheckpoints, stopping=None, start: Checkpoint | None = None):
        super().__init__()
        self.checkpoints, self.stopping, self.start = checkpoints, stopping, start
        self.history = {key: list(values) for key, values in (start.history if start else {}).items()}

    def on_train_begin(self, logs=None):
        start = self.start
        if start is not None and self.stopping is not None and start.early_stopping is not None:
            self.stopping.resume_from(start.early_stopping, start.best_weights)

    def on_epoch_end(self, epoch, logs=None):
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(float(value))
        self.checkpoints.write(epoch + 1, self.model, self.history, self.model.stop_training, self.stopping)
