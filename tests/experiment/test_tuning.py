"""``seqlab tune``: test-part isolation, pruning, resume, seeded repeats, the run folder and report.

A tiny spec (160 rows, Flatten + Dense, 2-3 epochs): each tuning takes about a second.
"""
import json
import os
import sys

import numpy as np
import pandas as pd
import pytest

try:
    import optuna
except ImportError:  # CI installs .[dev], which has Optuna: there a missing Optuna is a failure
    if os.environ.get("CI"):
        raise
    pytest.skip("Optuna (the `tune` extra, in `dev`) is not installed", allow_module_level=True)

from seqlab.cli.main import main  # noqa: E402
from seqlab.errors import SeqlabError  # noqa: E402
from seqlab.experiment import modeling, tuning  # noqa: E402
from seqlab.experiment.prepare import prepare, split_rows  # noqa: E402
from seqlab.experiment.rundir import RunDirError  # noqa: E402
from seqlab.experiment.runner import load_series, resolved  # noqa: E402
from seqlab.experiment.tuning_spec import load_tuning_spec  # noqa: E402
from seqlab.models import load_model  # noqa: E402
from seqlab.tuning import PruneOnValLoss  # noqa: E402

@pytest.fixture
def tuning_spec(write_tuning, make_spec):
    def write(units="{int = [2, 8]}", epochs=2, learning_rate="{float = [1e-3, 5e-2], log = true}", report=False):
        return write_tuning(units, training={"epochs": epochs, "batch_size": 16, "learning_rate": make_spec.raw(learning_rate),
                                             "seed": 3}, report=report, evaluation={"baselines": ["persistence"]})

    return write


def _study(run_path):
    return optuna.load_study(study_name=tuning.STUDY_NAME, storage=f"sqlite:///{run_path}/study.db")


def _states(run_path) -> list[str]:
    return [trial.state.name for trial in _study(run_path).trials]


# ---- the test part is never read before the best trial is chosen -------------------------
class _Sealed:
    """A test-part value: reading it as a number (or text) raises until the test part is opened."""

    opened = False
    reads = 0

    def __init__(self, value):
        self.value = value

    def _read(self):
        if not _Sealed.opened:
            raise AssertionError("a test row was read before the best trial was chosen")
        _Sealed.reads += 1
        return self.value

    def __float__(self):
        return float(self._read())

    def __str__(self):
        return str(self._read())

    __repr__ = __str__


def test_the_objective_never_reads_a_test_row(tuning_spec, tmp_path, monkeypatch):
    spec_path = tuning_spec()
    base = resolved(load_tuning_spec(spec_path).base, None)
    real = load_series(base)
    val_end = split_rows(base, real.frame).val_end

    def sealed_series(spec):
        loaded = load_series(spec)
        frame = loaded.frame.astype(object)
        frame.iloc[val_end:] = frame.iloc[val_end:].map(_Sealed)  # every test row's every value
        loaded.frame = frame
        return loaded

    final = tuning.evaluate_best_trial

    def open_then_evaluate(optuna_module, run, tuning_spec, seed, study, *args, **kwargs):
        # reached only after study.optimize has returned: every trial has finished by now
        assert len(study.trials) == 3 and all(t.state.name == "COMPLETE" for t in study.trials)
        _Sealed.opened = True
        return final(optuna_module, run, tuning_spec, seed, study, *args, **kwargs)

    monkeypatch.setattr(_Sealed, "opened", False)
    monkeypatch.setattr(_Sealed, "reads", 0)
    monkeypatch.setattr(tuning, "load_series", sealed_series)
    monkeypatch.setattr(tuning, "evaluate_best_trial", open_then_evaluate)
    result = tuning.tune(spec_path, trials=3, runs_dir=tmp_path / "runs", quiet=True)
    assert _Sealed.opened
    # the test part was then read, once for the best trial: every test row of predictions.csv
    assert _Sealed.reads >= len(real.frame) - val_end
    predictions = pd.read_csv(result.run.file("predictions.csv"))
    assert len(predictions) == len(real.frame) - val_end


def test_a_test_row_read_by_a_trial_is_caught(tuning_spec, tmp_path, monkeypatch):
    # The check above can fail: a tuner that prepared the whole series in its trials is caught.
    monkeypatch.setattr(_Sealed, "opened", False)
    base = resolved(load_tuning_spec(tuning_spec()).base, None)
    loaded = load_series(base)
    frame = loaded.frame.astype(object)
    frame.iloc[140:] = frame.iloc[140:].map(_Sealed)
    with pytest.raises(AssertionError, match="a test row was read"):
        prepare(base, frame)


# ---- pruning ----------------------------------------------------------------------------
class _Scripted(optuna.samplers.BaseSampler):
    """Trial n takes ``script[n]`` (every value by key path): a known order of good and bad trials."""

    def __init__(self, script):
        self.script = script

    def infer_relative_search_space(self, study, trial):
        return {}

    def sample_relative(self, study, trial, search_space):
        return {}

    def sample_independent(self, study, trial, name, distribution):
        return self.script[trial.number][name]


def test_the_median_pruner_stops_a_trial_that_cannot_learn(tuning_spec, tmp_path):
    spec_path = tuning_spec(units=4, epochs=4, learning_rate='{choice = [0.05, 1e-12]}')
    good, bad = {"training.learning_rate": 0.05}, {"training.learning_rate": 1e-12}
    result = tuning.tune(spec_path, trials=4, runs_dir=tmp_path, quiet=True, sampler=_Scripted([good, good, bad, good]),
                         pruner=optuna.pruners.MedianPruner(n_startup_trials=2))
    trials = _study(result.run.path).trials
    assert [t.state.name for t in trials] == ["COMPLETE", "COMPLETE", "PRUNED", "COMPLETE"]
    # pruned after its first epoch, whose val_loss is above the median of the first two trials'
    assert list(trials[2].intermediate_values) == [0]
    assert trials[2].intermediate_values[0] > trials[0].intermediate_values[0]
    assert len(trials[2].user_attrs["history"]["loss"]) == 1 and len(trials[0].user_attrs["history"]["loss"]) == 4
    table = pd.read_csv(result.run.file("trials.csv"))
    assert table["state"].tolist() == ["complete", "complete", "pruned", "complete"]
    assert np.isnan(table["val_loss"][2]) and table["epochs"][2] == 1
    assert result.best_params == good and result.states == {"complete": 3, "pruned": 1}


class _Trial:
    """A trial stand-in: records what is reported; its pruner says "prune" from ``prune_at`` on."""

    def __init__(self, prune_at):
        self.reported, self.prune_at = [], prune_at

    def report(self, value, step):
        self.reported.append((step, value))

    def should_prune(self):
        return self.reported[-1][0] >= self.prune_at


def test_the_pruning_callback_reports_val_loss_per_epoch_and_stops_when_told():
    class Model:
        stop_training = False

    callback, model = PruneOnValLoss(_Trial(prune_at=2)), Model()
    callback.set_model(model)
    for epoch, loss in enumerate([0.5, 0.4, 0.45]):  # scripted epochs, as fit would log them
        callback.on_epoch_end(epoch, {"loss": 1.0, "val_loss": loss})
        assert model.stop_training == (epoch == 2)
    assert callback.trial.reported == [(0, 0.5), (1, 0.4), (2, 0.45)] and callback.pruned_after == 3
    callback.on_epoch_end(3, {"loss": 1.0})  # no validation part that epoch: nothing to report
    assert len(callback.trial.reported) == 3


# ---- resume -----------------------------------------------------------------------------
def test_a_killed_tuning_resumes_in_the_same_study(tuning_spec, tmp_path, monkeypatch):
    spec_path = tuning_spec()
    train, calls = modeling.train, []

    def killed_in_the_third_trial(*args, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt  # what Ctrl-C or a stop signal raises
        return train(*args, **kwargs)

    monkeypatch.setattr(modeling, "train", killed_in_the_third_trial)
    with pytest.raises(KeyboardInterrupt):
        tuning.tune(spec_path, trials=4, runs_dir=tmp_path / "runs", quiet=True)
    monkeypatch.setattr(modeling, "train", train)
    (run_path,) = [p for p in (tmp_path / "runs").iterdir()]
    assert json.loads((run_path / "status.json").read_text())["state"] == "interrupted"
    assert _states(run_path) == ["COMPLETE", "COMPLETE", "FAIL"]
    _study(run_path).ask()  # and a trial left "running", as a kill -9 leaves it

    result = tuning.tune(None, trials=4, resume=run_path, quiet=True)
    # the stale trial is failed; two more trials complete the 4 asked for, numbered on
    assert _states(run_path) == ["COMPLETE", "COMPLETE", "FAIL", "FAIL", "COMPLETE", "COMPLETE"]
    assert result.run.path == str(run_path) and result.states == {"complete": 4, "fail": 2}
    params = [trial.params for trial in _study(run_path).trials]
    assert params[4] not in params[:2] and params[5] not in params[:2]  # new values, not the first draws again
    assert json.loads((run_path / "status.json").read_text())["state"] == "succeeded"
    assert sorted(p.name for p in run_path.glob("*.seqlab")) == ["model.seqlab"]
    with pytest.raises(RunDirError, match="has finished"):
        tuning.tune(None, trials=6, resume=run_path, quiet=True)


def test_resume_refuses_another_spec_or_seed(tuning_spec, tmp_path, monkeypatch):
    spec_path = tuning_spec()
    monkeypatch.setattr(tuning, "evaluate_best_trial", lambda *a, **k: (_ for _ in ()).throw(KeyboardInterrupt()))
    with pytest.raises(KeyboardInterrupt):
        tuning.tune(spec_path, trials=1, runs_dir=tmp_path / "runs", quiet=True)
    (run_path,) = list((tmp_path / "runs").iterdir())
    with pytest.raises(RunDirError, match="started with seed 3, got --seed 4"):
        tuning.tune(None, trials=2, resume=run_path, seed=4, quiet=True)
    with pytest.raises(RunDirError, match="the spec differs"):
        tuning.tune(tuning_spec(units="{int = [2, 9]}"), trials=2, resume=run_path, quiet=True)
    with pytest.raises(RunDirError, match="is not a tuning run folder"):
        (tmp_path / "plain").mkdir()
        (tmp_path / "plain" / "status.json").write_text("{}")
        tuning.tune(None, trials=2, resume=tmp_path / "plain", quiet=True)


# ---- seeds --------------------------------------------------------------------------------
def test_a_seeded_tuning_repeats_exactly(tuning_spec, tmp_path):
    spec_path = tuning_spec()
    first = tuning.tune(spec_path, trials=3, runs_dir=tmp_path / "a", quiet=True)
    second = tuning.tune(spec_path, trials=3, runs_dir=tmp_path / "b", quiet=True)
    columns = ["number", "state", "val_loss", "model.layers[1].units", "training.learning_rate"]
    a, b = (pd.read_csv(r.run.file("trials.csv"))[columns] for r in (first, second))
    pd.testing.assert_frame_equal(a, b, check_exact=True)  # same values sampled, bit-identical losses (CPU)
    assert a["training.learning_rate"].nunique() == 3  # and the sampler did vary them


# ---- the run folder and the report ----------------------------------------------------
def test_the_run_folder_holds_the_best_trials_model_and_a_tuning_report(tuning_spec, tmp_path):
    spec_path = tuning_spec(report=True)
    result = tuning.tune(spec_path, trials=3, runs_dir=tmp_path, quiet=True)
    run = result.run
    for name in ("study.db", "search.json", "spec.toml", "model.seqlab", "predictions.csv", "metrics.json",
                 "trials.csv", "tuning.json", "report.html", "history.csv"):
        assert run.has(name), name
    record = json.loads(open(run.file("tuning.json")).read())
    assert record["best"] == {"number": result.best_trial, "value": result.best_value, "params": result.best_params}
    assert set(record["importances"]) == {"model.layers[1].units", "training.learning_rate"}
    assert sum(record["importances"].values()) == pytest.approx(1.0)

    # model.seqlab is the best trial's model as trained: its validation loss is the trial's value
    spec = resolved(load_tuning_spec(spec_path).trial_spec(result.best_params), None)
    data = prepare(spec, load_series(spec).frame)
    model = load_model(run.file("model.seqlab"))
    loss = model.evaluate(data.x_val, modeling.training_targets(spec, data.y_val), batch_size=16, verbose=0)
    assert loss == pytest.approx(result.best_value, rel=1e-6)

    page = open(run.file("report.html"), encoding="utf-8").read()
    assert '<section id="tuning">' in page and "Optimisation history" in page
    assert page.count("<td>complete</td>") == 3 and "fANOVA importances over 3 completed trials" in page
    os.unlink(run.file("report.html"))
    assert main(["report", run.path]) == 0  # rebuilt from the folder, tuning section included
    assert '<section id="tuning">' in open(run.file("report.html"), encoding="utf-8").read()


def test_the_cli_tunes_and_prints_the_best_trial(tuning_spec, tmp_path, capsys):
    spec_path = str(tuning_spec(report=True))
    assert main(["tune", spec_path, "--trials", "1", "--timeout", "600", "--runs-dir", str(tmp_path / "runs"),
                 "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "1 trials (1 complete); best: trial 0, val_loss" in out and "training.learning_rate = " in out
    (report,) = (tmp_path / "runs").glob("*/report.html")
    assert "parameter importances need at least 2 completed trials; this study has 1" in report.read_text()
    assert main(["tune", "--runs-dir", str(tmp_path)]) == 1
    assert "needs a spec file with search spaces, or --resume RUN_DIR" in capsys.readouterr().err


def test_without_optuna_tune_says_what_to_install(tuning_spec, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "optuna", None)  # `import optuna` raises ImportError
    with pytest.raises(SeqlabError, match=r"seqlab tune needs Optuna, which is not installed: "
                                          r"pip install 'seqlab\[tune\]'"):
        tuning.tune(tuning_spec(), trials=1, runs_dir=tmp_path / "runs")
    assert not (tmp_path / "runs").exists()  # said before any run folder is made


def test_tune_checks_its_arguments(tuning_spec, tmp_path):
    with pytest.raises(ValueError, match=r"tune: `trials` must be a positive integer, got 0"):
        tuning.tune(tuning_spec(), trials=0, runs_dir=tmp_path)
    with pytest.raises(ValueError, match=r"tune: `timeout` must be a positive number of seconds or None, got -1"):
        tuning.tune(tuning_spec(), trials=1, timeout=-1, runs_dir=tmp_path)
