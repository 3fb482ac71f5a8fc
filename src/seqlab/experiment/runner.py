"""``run_experiment``: the notes' five steps as one call, from a spec to a run folder and report.

load → prepare → build → train → evaluate (test part, baselines, backtest, gate trace) →
report. The run folder is created first and marked ``running``; whatever happens it ends
``succeeded`` or ``failed`` with the error, so a failed run explains itself.
"""
from __future__ import annotations

import contextlib
import copy
import os
import time
from dataclasses import dataclass
from importlib import resources

import numpy as np
import torch

from seqlab.errors import SeqlabError
from seqlab.experiment import artifacts, evaluate, modeling
from seqlab.experiment.data import fill_missing, read_data
from seqlab.experiment.prepare import prepare, split_rows
from seqlab.experiment.rundir import RunDir
from seqlab.experiment.spec import Spec
from seqlab.experiment.tomlout import dump_spec
from seqlab.forecast.summary import beats_all, text_table, verdicts
from seqlab.layers.recurrent import RecurrentLayer
from seqlab.report import render
from seqlab.training.compile import resolve_device as _resolve_device
from seqlab.utils import set_random_seed


class RunError(SeqlabError):
    """A step of a run failed on a bad value (the message names the step)."""


@dataclass
class RunResult:
    """What a finished run produced: its folder, metrics, the printed table and verdicts."""

    run: RunDir
    metrics: dict
    tables: dict
    verdicts: list
    seconds: float

    @property
    def report(self) -> str:
        return self.run.file("report.html")


def demo_spec_path() -> str:
    """The spec behind ``seqlab demo`` (shipped inside the package)."""
    return str(resources.files("seqlab.cli").joinpath("specs/demo.toml"))


def resolve_device(device: str | None):
    """``None``/``"auto"``: CUDA when available, else the CPU; otherwise exactly what was asked."""
    try:
        return _resolve_device("auto" if device is None else device)
    except ValueError as error:
        raise RunError(f"--device {device}: {error}") from None


@contextlib.contextmanager
def _step(name: str, log):
    log(f"· {name}")
    try:
        yield
    except (ValueError, TypeError) as error:
        if isinstance(error, SeqlabError):
            raise
        raise RunError(f"while {name}: {error}") from error


@contextlib.contextmanager
def _threads(count: int | None):
    # torch's CPU thread count is process-wide: set it for this run only, then put it back
    before = torch.get_num_threads()
    if count is not None:
        torch.set_num_threads(count)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def run_experiment(spec: Spec, runs_dir="runs", seed: int | None = None, device: str | None = None,
                   quiet: bool = False, log=print, threads: int | None = None,
                   precision: str | None = None) -> RunResult:
    """Run a validated spec end to end; returns the :class:`RunResult` (raises ``SeqlabError``).

    Args:
        spec: from :func:`~seqlab.experiment.load_spec`.
        runs_dir: where the run folder is created.
        seed: overrides ``training.seed``.
        device: ``'cpu'``, ``'cuda'``, ``'cuda:N'`` or ``None``/``'auto'``.
        quiet: no progress output.
        log: where progress lines go.
        threads: CPU threads torch may use during the run (``None``: unchanged).
        precision: ``'fp32'`` or ``'bf16'``, overrides ``training.precision``.
    """
    with _threads(threads):
        return _run(spec, runs_dir, seed, device, quiet, log, precision)


def _run(spec: Spec, runs_dir, seed, device, quiet: bool, log, precision=None) -> RunResult:
    started = time.perf_counter()
    spec = _resolved(spec, seed, precision)
    log = (lambda *_: None) if quiet else log
    torch_device = resolve_device(device)
    run = RunDir.create(runs_dir, spec.name)
    run.mark("running", seed=spec.training.seed, device=str(torch_device))
    log(f"run folder: {run.path}")
    try:
        run.write_text("spec.toml", dump_spec(spec))
        with _step(f"loading the data ({spec.data.source or spec.data.path})", log):
            read = read_data(spec)
            # The runner owns the split: interpolation may read past a gap only inside the train part.
            loaded = fill_missing(spec, read, train_end=split_rows(spec, read.frame).train_end)
            artifacts.write_frame(run, "data.csv", loaded.frame, index=True)
        with _step("splitting, scaling (train part only) and cutting windows", log):
            data = prepare(spec, loaded.frame, loaded.imputed)
            unobserved = int(np.isnan(data.actual).sum())
            if unobserved:
                loaded.notes.append(f"{unobserved} test forecast points fall on imputed values; they "
                                    "are left out of the metrics (actual is empty in predictions.csv)")
            _write_scalers(run, data)
        with _step("building the model", log):
            set_random_seed(spec.training.seed)
            model = modeling.build_model(spec, data.inputs.shape[1])
            modeling.compile_model(model, spec, torch_device)
            summary = model.summary(print_fn=None)
            run.write_text("summary.txt", summary + "\n")
        with _step(f"training ({len(data.x_train)} windows, up to {spec.training.epochs} epochs)", log):
            history = modeling.train(model, spec, data, verbose=0 if quiet else 1)
            artifacts.write_frame(run, "history.csv", history)
            run.save_via(artifacts.MODEL_FILE, model.save)
        with _step("evaluating on the test part against the baselines", log):
            forecasts, metrics = evaluate.evaluate_test(spec, data, model)
            predictions = evaluate.predictions_frame(spec, data, forecasts)
            artifacts.write_frame(run, "predictions.csv", predictions)
        backtest = None
        if spec.evaluation.backtest.folds:
            with _step(f"backtesting over {spec.evaluation.backtest.folds} folds", log):
                backtest = evaluate.run_backtest(spec, data, model, len(history), spec.training.seed, quiet)
        trace = None
        if _is_recurrent(model):
            with _step("tracing the recurrent layers over one test window", log):
                trace = evaluate.trace_window(spec, data, model)
                if trace:
                    artifacts.write_trace(run, trace)
        record = _metrics_record(spec, loaded, data, metrics, backtest, history, model)
        run.write_json("metrics.json", record)
        if spec.report.enabled:
            with _step("writing the report", log):
                report = artifacts.report_data(run)
                report.status = "succeeded"  # status.json says so once this last file is written
                run.write_text("report.html", render(report))
    except KeyboardInterrupt:  # Ctrl-C, or a stop signal the CLI turns into one
        run.mark("interrupted", error="stopped before the run finished (Ctrl-C or a termination signal)")
        raise
    except BaseException as error:  # the folder must say it did not finish, and why
        run.mark("failed", error=f"{type(error).__name__}: {error}")
        raise
    seconds = time.perf_counter() - started
    run.mark("succeeded", seconds=round(seconds, 2))
    tables = {target: text_table(rows, spec.evaluation.metrics, evaluate.baseline_labels(spec))
              for target, rows in metrics.items()}
    return RunResult(run, record, tables, record["verdict"], seconds)


def _resolved(spec: Spec, seed: int | None, precision: str | None = None) -> Spec:
    # The run folder keeps a spec that repeats the run: the seed and precision used, the data
    # path absolute.
    spec = copy.deepcopy(spec)
    if seed is not None:
        spec.training.seed = seed
    if precision is not None:
        spec.training.precision = precision  # the CLI's choices already checked it
    if spec.data.path is not None:
        spec.data.path = os.path.abspath(spec.data_file)
    return spec


def _write_scalers(run: RunDir, data) -> None:
    run.write_json("scalers.json", {"inputs": artifacts.scaler_to_dict(data.x_scaler),
                                    "targets": artifacts.scaler_to_dict(data.y_scaler)})


def _is_recurrent(model) -> bool:
    return any(isinstance(module, RecurrentLayer) for module in model.modules())


def _metrics_record(spec, loaded, data, metrics, backtest, history, model) -> dict:
    index = loaded.frame.index
    best = int(np.argmin(history["val_loss"].to_numpy())) + 1 if "val_loss" in history else len(history)
    return {
        "test": metrics,
        "verdict": verdicts(metrics, labels=evaluate.baseline_labels(spec)),
        "beats_all_baselines": beats_all(metrics),
        "backtest": backtest,
        "labels": evaluate.baseline_labels(spec),
        "data": {"description": loaded.description, "rows": len(index), "notes": loaded.notes,
                 "bounds": {k: list(v) for k, v in data.bounds.items()},
                 "first": str(index[0]), "last": str(index[-1])},
        "training": {"epochs_trained": len(history), "best_epoch": best, "parameters": model.count_params()},
        "settings": {"look_back": spec.windows.look_back, "horizon": spec.windows.horizon,
                     "foresight": spec.windows.foresight, "multi_step": spec.evaluation.multi_step,
                     "scaling": spec.scaling.method, "test windows": int(len(data.x_test))},
    }
