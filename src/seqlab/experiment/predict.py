"""``seqlab predict``: a finished run's model applied to new data, in the data's own units.

The new CSV goes through the run's own data rules (time column, inputs, frequency, missing
values) and the run's own scalers — fitted on the run's training rows, never refitted on the
new data. Every window with a full ``look_back`` of history is forecast, the last one being
the forecast beyond the end of the file.
"""
from __future__ import annotations

import os

import numpy as np
import pandas as pd

from seqlab.experiment import artifacts
from seqlab.experiment.classify.predict import predict_classify
from seqlab.experiment.data import load_data
from seqlab.experiment.errors import SpecError
from seqlab.experiment.modeling import predict_scaled
from seqlab.experiment.prepare import window_spec
from seqlab.experiment.rundir import RunDir, RunDirError
from seqlab.experiment.validate import spec_from_dict
from seqlab.forecast.backtest import scale
from seqlab.forecast.windows import gather_inputs
from seqlab.models import load_model


def open_run(path) -> RunDir:
    """A run folder, given the folder itself or the model file inside it."""
    path = os.fspath(path)
    if os.path.isfile(path):
        folder = os.path.dirname(os.path.abspath(path))
        if not os.path.isfile(os.path.join(folder, "spec.toml")):
            raise RunDirError(f"model file {path!r} has no run folder around it (no spec.toml beside it), "
                              "so its data rules and scalers are unknown; pass the run folder")
        return RunDir.open(folder)
    return RunDir.open(path)


def predict_file(run_or_model, data_path) -> pd.DataFrame:
    """Forecasts for every window of ``data_path``.

    Returns:
        DataFrame with ``origin`` (label of the window's last row), ``step`` (1..horizon),
        ``time`` (label of the forecast row, when the spacing of rows is known) and one column
        per target, in the data's units.
    """
    run = open_run(run_or_model)
    if run.status().get("state") != "succeeded":
        raise RunDirError(f"run {run.path} did not succeed (status {run.status().get('state')!r}); "
                          "it has no model to predict with")
    table, _ = artifacts.read_spec_table(run)
    if table.get("task", "forecast") == "classify":
        return predict_classify(run, spec_from_dict(table, source=run.file("spec.toml")), os.fspath(data_path))
    trained_on = artifacts.read_data(run)
    data = {k: v for k, v in table["data"].items() if k not in ("source", "start", "end")}
    if "time_column" not in data and "source" in table["data"]:
        # a bundled series was indexed by its own time column: the run's data.csv names it
        data["time_column"] = trained_on.index.name
    inferred = None
    if "frequency" not in data:
        # Rows the model learned as evenly spaced must be evenly spaced here too: a window across
        # a gap would silently read two distant times as neighbours.
        inferred = _regular_spacing(trained_on.index)
        if inferred is not None:
            data["frequency"] = inferred
    table["data"] = {**data, "path": os.path.abspath(os.fspath(data_path))}
    spec = spec_from_dict(table, source=f"{run.file('spec.toml')} (with data.path = {data_path})")
    try:
        loaded = load_data(spec, new_data=True)
    except SpecError as error:
        raise NewDataError(_in_predict_terms(error, data_path, run, spec, inferred)) from None
    frame = loaded.frame
    windows = window_spec(spec)
    if len(frame) < windows.look_back:
        raise NewDataError(f"{data_path} has {len(frame)} rows; the model needs at least "
                           f"windows.look_back = {windows.look_back}")
    scalers = run.read_json("scalers.json")
    x_scaler = artifacts.scaler_from_dict(scalers["inputs"])
    y_scaler = artifacts.scaler_from_dict(scalers["targets"])
    model = load_model(run.require(artifacts.MODEL_FILE), compile=False)

    origins = np.arange(windows.origin_of(0), len(frame))  # every window with a full look_back
    x = gather_inputs(scale(x_scaler, frame[spec.inputs].to_numpy(np.float64)), windows, origins)
    forecasts = scale(y_scaler, predict_scaled(model, spec, x), inverse=True)  # (N, horizon, targets)
    steps = np.arange(1, windows.horizon + 1)
    out = pd.DataFrame({"origin": np.repeat(frame.index.to_numpy()[origins], windows.horizon),
                        "step": np.tile(steps, len(origins))})
    ahead = np.tile(windows.target_offsets, len(origins))  # rows after the origin
    times = _times(frame.index, spec.data.frequency, origins, ahead, windows.horizon)
    if times is not None:
        out["time"] = times
    for j, target in enumerate(spec.targets):
        out[target] = forecasts[:, :, j].ravel()
    out.attrs["notes"] = loaded.notes  # what was done to the new data (gaps found, values filled)
    return out


class NewDataError(RunDirError):
    """New data that a finished run's model cannot forecast as they are."""


def _regular_spacing(index: pd.Index):
    # The training rows' frequency when they were evenly spaced (hourly, daily...), else None
    # (row numbers, trading days with holidays, rows dropped for missing values).
    if not isinstance(index, pd.DatetimeIndex) or len(index) < 3:
        return None
    try:
        return pd.DatetimeIndex(index, freq="infer").freqstr
    except ValueError:  # unsorted or duplicate times have no spacing
        return None


def _in_predict_terms(error: SpecError, data_path, run: RunDir, spec, inferred) -> str:
    # The spec is the run's, not the user's: say what is wrong with the file, not with a key.
    messages = []
    for key, _, message in error.problems:
        message = message.removeprefix(f"in {spec.data.path}: ")
        if key in ("data.inputs", "data.targets", "data.time_column"):
            message = f"the file lacks a column the run's model reads ({key}): {message}"
        elif key == "data.frequency" and inferred is not None:
            message += f" (the run's data were spaced {inferred!r}, and so must the new rows be)"
        elif key == "data.missing":
            if inferred is not None:
                message += f" (the run's data were spaced {inferred!r}, inferred from its data.csv)"
            message += (f"; the run's data.missing = {spec.data.missing!r} refuses them: add or fill them in the "
                        "file, or train a run with data.missing = 'ffill' or 'interpolate'")
        messages.append(message)
    return f"{data_path} cannot be forecast by run {run.path}: " + "; ".join(messages)


def _times(index: pd.Index, frequency, origins, ahead, horizon):
    # The label `ahead` rows after each origin: exact for row numbers or a known frequency.
    repeated = np.repeat(origins, horizon)
    if not isinstance(index, pd.DatetimeIndex):
        return repeated + ahead
    frequency = frequency or _regular_spacing(index)
    if frequency is None:
        return None  # irregular dates (e.g. trading days): the step number says how far ahead
    offset = pd.tseries.frequencies.to_offset(frequency)
    return [index[o] + a * offset for o, a in zip(repeated, ahead)]
