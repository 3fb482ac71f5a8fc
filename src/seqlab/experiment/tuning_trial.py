"""One trial of ``seqlab tune``: the spec with the trial's values, trained on the train part,
scored on the validation part, pruned on ``val_loss``; and the model files of the best trials.

Nothing here imports Optuna: the tuner (:mod:`seqlab.experiment.tuning`) passes the module and
the trial objects, whose methods (``suggest_*``, ``report``, ``should_prune``) are all this uses.
"""
from __future__ import annotations

import math
import os

from seqlab.callbacks import Callback
from seqlab.experiment import modeling
from seqlab.experiment.errors import SpecError
from seqlab.experiment.prepare import prepare
from seqlab.experiment.rundir import RunDir
from seqlab.experiment.runner import resolved
from seqlab.experiment.search_space import SearchSpace
from seqlab.experiment.study_summary import trial_row
from seqlab.experiment.tuning_spec import TuningSpec
from seqlab.utils import set_random_seed


class PruneOnValLoss(Callback):
    """Report each epoch's ``val_loss`` to an Optuna trial (step = epoch, from 0) and stop training
    when the trial's pruner says so; the objective then raises ``TrialPruned`` after ``fit`` has
    ended normally (Optuna's Keras integration raises from inside the callback instead)."""

    def __init__(self, trial):
        super().__init__()
        self.trial = trial
        self.pruned_after: int | None = None  # epochs trained when pruned

    def on_epoch_end(self, epoch, logs=None):
        value = (logs or {}).get("val_loss")
        if value is None:
            return
        self.trial.report(float(value), step=epoch)
        if self.trial.should_prune():
            self.pruned_after = epoch + 1
            self.model.stop_training = True


def _suggest(trial, space: SearchSpace):
    if space.kind == "choice":
        return trial.suggest_categorical(space.path, list(space.choices))
    if space.kind == "int":
        return trial.suggest_int(space.path, space.low, space.high, step=space.step or 1, log=space.log)
    return trial.suggest_float(space.path, space.low, space.high, step=space.step, log=space.log)


def model_file(number: int) -> str:
    return f"trial-{number:04d}.seqlab"


class Objective:
    """One trial: the spec with the trial's values, trained on the train part, scored on the
    validation part. The frame it holds has no test row (``frame.iloc[:split.val_end]``)."""

    def __init__(self, optuna, tuning: TuningSpec, seed: int, loaded, split, run: RunDir, device):
        self.optuna, self.tuning, self.seed, self.split, self.run, self.device = optuna, tuning, seed, split, run, device
        self.frame = loaded.frame.iloc[:split.val_end]
        self.imputed = None if loaded.imputed is None else loaded.imputed.iloc[:split.val_end]

    def __call__(self, trial) -> float:
        values = {space.path: _suggest(trial, space) for space in self.tuning.spaces}
        try:
            spec = resolved(self.tuning.trial_spec(values), self.seed)
            data = prepare(spec, self.frame, self.imputed, split=self.split)
            set_random_seed(spec.training.seed)
            model = modeling.build_model(spec, data.inputs.shape[1])
            modeling.compile_model(model, spec, self.device)
        except SpecError as error:  # a combination of values that is no valid spec: a failed trial
            trial.set_user_attr("error", str(error))
            raise
        pruning = PruneOnValLoss(trial)
        history = modeling.train(model, spec, data, verbose=0, callbacks=[pruning])
        trial.set_user_attr("history", {key: [float(v) for v in column] for key, column in history.items()})
        if pruning.pruned_after is not None:
            raise self.optuna.TrialPruned(f"pruned after epoch {pruning.pruned_after}")
        # The objective is the loss of the model training returned (the best epoch's weights with
        # early stopping), measured again on the validation windows.
        value = float(model.evaluate(data.x_val, modeling.training_targets(spec, data.y_val),
                                     batch_size=spec.training.batch_size, verbose=0))
        if not math.isfinite(value):  # Optuna records the trial as failed; rerunning it would diverge again
            trial.set_user_attr("error", f"the validation loss is {value} (training diverged)")
        if math.isfinite(value) and value < _best_value(self.optuna, trial.study):
            # The best trial's model is kept as it was trained: the test part scores this model.
            self.run.save_via(model_file(trial.number), model.save)
        return value


def _best_value(optuna, study) -> float:
    complete = study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,))
    return min((trial.value for trial in complete), default=math.inf)


class Progress:
    """One line per finished trial; and the models of trials no longer the best are removed,
    once Optuna has recorded the new best (a kill in between keeps the recorded best's file)."""

    def __init__(self, log, run: RunDir):
        self.log, self.run = log, run

    def __call__(self, study, trial) -> None:
        row = trial_row(trial)
        values = format_params(trial.params)
        if row["state"] == "complete":
            outcome = f"val_loss {row['value']:.6g}"
        elif row["state"] == "pruned":
            outcome = f"pruned after {row['epochs']} epoch(s)"
        else:
            outcome = f"failed: {row['error'] or 'see study.db'}"
        best = best_or_none(study)
        tail = f" (best: trial {best.number}, {best.value:.6g})" if best is not None else ""
        self.log(f"  trial {trial.number}: {outcome}{tail} — {values}")
        if best is not None:
            remove_other_models(self.run, best.number)


def format_params(params: dict) -> str:
    return ", ".join(f"{key} = {value:.4g}" if isinstance(value, float) else f"{key} = {value!r}"
                     for key, value in params.items())


def best_or_none(study):
    try:
        return study.best_trial
    except ValueError:  # no completed trial yet
        return None


def remove_other_models(run: RunDir, keep: int) -> None:
    for name in os.listdir(run.path):
        if name.startswith("trial-") and name.endswith(".seqlab") and name != model_file(keep):
            os.unlink(run.file(name))
