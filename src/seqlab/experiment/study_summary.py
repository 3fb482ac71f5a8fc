"""What a tuning run folder says about its study: ``trials.csv`` and ``tuning.json``.

Read from Optuna's trials (``FrozenTrial``: ``number``, ``state``, ``value``, ``params``,
``user_attrs``, ``intermediate_values``) by attribute only, so this module does not import
Optuna; the report draws its Tuning section from ``tuning.json`` alone.
"""
from __future__ import annotations

import math

import pandas as pd

FINISHED = ("COMPLETE", "PRUNED")


def counts_as_finished(trial) -> bool:
    """Complete, pruned, or failed on a spec error (a sampled combination that is no valid
    spec: running it again would fail again). A trial killed or interrupted is not finished:
    a resumed tuning runs another in its place."""
    state = trial.state.name
    return state in FINISHED or (state == "FAIL" and "error" in trial.user_attrs)


def state_counts(trials) -> dict:
    """``{"complete": 8, "pruned": 3, ...}`` in the order the states first occur."""
    counts: dict = {}
    for trial in trials:
        counts[trial.state.name.lower()] = counts.get(trial.state.name.lower(), 0) + 1
    return counts


def trial_row(trial) -> dict:
    """One trial as the trials table shows it (params by key path)."""
    history = trial.user_attrs.get("history") or {}
    seconds = (trial.datetime_complete - trial.datetime_start).total_seconds() \
        if trial.datetime_complete and trial.datetime_start else None
    value = trial.value if trial.state.name == "COMPLETE" else None
    last = trial.intermediate_values[max(trial.intermediate_values)] if trial.intermediate_values else None
    return {"number": trial.number, "state": trial.state.name.lower(),
            "value": None if value is None or not math.isfinite(value) else float(value),
            "last_val_loss": None if last is None or not math.isfinite(last) else float(last),
            "epochs": len(history.get("loss", [])), "seconds": None if seconds is None else round(seconds, 2),
            "params": dict(trial.params), "error": trial.user_attrs.get("error", "")}


def trials_frame(rows: list[dict], paths: list[str]) -> pd.DataFrame:
    """``trials.csv``: one row per trial, one column per searched key."""
    return pd.DataFrame([{"number": row["number"], "state": row["state"], "val_loss": row["value"],
                          "last_reported_val_loss": row["last_val_loss"], "epochs": row["epochs"],
                          "seconds": row["seconds"], **{path: row["params"].get(path) for path in paths},
                          "error": row["error"]} for row in rows])


def importances_of(optuna, study, completed: int, seed: int, paths: list[str]) -> tuple[dict | None, str]:
    """Optuna's fANOVA importances (seeded) with a sentence on how to read them; ``None`` and the
    reason when they cannot be measured. ``optuna``: the module, as the tuner loaded it."""
    if completed < 2:
        return None, (f"parameter importances need at least 2 completed trials; this study has {completed}")
    if len(paths) == 1:
        return {paths[0]: 1.0}, "one key was searched, so it explains all the variation by definition"
    try:
        evaluator = optuna.importance.FanovaImportanceEvaluator(seed=seed)
        found = optuna.importance.get_param_importances(study, evaluator=evaluator)
    except (ValueError, RuntimeError) as error:
        return None, f"parameter importances could not be measured: {error}"
    return ({key: float(value) for key, value in found.items()},
            f"fANOVA importances over {completed} completed trials (share of the variance of the validation "
            "loss each key explains; few trials make them rough)")
