"""``run_experiment``: the notes' five steps as one call, from a spec to a run folder and report.

load → prepare → build → train → evaluate (test part, baselines, backtest, gate trace) →
report. The run folder is created first and marked ``running``; whatever happens it ends
``succeeded`` or ``failed`` with the error, so a failed run explains itself. Every finished
epoch is checkpointed in the folder (:mod:`seqlab.experiment.checkpoints`), so
:func:`resume_experiment` finishes an interrupted run with the same model and figures as an
uninterrupted one. A run ends ``interrupted`` when a stop signal was honoured at a safe point
(each step's start and end, and fit's batches).
"""
from __future__ import annotations

import contextlib
import copy
import html
import os
import time
from dataclasses import dataclass
from importlib import resources

import numpy as np
import torch

from seqlab import stopping
from seqlab.experiment import artifacts, evaluate, modeling
from seqlab.experiment.checkpoints import RunCheckpoints
from seqlab.experiment.classify.run import run_classify
from seqlab.experiment.data import fill_missing, read_data
from seqlab.experiment.generate.run import run_generate
from seqlab.experiment.load import load_spec
from seqlab.experiment.prepare import Prepared, prepare, split_rows
from seqlab.experiment.rundir import RunDir
from seqlab.experiment.spec import Spec
from seqlab.experiment.steps import RunError, run_step
from seqlab.experiment.tomlout import dump_spec
from seqlab.forecast.summary import MetricTable, beats_all, verdicts
from seqlab.layers.recurrent import RecurrentLayer
from seqlab.models.saving import load_checkpoint
from seqlab.report import render
from seqlab.training.compile import resolve_device as _resolve_device
from seqlab.utils import set_random_seed


@dataclass
class RunResult:
    """What a finished run produced: its folder, metrics, the tables (``{target: MetricTable}``,
    printed as text) and verdicts. In a notebook it shows its one-file report inline."""

    run: RunDir
    metrics: dict
    tables: dict
    verdicts: list
    seconds: float

    @property
    def report(self) -> str:
        return self.run.file("report.html")

    def __str__(self) -> str:
        """What ``seqlab run`` prints: each target's table, the verdicts, where the report is."""
        lines = []
        for target, table in self.tables.items():
            # a table may say its own heading (a generate run's bits per token)
            heading = getattr(table, "heading", f"Test metrics for {target}, in the data's units (* = best):")
            lines += ["", heading, str(table)]
        lines += ["", *self.verdicts, ""]
        lines.append(f"report: {self.report}" if os.path.exists(self.report) else f"run folder: {self.run.path}")
        return "\n".join(lines)

    def _repr_pretty_(self, printer, cycle) -> None:
        printer.text(str(self).lstrip("\n"))  # IPython's plain text, for viewers without HTML

    def _repr_html_(self) -> str:
        # The report is a whole document with its own stylesheet: an iframe keeps it from
        # restyling the notebook. srcdoc holds the document as an attribute value, so every
        # quote and ampersand is escaped; the sandbox runs none of its script.
        heading = f"<p>run folder: <code>{html.escape(str(self.run.path))}</code></p>"
        if os.path.exists(self.report):
            with open(self.report, encoding="utf-8") as file:
                document = file.read()
            return (heading + f'<iframe srcdoc="{html.escape(document, quote=True)}" sandbox="" '
                    'style="width:100%;height:720px;border:1px solid #ccc"></iframe>')
        tables = "".join(f"<h4>{html.escape(target)}</h4>{table._repr_html_()}" for target, table in self.tables.items())
        sentences = "".join(f"<p>{html.escape(sentence)}</p>" for sentence in self.verdicts)
        return heading + tables + sentences + "<p>(no report: the spec's report is turned off)</p>"


# The spec behind ``seqlab demo --task TASK`` (shipped inside the package).
DEMO_SPECS = {"forecast": "demo.toml", "classify": "classify_demo.toml", "generate": "generate_demo.toml"}


def demo_spec_path(task: str = "forecast") -> str:
    """The spec behind ``seqlab demo [--task TASK]`` (shipped inside the package)."""
    return str(resources.files("seqlab.cli").joinpath(f"specs/{DEMO_SPECS[task]}"))


def resolve_device(device: str | None):
    """``None``/``"auto"``: CUDA when available, else the CPU; otherwise exactly what was asked."""
    try:
        return _resolve_device("auto" if device is None else device)
    except ValueError as error:
        raise RunError(f"--device {device}: {error}") from None


@contextlib.contextmanager
def torch_threads(count: int | None):
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
    with torch_threads(threads):
        return _run(spec, seed, device, quiet, log, lambda spec: RunDir.create(runs_dir, spec.name), precision)


def resume_experiment(run_dir, device: str | None = None, quiet: bool = False, log=print,
                      threads: int | None = None) -> RunResult:
    """Finish a run that was interrupted (killed, stopped or failed) in its own folder.

    The run's resolved spec (``spec.toml``: its seed, its data) is run again; training goes on
    after the last checkpointed epoch, every file the interrupted run wrote must come out the
    same (:class:`~seqlab.experiment.rundir.RunDir` refuses one that differs), and the rest is
    written. On the CPU the model and every figure equal those of an uninterrupted run.

    Raises:
        RunDirError: not a run folder, or a file differs from what the run computes.
        RunError: the run already succeeded.
    """
    run = RunDir.open(run_dir, resuming=True)
    state = run.status().get("state")
    if state == "succeeded":
        raise RunError(f"run {run.path} already succeeded; there is nothing to resume "
                       f"(`seqlab report {run_dir}` rebuilds its report)")
    spec = load_spec(run.require("spec.toml"))
    run.remove_leftovers()
    with torch_threads(threads):
        return _run(spec, None, device, quiet, log, lambda spec: run)


def _run(spec: Spec, seed, device, quiet: bool, log, open_run, precision=None) -> RunResult:
    started = time.perf_counter()
    spec = resolved(spec, seed, precision)
    if spec.task not in TASKS:
        raise RunError(f"task = {spec.task!r} has no runner in this version of seqlab (it runs {sorted(TASKS)})")
    log = (lambda *_: None) if quiet else log
    torch_device = resolve_device(device)
    run = open_run(spec)
    run.mark("running", seed=spec.training.seed, device=str(torch_device))
    log(f"{'resuming the run in' if run.resuming else 'run folder:'} {run.path}")
    try:
        run.write_text("spec.toml", dump_spec(spec))
        record, tables = TASKS[spec.task](run, spec, torch_device, quiet, log)
        stopping.check()  # the last safe point: after it the run is complete
    except KeyboardInterrupt as stop:  # Ctrl-C, or a stop signal honoured at a safe point
        number = stopping.requested() or getattr(stop, "signal_number", None)
        how = stopping.signal_name(number) if number else "Ctrl-C or a termination signal"
        run.mark("interrupted", error=f"stopped before the run finished ({how})")
        raise
    except BaseException as error:  # the folder must say it did not finish, and why
        run.mark("failed", error=f"{type(error).__name__}: {error}")
        raise
    seconds = time.perf_counter() - started
    run.mark("succeeded", seconds=round(seconds, 2))
    RunCheckpoints(run.path).remove()  # only what finished is kept: a succeeded run needs no resume
    return RunResult(run, record, tables, record["verdict"], seconds)


def run_forecast(run: RunDir, spec: Spec, torch_device, quiet: bool, log) -> dict:
    """Every step of a forecasting run into ``run``; returns the metrics record."""
    with run_step(f"loading the data ({spec.data.source or spec.data.path})", log):
        loaded = load_series(spec)
        artifacts.write_frame(run, "data.csv", loaded.frame, index=True)
    with run_step("splitting, scaling (train part only) and cutting windows", log):
        data = prepare_series(spec, loaded)
        write_scalers(run, data)
    with run_step("building the model", log):
        set_random_seed(spec.training.seed)
        model = modeling.build_model(spec, data.inputs.shape[1])
        modeling.compile_model(model, spec, torch_device)
        run.write_text("summary.txt", model.summary(print_fn=None) + "\n")
    checkpoints = RunCheckpoints(run.path)
    start = checkpoints.latest() if run.resuming else None
    if start is not None:
        with run_step(f"restoring the checkpoint of epoch {start.epoch}", log):
            load_checkpoint(model, start.model_file)
    with run_step(f"training ({len(data.x_train)} windows, up to {spec.training.epochs} epochs)", log):
        history = modeling.train(model, spec, data, verbose=0 if quiet else 1,
                                 checkpoints=checkpoints, start=start)
        artifacts.write_frame(run, "history.csv", history)
        run.save_via(artifacts.MODEL_FILE, model.save)
    record = evaluate_and_report(run, spec, loaded, data, model, history, quiet, log)
    return record, forecast_tables(spec, record)


# What `seqlab run` does, by the spec's `task`: each (run, spec, device, quiet, log) writes the
# run folder and returns its metrics record and the tables `seqlab run` prints.
TASKS = {"forecast": run_forecast, "classify": run_classify, "generate": run_generate}


def forecast_tables(spec: Spec, record: dict) -> dict:
    """``{target: MetricTable}`` of a forecast run's test metrics against the baselines."""
    return {target: MetricTable(rows, tuple(spec.evaluation.metrics), evaluate.baseline_labels(spec))
            for target, rows in record["test"].items()}


def result_of(run: RunDir, spec: Spec, record: dict, seconds: float) -> RunResult:
    """The :class:`RunResult` of a finished forecast run folder (the best trial of a tuning)."""
    return RunResult(run, record, forecast_tables(spec, record), record["verdict"], seconds)


def load_series(spec: Spec):
    """Step 1 as a run takes it: read the data, then fill gaps (interpolation only inside the
    train part, which the spec's split of the rows read gives)."""
    read = read_data(spec)
    # The runner owns the split: interpolation may read past a gap only inside the train part.
    return fill_missing(spec, read, train_end=split_rows(spec, read.frame).train_end)


def prepare_series(spec: Spec, loaded) -> Prepared:
    """Step 2 as a run takes it: :func:`~seqlab.experiment.prepare.prepare`, and a note when test
    targets fall on imputed values (they are left out of the metrics)."""
    data = prepare(spec, loaded.frame, loaded.imputed)
    unobserved = int(np.isnan(data.actual).sum())
    if unobserved:
        loaded.notes.append(f"{unobserved} test forecast points fall on imputed values; they "
                            "are left out of the metrics (actual is empty in predictions.csv)")
    return data


def evaluate_and_report(run: RunDir, spec: Spec, loaded, data: Prepared, model, history, quiet: bool,
                        log) -> dict:
    """Step 5 and the report, for a trained model: the test part against the baselines, the
    backtest, the gate trace, ``metrics.json`` and ``report.html``; returns the metrics record.
    The only place where a run (or the best trial of a tuning) reads its test part's forecasts."""
    with run_step("evaluating on the test part against the baselines", log):
        forecasts, metrics = evaluate.evaluate_test(spec, data, model)
        predictions = evaluate.predictions_frame(spec, data, forecasts)
        artifacts.write_frame(run, "predictions.csv", predictions)
    backtest = None
    if spec.evaluation.backtest.folds:
        with run_step(f"backtesting over {spec.evaluation.backtest.folds} folds", log):
            backtest = evaluate.run_backtest(spec, data, model, len(history), spec.training.seed, quiet)
    if _is_recurrent(model):
        with run_step("tracing the recurrent layers over one test window", log):
            trace = evaluate.trace_window(spec, data, model)
            if trace:
                artifacts.write_trace(run, trace)
    record = _metrics_record(spec, loaded, data, metrics, backtest, history, model)
    run.write_json("metrics.json", record)
    if spec.report.enabled:
        with run_step("writing the report", log):
            report = artifacts.report_data(run)
            report.status = "succeeded"  # status.json says so once this last file is written
            # (resumed: a report the killed run wrote is redrawn; it is made of the files above)
            run.write_text("report.html", render(report), replace=run.resuming)
    return record


def resolved(spec: Spec, seed: int | None, precision: str | None = None) -> Spec:
    # The run folder keeps a spec that repeats the run: the seed and precision used, the data
    # paths absolute.
    spec = copy.deepcopy(spec)
    if seed is not None:
        spec.training.seed = seed
    if precision is not None:
        spec.training.precision = precision  # the CLI's choices already checked it
    if spec.data.path is not None:
        spec.data.path = os.path.abspath(spec.data_file)
    if spec.text.path is not None:
        spec.text.path = os.path.abspath(spec.resolve_path(spec.text.path))
    if spec.classify.negative_path is not None:
        spec.classify.negative_path = os.path.abspath(spec.resolve_path(spec.classify.negative_path))
    return spec


def write_scalers(run: RunDir, data) -> None:
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
