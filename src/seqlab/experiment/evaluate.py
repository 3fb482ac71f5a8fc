"""Step 5 of a run: the model against the baselines on the test part, a walk-forward backtest,
and a look inside the recurrent layers — all in the data's own units.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from seqlab.experiment import modeling
from seqlab.experiment.errors import spec_error
from seqlab.experiment.prepare import Prepared, make_transformer, window_spec
from seqlab.experiment.spec import Spec
from seqlab.forecast.backtest import FoldData, backtest, scale, walk_forward
from seqlab.forecast.baselines import all_baselines
from seqlab.forecast.metrics import score_by_target
from seqlab.forecast.windows import target_rows
from seqlab.inspect import attribute, trace
from seqlab.utils import set_random_seed


def baseline_labels(spec: Spec) -> dict:
    """Readable names of the baselines, with their settings."""
    window = spec.evaluation.moving_average_window or spec.windows.look_back
    return {"persistence": "persistence (last value)",
            "seasonal_naive": f"seasonal naive (season {spec.evaluation.season})",
            "drift": "drift", "moving_average": f"moving average ({window})"}


def _baselines(spec: Spec, targets: np.ndarray, origins: np.ndarray) -> dict:
    try:
        return all_baselines(targets, window_spec(spec), origins, season=spec.evaluation.season,
                             window=spec.evaluation.moving_average_window, names=spec.evaluation.baselines)
    except ValueError as error:
        raise spec_error(spec, "evaluation.baselines", str(error)) from None


def _select(spec: Spec, table: dict) -> dict:
    # keep the metrics the spec asks for (skill always: it is the honest headline)
    keep = set(spec.evaluation.metrics) | {"skill", "undefined"}
    return {target: {name: {k: v for k, v in row.items() if k in keep} for name, row in rows.items()}
            for target, rows in table.items()}


def evaluate_test(spec: Spec, data: Prepared, model) -> tuple[dict, dict]:
    """Forecasts of the test windows by the model and every baseline, and their metrics.

    Returns:
        ``(forecasts, metrics)``: ``forecasts[name]`` is ``(N, horizon, n_targets)`` in the data's
        units (``"model"`` first); ``metrics`` is ``{target: {name: {metric: value}}}``.
    """
    scaled = modeling.predict_scaled(model, spec, data.x_test)
    forecasts = {"model": scale(data.y_scaler, scaled, inverse=True)}
    forecasts.update(_baselines(spec, data.targets, data.test_origins))
    train = data.targets[: data.bounds["train"][1]]
    metrics = score_by_target(data.actual, forecasts, train, spec.targets, spec.evaluation.mase_season)
    return forecasts, _select(spec, metrics)


def predictions_frame(spec: Spec, data: Prepared, forecasts: dict) -> pd.DataFrame:
    """One row per (test window, step, target): time, [target, step,] actual, model, baselines."""
    rows = target_rows(data.windows, data.test_origins)  # (N, horizon)
    times = data.frame.index.to_numpy()[rows]
    columns = {}
    n, horizon, n_targets = data.actual.shape
    columns["time"] = np.repeat(times[:, :, None], n_targets, axis=2).ravel()
    if n_targets > 1:
        columns["target"] = np.tile(np.array(spec.targets, dtype=object), n * horizon)
    if horizon > 1:
        columns["step"] = np.repeat(np.tile(np.arange(1, horizon + 1), n), n_targets)
    columns["actual"] = data.actual.ravel()
    for name, values in forecasts.items():
        columns[name] = np.asarray(values).ravel()
    return pd.DataFrame(columns)


def backtest_folds(spec: Spec, data: Prepared) -> list:
    settings = spec.evaluation.backtest
    n_rows = len(data.frame)
    test_start, _ = data.bounds["test"]
    test_size = settings.test_size or max(1, (n_rows - test_start) // settings.folds)
    try:
        folds = walk_forward(n_rows, settings.folds, test_size, settings.mode, settings.train_size)
    except ValueError as error:
        raise spec_error(spec, "evaluation.backtest", str(error)) from None
    if not settings.refit and folds[0].origin < test_start:
        raise spec_error(
            spec, "evaluation.backtest",
            f"without refit the model is trained once, so every fold must lie in the test part (rows "
            f"{test_start}..{n_rows - 1}); {settings.folds} folds x {test_size} rows start at row "
            f"{folds[0].origin}. Lower folds/test_size or set refit = true")
    return folds


def run_backtest(spec: Spec, data: Prepared, model, epochs_trained: int, seed: int, quiet: bool) -> dict:
    """Walk-forward backtest; the model is reused (trained on earlier rows) or refitted per fold.

    The record says which it was, from the settings this code applied (the report's wording
    comes from it, never from a guess): ``retrained`` (the model's epochs per fold) and
    ``scalers`` (``"per fold"``: fitted on each fold's training rows; ``"run"``: the run's own,
    fitted on the train part, which a model trained once must see).
    """
    settings = spec.evaluation.backtest
    folds = backtest_folds(spec, data)
    refit_epochs = settings.epochs or epochs_trained
    fixed_scalers = None if settings.refit else (data.x_scaler, data.y_scaler)

    def fit_predict(fold: FoldData) -> np.ndarray:
        fold_model = model
        if settings.refit:
            set_random_seed(seed + fold.fold.index + 1)
            fold_model = modeling.build_model(spec, data.inputs.shape[1])
            modeling.compile_model(fold_model, spec, model.device)
            fold_model.fit(fold.x_train, modeling.training_targets(spec, fold.y_train),
                           epochs=refit_epochs, batch_size=spec.training.batch_size,
                           shuffle=spec.training.shuffle, verbose=0)
        return modeling.predict_scaled(fold_model, spec, fold.x_test)

    try:
        result = backtest(data.inputs, data.targets, window_spec(spec), folds, lambda: make_transformer(spec),
                          fit_predict, spec.targets, baselines=spec.evaluation.baselines,
                          season=spec.evaluation.season, mase_season=spec.evaluation.mase_season,
                          progress=not quiet, window=spec.evaluation.moving_average_window,
                          fixed_scalers=fixed_scalers, observed_targets=data.observed_targets)
    except ValueError as error:
        raise spec_error(spec, "evaluation.backtest", str(error)) from None
    return {
        "mode": settings.mode, "refit": settings.refit,
        "retrained": {"epochs": refit_epochs, "seeds": [seed + f.index + 1 for f in result.folds]}
        if settings.refit else None,
        "scalers": "run" if fixed_scalers is not None else "per fold",
        "train_rows": list(data.bounds["train"]),
        "folds": [{"train": [f.train_start, f.origin], "test": [f.origin, f.test_end]} for f in result.folds],
        "fold_metrics": [_select(spec, m) for m in result.fold_metrics],
        "metrics": _select(spec, result.metrics),
    }


def trace_window(spec: Spec, data: Prepared, model) -> dict | None:
    """Gates, cell and hidden state of every recurrent layer over one test window, or None."""
    index = spec.report.trace_window
    if not -len(data.x_test) <= index < len(data.x_test):
        raise spec_error(spec, "report.trace_window", f"must index one of the {len(data.x_test)} test "
                                                      f"windows, got {index}")
    window = data.x_test[index:index + 1] if index != -1 else data.x_test[-1:]
    traces = trace(model, window.astype(np.float32))
    if not traces:
        return None
    layers = {}
    for name, record in traces.items():
        panels = {f"{gate} gate": np.asarray(values)[0] for gate, values in record.gates.items()}
        if getattr(record, "cell", None) is not None:
            panels["cell"] = np.asarray(record.cell)[0]
        panels["hidden"] = np.asarray(record.hidden)[0]
        layers[name] = panels
    origin = int(data.test_origins[index])
    labels = data.frame.index[origin + data.windows.input_offsets]
    steps = [str(t.date()) if hasattr(t, "date") else str(t) for t in labels]
    return {"window": f"the test window ending {steps[-1]}", "steps": steps, "layers": layers,
            "attribution": window_attribution(spec, model, window.astype(np.float32))}


def window_attribution(spec: Spec, model, window: np.ndarray) -> dict:
    """Integrated gradients of the first forecast step of the first target over one window
    ``(1, look_back, n_inputs)``: ``{"values": (look_back, n_inputs), "features", "explains"}``,
    or ``{"missing": why}`` without Captum (an optional dependency)."""
    try:
        values = attribute(model, window, target=0, method="integrated_gradients")[0]
    except ImportError as error:
        return {"missing": str(error)}
    return {"values": values, "features": list(spec.inputs),
            "explains": f"the first forecast step of {spec.targets[0]} (integrated gradients, scaled data)"}
