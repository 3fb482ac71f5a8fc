"""What a run writes into its folder, and how the report and ``seqlab predict`` read it back.

Everything is plain text or a documented format: CSV, JSON, TOML, ``.npz`` arrays and the
model file of ``model.save`` — no pickles, so nothing in a run folder runs code when read.
"""
from __future__ import annotations

import io
import sys

import numpy as np
import pandas as pd
from sklearn.preprocessing import FunctionTransformer, MinMaxScaler, RobustScaler, StandardScaler

from seqlab.data import SeriesScaler
from seqlab.experiment.rundir import RunDir, RunDirError
from seqlab.report import ReportData

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

MODEL_FILE = "model.seqlab"
_SCALERS = {cls.__name__: cls for cls in (MinMaxScaler, StandardScaler, RobustScaler, FunctionTransformer)}


# ---- scalers as JSON --------------------------------------------------------------------
# A run's scalers are SeriesScalers: one scikit-learn transformer per column, each stored as
# {"class", "params", "state"}. Runs written before that (seqlab 0.1.0 up to commit 920d42e)
# stored one multi-column scikit-learn scaler in that same record; reading it splits it into
# columns, so an old run forecasts and reports exactly as it did.
def scaler_to_dict(scaler: SeriesScaler) -> dict:
    """A fitted :class:`~seqlab.data.SeriesScaler`: its columns and each column's transformer."""
    if not isinstance(scaler, SeriesScaler):
        raise TypeError(f"scaler_to_dict: expected a fitted SeriesScaler, got {type(scaler).__name__}")
    return {"class": "SeriesScaler", "n_train": scaler.n_train_, "names_in": list(scaler.names_in_),
            "columns": [{"column": column, **transformer_to_dict(fitted)}
                        for column, fitted in scaler.transformers_.items()]}


def scaler_from_dict(record: dict) -> SeriesScaler:
    """The :class:`~seqlab.data.SeriesScaler` that :func:`scaler_to_dict` stored, or one rebuilt
    from the single scikit-learn scaler of an older run (same numbers, column by column)."""
    if record.get("class") == "SeriesScaler":
        transformers = {entry["column"]: transformer_from_dict(entry) for entry in record["columns"]}
        return SeriesScaler.from_fitted(transformers, record["n_train"], record["names_in"])
    columns = _split_by_column(record)
    # Only some scalers counted their rows (RobustScaler does not): then the count is unknown.
    n_train = record["state"].get("n_samples_seen_")
    n_train = int(np.max(n_train["array"]) if isinstance(n_train, dict) else n_train) if n_train is not None else None
    return SeriesScaler.from_fitted({j: transformer_from_dict(column) for j, column in enumerate(columns)}, n_train)


def _split_by_column(record: dict) -> list[dict]:
    # A multi-column scaler's learnt arrays hold one entry per feature: column j keeps entry j.
    n_features = record["state"].get("n_features_in_")
    if not isinstance(n_features, int) or n_features < 1:
        raise RunDirError(f"scalers.json: a {record.get('class')!r} record without n_features_in_ cannot be read")

    def column(j, key, value):
        if key == "n_features_in_":
            return 1
        if isinstance(value, dict) and len(value["array"]) == n_features:
            return {"array": value["array"][j:j + 1], "dtype": value["dtype"]}
        return value

    return [{**record, "state": {key: column(j, key, value) for key, value in record["state"].items()}}
            for j in range(n_features)]


def transformer_to_dict(scaler) -> dict:
    """A fitted scikit-learn scaler's settings and learnt statistics (attributes ending in ``_``)."""
    name = type(scaler).__name__
    if name not in _SCALERS:
        raise TypeError(f"scaler_to_dict: cannot store a {name}; known: {sorted(_SCALERS)}")
    state = {}
    for key, value in vars(scaler).items():
        if key.endswith("_") and not key.startswith("_"):
            state[key] = ({"array": np.asarray(value).tolist(), "dtype": str(np.asarray(value).dtype)}
                          if isinstance(value, np.ndarray) else value.item() if hasattr(value, "item") else value)
    params = {k: list(v) if isinstance(v, tuple) else v for k, v in scaler.get_params().items()}
    return {"class": name, "params": params, "state": state}


def transformer_from_dict(record: dict):
    """The scikit-learn scaler :func:`transformer_to_dict` stored, ready to ``transform``."""
    cls = _SCALERS.get(record.get("class"))
    if cls is None:
        raise RunDirError(f"scalers.json names an unknown scaler {record.get('class')!r}")
    params = dict(record["params"])
    if "feature_range" in params:
        params["feature_range"] = tuple(params["feature_range"])
    scaler = cls(**params)
    for key, value in record["state"].items():
        setattr(scaler, key, np.asarray(value["array"], dtype=value["dtype"]) if isinstance(value, dict) else value)
    return scaler


# ---- writing ------------------------------------------------------------------------------
def write_frame(run: RunDir, name: str, frame: pd.DataFrame, index: bool = False) -> None:
    buffer = io.StringIO()
    frame.to_csv(buffer, index=index)
    run.write_text(name, buffer.getvalue())


def write_trace(run: RunDir, trace: dict) -> None:
    arrays = {f"{layer}::{panel}": np.asarray(values, dtype=np.float32)
              for layer, panels in trace["layers"].items() for panel, values in panels.items()}
    arrays["__steps__"] = np.asarray(trace["steps"], dtype=str)
    arrays["__window__"] = np.asarray([trace["window"]], dtype=str)
    attribution = trace.get("attribution") or {}
    if "values" in attribution:
        arrays["__attribution__"] = np.asarray(attribution["values"], dtype=np.float32)
        arrays["__attribution_features__"] = np.asarray(attribution["features"], dtype=str)
        arrays["__attribution_explains__"] = np.asarray([attribution["explains"]], dtype=str)
    elif "missing" in attribution:
        arrays["__attribution_missing__"] = np.asarray([attribution["missing"]], dtype=str)
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)
    run.write_bytes("trace.npz", buffer.getvalue())


def read_trace(run: RunDir) -> dict | None:
    if not run.has("trace.npz"):
        return None
    layers: dict = {}
    with np.load(run.file("trace.npz"), allow_pickle=False) as archive:
        for key in archive.files:
            if "::" in key:
                layer, panel = key.split("::", 1)
                layers.setdefault(layer, {})[panel] = archive[key]
        steps, window = archive["__steps__"].tolist(), str(archive["__window__"][0])
        attribution = None  # runs before attributions were recorded have none
        if "__attribution__" in archive.files:
            attribution = {"values": archive["__attribution__"],
                           "features": archive["__attribution_features__"].tolist(),
                           "explains": str(archive["__attribution_explains__"][0])}
        elif "__attribution_missing__" in archive.files:
            attribution = {"missing": str(archive["__attribution_missing__"][0])}
    return {"window": window, "steps": steps, "layers": layers, "attribution": attribution}


# ---- reading back -------------------------------------------------------------------------
def read_spec_table(run: RunDir) -> tuple[dict, str]:
    """The run's resolved spec as parsed TOML, and its text."""
    with open(run.require("spec.toml"), encoding="utf-8") as stream:
        text = stream.read()
    return tomllib.loads(text), text


def read_data(run: RunDir) -> pd.DataFrame:
    frame = pd.read_csv(run.require("data.csv"), index_col=0)
    if not pd.api.types.is_numeric_dtype(frame.index):  # row numbers stay numbers; dates are text
        frame.index = pd.DatetimeIndex(pd.to_datetime(frame.index), name=frame.index.name)
    return frame


def _text(run: RunDir, name: str) -> str:
    if not run.has(name):
        return ""
    with open(run.file(name), encoding="utf-8") as stream:
        return stream.read()


def report_data(run: RunDir) -> ReportData:
    """Everything the report shows, read from a run folder (for ``seqlab report RUN_DIR``)."""
    table, text = read_spec_table(run)
    metrics = run.read_json("metrics.json")
    frame = read_data(run)
    status = run.status()
    return ReportData(
        title=table.get("name", "experiment"),
        description=table.get("description", ""),
        status=status.get("state", "unknown"),
        created=status.get("started", ""),
        series=frame[table["data"]["targets"]],
        bounds={k: tuple(v) for k, v in metrics["data"]["bounds"].items()},
        predictions=pd.read_csv(run.require("predictions.csv")),
        metrics=metrics["test"],
        data_description=metrics["data"]["description"],
        data_notes=metrics["data"].get("notes", []),
        history=pd.read_csv(run.file("history.csv")) if run.has("history.csv") else None,
        metric_names=table.get("evaluation", {}).get("metrics", ["mae", "rmse", "mape", "smape", "mase"]),
        labels=metrics.get("labels", {}),
        settings=metrics.get("settings", {}),
        backtest=metrics.get("backtest"),
        model_summary=_text(run, "summary.txt"),
        trace=read_trace(run),
        spec_text=text,
        tuning=run.read_json("tuning.json") if run.has("tuning.json") else None,
    )
