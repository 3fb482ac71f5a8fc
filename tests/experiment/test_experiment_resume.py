"""``seqlab run --resume``: an interrupted run, finished in its own folder, ends with the very
files of an uninterrupted run of the same spec and seed (byte for byte on the CPU: model file,
history, predictions, metrics, trace)."""
import os

import pytest

from seqlab.cli.main import main
from seqlab.experiment import evaluate, load_spec
from seqlab.experiment.checkpoints import CheckpointEachEpoch
from seqlab.experiment.rundir import RunDir, RunDirError
from seqlab.experiment.runner import RunError, resume_experiment, run_experiment

SAME_FILES = ("model.seqlab", "history.csv", "predictions.csv", "metrics.json", "trace.npz", "data.csv",
              "scalers.json", "summary.txt", "spec.toml")


@pytest.fixture(scope="module")
def spec_path(tmp_path_factory, make_spec):
    # Shuffled batches, dropout with and without a seed, validation and early stopping that keeps
    # the best weights: every piece of state a resume must carry.
    return make_spec(tmp_path_factory.mktemp("spec") / "resume.toml", name="resume", start="2012-10-01",
                     hidden_layers=[{"type": "LSTM", "units": 3, "dropout": 0.2, "seed": 3}, {"type": "Dropout", "rate": 0.2}],
                     training={"epochs": 5, "batch_size": 8, "seed": 5, "early_stopping": {
                         "monitor": "val_loss", "patience": 1, "restore_best_weights": True}},
                     evaluation={"backtest": {"folds": 2}})


@pytest.fixture(scope="module")
def whole(spec_path, tmp_path_factory):
    """The uninterrupted run: the reference."""
    return run_experiment(load_spec(spec_path), runs_dir=tmp_path_factory.mktemp("whole"), quiet=True)


def assert_same_run(reference: RunDir, resumed: RunDir):
    for name in SAME_FILES:
        with open(reference.file(name), "rb") as a, open(resumed.file(name), "rb") as b:
            assert a.read() == b.read(), name
    assert resumed.status()["state"] == "succeeded"
    assert not os.path.exists(resumed.file("checkpoints"))  # spent once the run succeeded


def interrupt_after(monkeypatch, epochs: int):
    """Stop the run (as Ctrl-C would) once the checkpoint of ``epochs`` epochs is written."""
    real = CheckpointEachEpoch.on_epoch_end

    def stop(self, epoch, logs=None):
        real(self, epoch, logs)
        if epoch + 1 == epochs:
            raise KeyboardInterrupt()

    monkeypatch.setattr(CheckpointEachEpoch, "on_epoch_end", stop)


def the_only_run(folder) -> RunDir:
    (name,) = os.listdir(folder)
    return RunDir(os.path.join(folder, name))


@pytest.mark.parametrize("where", ["after the first epoch", "at the epoch early stopping ended"])
def test_a_run_interrupted_during_training_resumes_to_the_same_files(spec_path, whole, tmp_path, monkeypatch, where):
    trained = whole.metrics["training"]["epochs_trained"]
    assert trained < 5  # early stopping ended the reference run: the second case is that epoch
    interrupt_after(monkeypatch, 1 if where == "after the first epoch" else trained)
    with pytest.raises(KeyboardInterrupt):
        run_experiment(load_spec(spec_path), runs_dir=tmp_path, quiet=True)
    monkeypatch.undo()
    run = the_only_run(tmp_path)
    assert run.status()["state"] == "interrupted" and not run.has("history.csv")
    if where == "after the first epoch":  # through the command line
        assert main(["run", "--resume", run.path, "--quiet"]) == 0
    else:
        assert resume_experiment(run.path, quiet=True).metrics == whole.metrics
    assert_same_run(whole.run, run)


def test_a_run_that_failed_after_training_resumes_from_its_last_checkpoint(spec_path, whole, tmp_path, monkeypatch):
    def broken(*args, **kwargs):
        raise ValueError("simulated failure while evaluating")

    monkeypatch.setattr(evaluate, "evaluate_test", broken)
    with pytest.raises(RunError, match="simulated failure"):
        run_experiment(load_spec(spec_path), runs_dir=tmp_path, quiet=True)
    monkeypatch.undo()
    run = the_only_run(tmp_path)
    assert run.status()["state"] == "failed" and run.has("model.seqlab")
    resume_experiment(run.path, quiet=True)
    assert_same_run(whole.run, run)
    assert "error" not in run.status()


def test_a_file_that_would_differ_is_refused(spec_path, tmp_path, monkeypatch):
    interrupt_after(monkeypatch, 1)
    with pytest.raises(KeyboardInterrupt):
        run_experiment(load_spec(spec_path), runs_dir=tmp_path, quiet=True)
    monkeypatch.undo()
    run = the_only_run(tmp_path)
    with open(run.file("scalers.json"), "a") as stream:
        stream.write(" ")
    with pytest.raises(RunDirError, match=r"scalers.json differs from what the resumed run computes; the data, "
                                          r"the spec or seqlab changed since the run started"):
        resume_experiment(run.path, quiet=True)


def test_a_succeeded_run_has_nothing_to_resume(whole):
    with pytest.raises(RunError, match=r"already succeeded; there is nothing to resume \(`seqlab report"):
        resume_experiment(whole.run.path, quiet=True)


def test_the_cli_resumes_and_refuses_a_spec_or_a_seed_beside_resume(whole, spec_path, capsys):
    assert main(["run", str(spec_path), "--resume", whole.run.path]) == 1
    assert "seqlab run --resume takes no spec" in capsys.readouterr().err
    assert main(["run", "--resume", whole.run.path, "--seed", "3"]) == 1
    assert "seqlab run --resume takes no --seed" in capsys.readouterr().err
    assert main(["run", "--resume", whole.run.path, "--quiet"]) == 1
    assert "already succeeded" in capsys.readouterr().err
