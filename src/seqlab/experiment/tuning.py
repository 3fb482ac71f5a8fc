"""``seqlab tune``: Optuna searches a spec's search spaces; trials are compared on the validation
part only, and the test part is scored once, for the best trial, at the end.

The road of one trial is the road of ``seqlab run`` (:mod:`seqlab.experiment.runner`): the
trial's values go into the spec's table, which :func:`~seqlab.experiment.validate.spec_from_dict`
checks → :func:`~seqlab.experiment.prepare.prepare` → ``modeling.build_model`` /
``compile_model`` / ``train``. What differs: the series is loaded once, and a trial is handed
its **train and validation rows only** (no test row exists in what it gets); ``val_loss`` is
reported to Optuna after every epoch and the median pruner may stop the trial; the objective is
the trained model's loss on the validation windows.

After the trials, the best trial's model — saved when that trial finished, not retrained — is
evaluated on the test part once, and the run folder is written as ``seqlab run`` writes it
(:func:`~seqlab.experiment.runner.evaluate_and_report`), plus ``study.db`` (Optuna's SQLite
storage: a killed tuning resumes from it), ``search.json`` (the spec as given), ``trials.csv``
and ``tuning.json`` (the report's Tuning section). No retraining on train + validation: the
validation part chose the model and its epochs; the test numbers are those of that model.

>>> result = tune("tune.toml", trials=20)          # doctest: +SKIP
>>> result.best_params                              # doctest: +SKIP
{'model.layers[0].units': 48, 'training.learning_rate': 0.0031}
"""
from __future__ import annotations

import math
import os
import shutil
import time
from dataclasses import dataclass, field
from importlib import resources

import pandas as pd

from seqlab.errors import SeqlabError
from seqlab.experiment import artifacts
from seqlab.experiment.errors import SpecError
from seqlab.experiment.load import line_index
from seqlab.experiment.prepare import split_rows
from seqlab.experiment.rundir import RunDir, RunDirError
from seqlab.experiment.runner import (RunResult, evaluate_and_report, load_series, prepare_series, resolve_device,
                                      resolved, result_of, run_step, torch_threads, write_scalers)
from seqlab.experiment.search_space import describe_table, find_search_spaces
from seqlab.experiment.study_summary import (counts_as_finished, importances_of, state_counts, trial_row,
                                             trials_frame)
from seqlab.experiment.tomlout import dump_spec
from seqlab.experiment.tuning_spec import TuningSpec, load_tuning_spec, tuning_spec_from_dict
from seqlab.experiment.tuning_trial import Objective, Progress, format_params, model_file
from seqlab.models import load_model

STUDY_FILE = "study.db"
SEARCH_FILE = "search.json"
STUDY_NAME = "seqlab-tune"
# Files of the final stage; a tuning killed during that stage redoes it from the start.
_FINAL_FILES = ("spec.toml", "data.csv", "scalers.json", "summary.txt", "history.csv", artifacts.MODEL_FILE,
                "predictions.csv", "trace.npz", "metrics.json", "trials.csv", "tuning.json", "report.html")


@dataclass
class TuningResult(RunResult):
    """A finished tuning: the run folder of its best trial (as :class:`RunResult`) and the study."""

    best_trial: int = -1
    best_params: dict = field(default_factory=dict)
    best_value: float = math.nan
    states: dict = field(default_factory=dict)  # {"complete": 8, "pruned": 3, ...}


def tune_demo_spec_path() -> str:
    """A commented spec with search spaces (``seqlab tune --show-spec``), shipped in the package."""
    return str(resources.files("seqlab.cli").joinpath("specs/tune_demo.toml"))


def optuna_module():
    """Optuna, or a clear error naming the extra to install."""
    try:
        # Lazy: Optuna (and SQLAlchemy under it) is optional — the `tune` extra — and only
        # `seqlab tune` needs it; importing it costs ~0.5 s that `seqlab run` must not pay.
        import optuna
    except ImportError:
        raise SeqlabError("seqlab tune needs Optuna, which is not installed: pip install 'seqlab[tune]' "
                          "(or pip install optuna)") from None
    return optuna


def tune(spec=None, trials: int = 20, *, timeout: float | None = None, runs_dir="runs", resume=None,
         seed: int | None = None, device: str | None = None, quiet: bool = False, log=print,
         threads: int | None = None, sampler=None, pruner=None) -> TuningResult:
    """Search a spec's search spaces with Optuna; the best trial's model scored once on the test part.

    Args:
        spec: a spec file with search spaces, its parsed table (a dict), or a :class:`TuningSpec`;
            with ``resume`` it may be left out (the run folder keeps the spec).
        trials: how many finished trials (complete, pruned, or failed on a spec error) the study
            holds when done; a resumed study runs only the missing ones.
        timeout: seconds after which no new trial starts (per call).
        runs_dir: where the run folder is created.
        resume: a tuning run folder to continue (a killed or interrupted ``seqlab tune``).
        seed: overrides ``training.seed``: every trial's weights, and the sampler's seed.
        device, quiet, log, threads: as :func:`~seqlab.experiment.run_experiment`.
        sampler, pruner: Optuna objects; default ``TPESampler(seed=seed)`` and ``MedianPruner()``
            (on ``val_loss``, per epoch).

    Raises:
        SpecError: the spec or a search space is invalid (before any training).
        SeqlabError: Optuna is missing, the run folder cannot be resumed, or no trial completed.
    """
    if isinstance(trials, bool) or not isinstance(trials, int) or trials < 1:
        raise ValueError(f"tune: `trials` must be a positive integer, got {trials!r}")
    if timeout is not None and (isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout <= 0):
        raise ValueError(f"tune: `timeout` must be a positive number of seconds or None, got {timeout!r}")
    optuna = optuna_module()
    log = (lambda *_: None) if quiet else log
    with torch_threads(threads):
        if resume is None:
            tuning = _tuning_spec(spec)
            seed = tuning.base.training.seed if seed is None else seed
            run = RunDir.create(runs_dir, tuning.base.name)
            # a table given without a file resolves relative paths against this folder: a resumed
            # tuning started elsewhere must too
            run.write_json(SEARCH_FILE, {"table": tuning.table, "text": tuning.text, "source": tuning.source,
                                         "base_dir": tuning.base_dir or os.getcwd(), "seed": seed})
        else:
            run, tuning, seed = _reopen(resume, spec, seed)
        return _tune(optuna, run, tuning, seed, trials, timeout, resolve_device(device), quiet, log, sampler,
                     pruner)


def _tuning_spec(spec) -> TuningSpec:
    if isinstance(spec, TuningSpec):
        return spec
    if isinstance(spec, dict):
        return tuning_spec_from_dict(spec)
    if isinstance(spec, (str, os.PathLike)):
        return load_tuning_spec(spec)
    raise TypeError(f"tune: `spec` must be a spec file path, a parsed spec (dict) or a TuningSpec, got "
                    f"{type(spec).__name__}")


def _reopen(path, spec, seed) -> tuple[RunDir, TuningSpec, int]:
    run = RunDir.open(path)
    if not (run.has(SEARCH_FILE) and run.has(STUDY_FILE)):
        raise RunDirError(f"{run.path} is not a tuning run folder (it has no {SEARCH_FILE} and {STUDY_FILE}); "
                          "--resume continues a `seqlab tune`")
    if run.status().get("state") == "succeeded":
        raise RunDirError(f"tuning run {run.path} has finished (its report and model are final); start a new "
                          "`seqlab tune` to run more trials")
    saved = run.read_json(SEARCH_FILE)
    text = saved.get("text") or ""
    tuning = tuning_spec_from_dict(saved["table"], line_index(text), saved.get("source"), saved.get("base_dir"), text)
    if spec is not None and _tuning_spec(spec).table != tuning.table:
        raise RunDirError(f"the spec differs from the one tuning run {run.path} was started with; resume it "
                          "without a spec (the folder keeps its own), or start a new tuning")
    if seed is not None and seed != saved["seed"]:
        raise RunDirError(f"tuning run {run.path} was started with seed {saved['seed']}, got --seed {seed}; "
                          "a resumed study keeps its seed")
    return run, tuning, saved["seed"]


def _tune(optuna, run: RunDir, tuning: TuningSpec, seed: int, trials: int, timeout, device, quiet, log,
          sampler, pruner) -> TuningResult:
    started = time.perf_counter()
    run.mark("running", seed=seed, device=str(device), trials=trials)
    log(f"run folder: {run.path}")
    verbosity = optuna.logging.get_verbosity()
    optuna.logging.set_verbosity(optuna.logging.WARNING)  # one line per trial is ours (below)
    try:
        study = optuna.create_study(
            study_name=STUDY_NAME, storage=f"sqlite:///{run.file(STUDY_FILE)}", direction="minimize",
            pruner=pruner or optuna.pruners.MedianPruner(), load_if_exists=True)
        # A resumed study's sampler seeded as at the start would draw the first trials' values
        # again: it takes the seed plus the number of trials already in the study.
        study.sampler = sampler or optuna.samplers.TPESampler(seed=seed + len(study.trials))
        for trial in study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.RUNNING,)):
            # Only one process tunes a run folder: a trial still "running" was killed with it.
            study.tell(trial.number, state=optuna.trial.TrialState.FAIL)
        base = resolved(tuning.base, seed)
        with run_step(f"loading the data ({base.data.source or base.data.path})", log):
            loaded = load_series(base)
            split = split_rows(base, loaded.frame)
        done = sum(counts_as_finished(trial) for trial in study.trials)
        if done < trials:
            log(f"· {trials - done} trial(s) to run ({done} already finished), on the train and validation "
                f"parts ({split.val_end} rows); the test part waits for the best trial")
            objective = Objective(optuna, tuning, seed, loaded, split, run, device)
            study.optimize(objective, n_trials=trials - done, timeout=timeout, catch=(SpecError,),
                           callbacks=[Progress(log, run)])
        best = _best_trial(optuna, study)
        record = evaluate_best_trial(optuna, run, tuning, seed, study, best, loaded, trials, log, quiet)
    except KeyboardInterrupt:
        run.mark("interrupted", error="stopped before the tuning finished (Ctrl-C or a termination signal); "
                                      "`seqlab tune --resume RUN_DIR` continues it")
        raise
    except BaseException as error:
        run.mark("failed", error=f"{type(error).__name__}: {error}")
        raise
    finally:
        optuna.logging.set_verbosity(verbosity)
    seconds = time.perf_counter() - started
    run.mark("succeeded", seconds=round(seconds, 2))
    result = result_of(run, resolved(tuning.trial_spec(best.params), seed), record, seconds)
    return TuningResult(result.run, result.metrics, result.tables, result.verdicts, seconds,
                        best.number, dict(best.params), float(best.value), state_counts(study.trials))


def _best_trial(optuna, study):
    complete = study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,))
    if not complete:
        counted = ", ".join(f"{count} {state}" for state, count in state_counts(study.trials).items()) or "none"
        raise SeqlabError(f"no trial completed ({counted}), so there is no best trial to evaluate; see "
                          "trials in study.db, widen the search spaces or run more trials")
    return study.best_trial


def evaluate_best_trial(optuna, run: RunDir, tuning: TuningSpec, seed: int, study, best, loaded, trials: int,
                        log, quiet: bool) -> dict:
    """The final stage: the best trial's model on the test part (first read here), and the run
    folder written as ``seqlab run`` writes it, with ``trials.csv`` and ``tuning.json``."""
    kept = run.file(model_file(best.number))
    if not os.path.exists(kept) and run.has(artifacts.MODEL_FILE):
        os.replace(run.file(artifacts.MODEL_FILE), kept)  # a final stage killed after its last step
    for name in _FINAL_FILES:  # left by a final stage that was killed: redo it whole
        if run.has(name):
            os.unlink(run.file(name))
    spec = resolved(tuning.trial_spec(best.params), seed)
    log(f"· best: trial {best.number}, val_loss {best.value:.6g} — {format_params(best.params)}")
    run.write_text("spec.toml", dump_spec(spec))
    artifacts.write_frame(run, "data.csv", loaded.frame, index=True)
    with run_step("splitting, scaling (train part only) and cutting windows, the test part included", log):
        data = prepare_series(spec, loaded)
        write_scalers(run, data)
    if not os.path.exists(kept):
        raise RunDirError(f"the model of the best trial ({best.number}), {kept}, is missing")
    model = load_model(kept)
    run.write_text("summary.txt", model.summary(print_fn=None) + "\n")
    history = _history_frame(best)
    artifacts.write_frame(run, "history.csv", history)
    run.save_via(artifacts.MODEL_FILE, lambda path: shutil.copyfile(kept, path))
    _write_study(optuna, run, tuning, seed, study, best, trials)
    record = evaluate_and_report(run, spec, loaded, data, model, history, quiet, log)
    os.unlink(kept)  # model.seqlab is its copy
    return record


def _history_frame(trial) -> pd.DataFrame:
    return pd.DataFrame(trial.user_attrs.get("history") or {})


def _write_study(optuna, run: RunDir, tuning: TuningSpec, seed: int, study, best, trials: int) -> None:
    rows = [trial_row(trial) for trial in study.trials]
    paths = [space.path for space in tuning.spaces]
    artifacts.write_frame(run, "trials.csv", trials_frame(rows, paths))
    completed = sum(row["state"] == "complete" for row in rows)
    importances, note = importances_of(optuna, study, completed, seed, paths)
    tables = {path: table for path, _, table in find_search_spaces(tuning.table)}
    run.write_json("tuning.json", {
        "objective": "val_loss", "direction": "minimize", "trials_requested": trials,
        "spaces": {path: describe_table(table) for path, table in tables.items()},
        "best": {"number": best.number, "value": float(best.value), "params": dict(best.params)},
        "trials": rows, "importances": importances, "importance_note": note, "seed": seed,
        "sampler": type(study.sampler).__name__, "pruner": type(study.pruner).__name__,
    })
