"""Kill a saving process with SIGKILL at random moments, then check what it left (a test helper,
run as a script by test_kill_safety.py: ``python kill_harness.py SCENARIO KILLS SEED FOLDER``).

The harness imports seqlab once, then forks one child per kill: the child works (saves a model
over and over, trains with a ModelCheckpoint, or runs the spec FOLDER/killed.toml that the test
wrote), the harness kills it after a random delay and checks the files. Forking saves the 2-7 s
an import of torch costs per kill; torch runs on one thread here (no thread pool exists to break
across a fork). Every result is one JSON line on standard output; the test reads them and asserts.
"""
from __future__ import annotations

import json
import os
import random
import signal
import sys
import time

import numpy as np
import torch

torch.set_num_threads(1)

from seqlab.callbacks import ModelCheckpoint  # noqa: E402 - after the thread setting
from seqlab.experiment import load_spec  # noqa: E402
from seqlab.experiment.artifacts import report_data  # noqa: E402
from seqlab.experiment.rundir import RunDir  # noqa: E402
from seqlab.experiment.runner import resume_experiment, run_experiment  # noqa: E402
from seqlab.layers import LSTM, Dense, Dropout  # noqa: E402
from seqlab.models import Sequential, load_model  # noqa: E402
from seqlab.report import render  # noqa: E402
from seqlab.utils import set_random_seed  # noqa: E402

# Files whose bytes a run repeats exactly (status.json and report.html carry the run's times).
REPEATED = ("spec.toml", "data.csv", "scalers.json", "summary.txt", "history.csv", "model.seqlab",
            "predictions.csv", "metrics.json", "trace.npz")


def in_child(work) -> int:
    """Fork; the child runs ``work()`` and exits; returns the child's pid."""
    pid = os.fork()
    if pid == 0:
        code = 0
        try:
            sys.stdout = sys.stderr = open(os.devnull, "w")
            work()
        except BaseException:  # noqa: BLE001 - the child's exit status says it failed
            code = 1
        os._exit(code)
    return pid


def killed_after(work, delay: float) -> bool:
    """Run ``work`` in a child and SIGKILL it after ``delay`` s; True when it was still working."""
    pid = in_child(work)
    time.sleep(delay)
    alive = os.waitpid(pid, os.WNOHANG)[0] == 0  # (an exited child is reaped here)
    if alive:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    return alive


def completed(work) -> bool:
    pid = in_child(work)
    return os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) == 0


def small_model(seed: int):
    set_random_seed(seed)
    model = Sequential([LSTM(8, input_shape=(6, 2)), Dropout(0.2), Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    return model


def data():
    rng = np.random.default_rng(0)
    return rng.random((64, 6, 2), dtype=np.float32), rng.random((64, 1), dtype=np.float32)


def leftovers(folder: str) -> list[str]:
    return sorted(name for name in os.listdir(folder) if name.startswith("."))


# ---- model.save ------------------------------------------------------------------------------
def scenario_save(kills: int, rng: random.Random, folder: str):
    """A child saves two different models over the same file, turn about, without end."""
    versions = [small_model(seed) for seed in (1, 2)]
    x, y = data()
    for model in versions:
        model.fit(x, y, epochs=1, verbose=0)
    weights = [[w.copy() for w in model.get_weights()] for model in versions]
    path = os.path.join(folder, "model.seqlab")

    def work():
        for turn in range(10**6):
            versions[turn % 2].save(path)

    for kill in range(kills):
        was_alive = killed_after(work, rng.uniform(0.0, 0.4))
        result = {"scenario": "save", "kill": kill, "killed": was_alive, "leftovers": leftovers(folder)}
        if os.path.exists(path):
            loaded = load_model(path).get_weights()
            result["version"] = next((i for i, w in enumerate(weights)
                                      if all(np.array_equal(a, b) for a, b in zip(w, loaded))), None)
        else:
            result["version"] = "absent"
        print(json.dumps(result), flush=True)
    versions[0].save(path)  # a save after the kills removes their temporaries
    print(json.dumps({"scenario": "save", "after": True, "leftovers": leftovers(folder)}), flush=True)


# ---- ModelCheckpoint ----------------------------------------------------------------------------
def scenario_checkpoint(kills: int, rng: random.Random, folder: str):
    """A child trains with a ModelCheckpoint (one file, rewritten every epoch); the file must
    load, and a fit resumed from it for two epochs must equal the uninterrupted fit's checkpoint
    of that epoch (a reference child kept every epoch's)."""
    x, y = data()
    path = os.path.join(folder, "ck.seqlab")
    epochs = 80
    reference = os.path.join(folder, "reference-{epoch}.seqlab")

    def train(filepath):
        small_model(3).fit(x, y, epochs=epochs, batch_size=16, verbose=0, validation_split=0.25,
                           callbacks=[ModelCheckpoint(filepath, monitor="loss")])

    started = time.perf_counter()
    completed(lambda: train(reference))
    duration = time.perf_counter() - started
    for kill in range(kills):
        if os.path.exists(path):
            os.unlink(path)
        was_alive = killed_after(lambda: train(path), rng.uniform(0.1, 1.0) * duration)
        result = {"scenario": "checkpoint", "kill": kill, "killed": was_alive, "leftovers": leftovers(folder)}
        if os.path.exists(path):
            model = load_model(path)
            epoch = result["epoch"] = model._training_state.epoch
            target = min(epoch + 2, epochs)
            resumed = os.path.join(folder, "resumed.seqlab")

            def resume(model=model, epoch=epoch, target=target):
                model.fit(x, y, epochs=target, initial_epoch=epoch, batch_size=16, verbose=0,
                          validation_split=0.25)
                model.save(resumed)

            completed(resume)
            expected = load_model(reference.format(epoch=target)).get_weights()
            got = load_model(resumed).get_weights()
            result["resumed_equal"] = all(np.array_equal(a, b) for a, b in zip(expected, got))
        else:
            result["epoch"] = "absent"
        print(json.dumps(result), flush=True)


# ---- seqlab run ----------------------------------------------------------------------------------
def check_files(run: RunDir, reference: RunDir) -> list[str]:
    """Each file is absent or complete: the reference's very bytes, or (status.json,
    report.html) a whole JSON object / HTML page."""
    problems = []
    for name in sorted(os.listdir(run.path)):
        if name.startswith(".") or name == "checkpoints":
            continue
        with open(run.file(name), "rb") as stream:
            content = stream.read()
        if name in REPEATED:
            with open(reference.file(name), "rb") as stream:
                if content != stream.read():
                    problems.append(f"{name} differs from the uninterrupted run's")
        elif name == "status.json":
            try:
                json.loads(content)
            except ValueError:
                problems.append("status.json is not whole JSON")
        elif name == "report.html":
            if not content.rstrip().endswith(b"</html>"):
                problems.append("report.html is cut short")
        else:
            problems.append(f"unexpected file {name}")
    return problems


def scenario_run(kills: int, rng: random.Random, folder: str):
    spec_path = os.path.join(folder, "killed.toml")  # written by the test (the shared tiny spec)
    reference_root = os.path.join(folder, "reference")
    started = time.perf_counter()
    completed(lambda: run_experiment(load_spec(spec_path), runs_dir=reference_root, quiet=True))
    duration = time.perf_counter() - started
    reference = RunDir(os.path.join(reference_root, os.listdir(reference_root)[0]))
    for kill in range(kills):
        root = os.path.join(folder, f"killed-{kill}")
        was_alive = killed_after(lambda: run_experiment(load_spec(spec_path), runs_dir=root, quiet=True),
                                 rng.uniform(0.05, 1.0) * duration)
        result = {"scenario": "run", "kill": kill, "killed": was_alive}
        runs = os.listdir(root) if os.path.isdir(root) else []
        if not runs:
            result["state"] = "no folder"
            print(json.dumps(result), flush=True)
            continue
        run = RunDir(os.path.join(root, runs[0]))
        result["state"] = run.status().get("state")
        result["files"] = sorted(name for name in os.listdir(run.path) if not name.startswith("."))
        result["problems"] = check_files(run, reference)
        if run.has("metrics.json") and run.has("predictions.csv"):  # seqlab report recovers the report
            result["report_rebuilt"] = completed(
                lambda: run.write_text("report.html", render(report_data(run)), replace=True))
        if result["state"] != "succeeded":
            result["resumed"] = completed(lambda: resume_experiment(run.path, quiet=True))
            result["state_after"] = run.status().get("state")
            result["problems_after"] = check_files(run, reference)
            result["missing_after"] = sorted(set(REPEATED) - set(os.listdir(run.path)))
            result["leftovers_after"] = leftovers(run.path)
        print(json.dumps(result), flush=True)


if __name__ == "__main__":
    scenario, kills, seed, folder = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    {"save": scenario_save, "checkpoint": scenario_checkpoint, "run": scenario_run}[scenario](
        kills, random.Random(seed), folder)
