"""``run_experiment``: the notes' five steps as one call, from a spec to a run folder and report.

load → prepare → build → train → evaluate (test part, baselines, backtest, gate trace) →
report. The run folder is created first and marked ``running``; whatever happens it ends
``succeeded`` or ``failed`` with the error, so a failed run explains itself.
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

from seqlab.experiment import artifacts, evaluate, modeling
from seqlab.experiment.data import fill_missing, read_data
from seqlab.experiment.prepare import Prepared, prepare, split_rows
from seqlab.experiment.classify.run import run_classify
from seqlab.experiment.rundir import RunDir
from seqlab.experiment.spec import Spec
from seqlab.experiment.steps import RunError, run_step  # noqa: F401  (RunError: part of this module's API)
from seqlab.experiment.tomlout import dump_spec
from seqlab.forecast.summary import MetricTable, beats_all, verdicts
from seqlab.layers.recurrent import RecurrentLayer
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


DEMO_SPECS = {"forecast": "demo.toml", "classify": "classify_demo.toml"}  # seqlab demo --task NAME


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
                   quiet: bool = False, log=print, threads: int | None = None) -> RunResult:
    """Run a validated spec end to end; returns the :class:`RunResult` (raises ``SeqlabError``).

    Args:
        spec: from :func:`~seqlab.experiment.load_spec`.
        runs_dir: where the run folder is created.
        seed: overrides ``training.seed``.
        device: ``'cpu'``, ``'cuda'``, ``'cuda:N'`` or ``None``/``'auto'``.
        quiet: no progress output.
        log: where progress lines go.
        threads: CPU threads torch may use during the run (``None``: unchanged).
    """
    with torch_threads(threads):
        return _run(spec, runs_dir, seed, device, quiet, log)


def _run(spec: Spec, runs_dir, seed, device, quiet: bool, log) -> RunResult:
    started = time.perf_counter()
    spec = resolved(spec, seed)
    if spec.task not in TASKS:
        raise RunError(f"task = {spec.task!r} has no runner in this version of seqlab (it runs {sorted(TASKS)})")
    log = (lambda *_: None) if quiet else log
    torch_device = resolve_device(device)
    run = RunDir.create(runs_dir, spec.name)
    run.mark("running", seed=spec.training.seed, device=str(torch_device))
    log(f"run folder: {run.path}")
    try:
        run.write_text("spec.toml", dump_spec(spec))
        record, tables = TASKS[spec.task](run, spec, torch_device, quiet, log)
    except KeyboardInterrupt:  # Ctrl-C, or a stop signal the CLI turns into one
        run.mark("interrupted", error="stopped before the run finished (Ctrl-C or a termination signal)")
        raise
    except BaseException as error:  # the folder must say it did not finish, and why
        run.mark("failed", error=f"{type(error).__name__}: {error}")
        raise
    seconds = time.perf_counter() - started
    run.mark("succeeded", seconds=round(seconds, 2))
    return RunResult(run, record, tables, record["verdict"], seconds)


def run_forecast(run: RunDir, spec: Spec, torch_device, quiet: bool, log) -> tuple[dict, dict]:
    """``task = "forecast"``: load → prepare → build → train → evaluate and report, in ``run``;
    returns the metrics record and the printed tables."""
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
    with run_step(f"training ({len(data.x_train)} windows, up to {spec.training.epochs} epochs)", log):
        history = modeling.train(model, spec, data, verbose=0 if quiet else 1)
        artifacts.write_frame(run, "history.csv", history)
        run.save_via(artifacts.MODEL_FILE, model.save)
    record = evaluate_and_report(run, spec, loaded, data, model, history, quiet, log)
    return record, result_of(run, spec, record, 0.0).tables


# What `seqlab run` does, by the spec's `task` (each: (run, spec, device, quiet, log) -> (record, tables)).
TASKS = {"forecast": run_forecast, "classify": run_classify}


def result_of(run: RunDir, spec: Spec, record: dict, seconds: float) -> RunResult:
    """The :class:`RunResult` of a finished run folder: its metrics record, tables and verdicts."""
    tables = {target: MetricTable(rows, tuple(spec.evaluation.metrics), evaluate.baseline_labels(spec))
              for target, rows in record["test"].items()}
    return RunResult(run, record, tables, record["verdict"], seconds)


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
            run.write_text("report.html", render(report))
    return record


def resolved(spec: Spec, seed: int | None) -> Spec:
    # The run folder keeps a spec that repeats the run: the seed used, the data path absolute.
    spec = copy.deepcopy(spec)
    if seed is not None:
        spec.training.seed = seed
    if spec.data.path is not None:
        spec.data.path = os.path.abspath(spec.data_file)
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
