"""``seqlab inspect``: the explorer of a finished run (on the run's own test part) or of a model
file and a data file, and the vanishing-gradient lesson as a page.

A run folder is read with the very pieces that made its test windows: the run's data.csv (the
rows after missing values were filled), its split bounds, its scalers and its windows; what to
read depends on the run's task (``RUN_INPUTS``: forecast, classify and generate runs).

The readable signals the explorer ranks units against (``seqlab.inspect.signals``) are added
here, in one place: a forecast run's target series (:func:`forecast_signals`) and the decoded
text of a character model's ids (:func:`character_signals`).
"""
from __future__ import annotations

import html
import json
import os
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from seqlab.errors import SeqlabError
from seqlab.experiment import artifacts
from seqlab.experiment.classify.prepare import to_input
from seqlab.experiment.classify.sources import read_samples
from seqlab.experiment.generate.api import test_stretch
from seqlab.experiment.generate.run import VOCABULARY_FILE
from seqlab.experiment.modeling import training_targets
from seqlab.experiment.predict import open_run
from seqlab.experiment.prepare import window_spec
from seqlab.experiment.rundir import RunDir, RunDirError
from seqlab.experiment.validate import spec_from_dict
from seqlab.forecast.backtest import scale
from seqlab.forecast.windows import gather_inputs, gather_targets, window_origins
from seqlab.inspect import cut_signals, explore, lesson_vanishing, series_signals, text_signals
from seqlab.inspect.lesson import plot_lesson
from seqlab.models import load_model
from seqlab.report.plots import to_data_uri
from seqlab.training.losses import sparse_categorical_crossentropy

OUTPUT_NAME = "inspect.html"
DATA_FORMATS = ".npy (an array: (samples, timesteps, features) numbers or (samples, timesteps) token ids) " \
               "or .csv (one sequence: its numeric columns are the features, one row per timestep)"


class InspectError(SeqlabError):
    """Input that ``seqlab inspect`` cannot look at, said in the command's terms."""


@dataclass
class ExplorerInput:
    """What the explorer of a run reads: ``x`` and what to call its parts."""

    x: np.ndarray
    y: np.ndarray | None = None
    feature_names: list | None = None
    step_labels: list | None = None
    sample_labels: list | None = None
    vocabulary: list | None = None
    target: int | None = None
    notes: list = field(default_factory=list)
    loss: object = None  # loss(y_pred, y_true) for the gradient through time; None: mean squared error
    signals: dict | None = None   # {name: (N, L)} to rank units against, beside the input features


def forecast_inputs(run: RunDir, spec) -> ExplorerInput:
    """The test windows of a forecasting run, scaled by the run's own scalers (as ``prepare``
    cut them), with their scaled targets for the loss gradient."""
    frame = artifacts.read_data(run)
    windows = window_spec(spec)
    test_start = run.read_json("metrics.json")["data"]["bounds"]["test"][0]
    origins = window_origins(windows, test_start, len(frame))
    scalers = run.read_json("scalers.json")
    x_scaler = artifacts.scaler_from_dict(scalers["inputs"])
    y_scaler = artifacts.scaler_from_dict(scalers["targets"])
    x = gather_inputs(scale(x_scaler, frame[spec.inputs].to_numpy(np.float64)), windows, origins)
    y = gather_targets(scale(y_scaler, frame[spec.targets].to_numpy(np.float64)), windows, origins)
    rows = origins[:, None] + windows.input_offsets[None, :]                  # (N, look_back)
    steps = np.asarray([_label(frame.index[row]) for row in rows.ravel()], dtype=object).reshape(rows.shape)
    notes = [f"The run's test part: {len(x)} windows of {windows.look_back} steps of {', '.join(spec.inputs)}, "
             "scaled by the run's own scalers (fitted on its train part). Gradients are those of the mean squared "
             "error against the scaled targets; attributions explain the first forecast step of "
             f"{spec.targets[0]}."]
    signals = forecast_signals(frame, spec.targets[0], rows[:, 0], windows.look_back)
    notes.append(f"Signals: {', '.join(signals)} of {spec.targets[0]} (unscaled; level and trend over the "
                 f"{windows.look_back}-step look-back), from the whole series, cut as the inputs were.")
    return ExplorerInput(x.astype(np.float32), training_targets(spec, y).astype(np.float32), list(spec.inputs),
                         steps.tolist(), [f"window ending {row[-1]}" for row in steps.tolist()], target=0, notes=notes,
                         signals=signals)


def forecast_signals(frame: pd.DataFrame, target: str, starts: np.ndarray, look_back: int) -> dict:
    """``series_signals`` of the run's target series (level and trend over the look-back; the
    day of the week when the rows are dated daily or finer), computed over the whole series and
    cut into the windows starting at rows ``starts`` (``cut_signals``): every step keeps the
    history before its window. Signals constant over the windows are left out (no unit can
    correlate with them)."""
    index = frame.index
    dated = isinstance(index, pd.DatetimeIndex) and len(index) > 1 and \
        pd.Series(index).diff().median() <= pd.Timedelta(days=1)
    signals = series_signals(frame[target].to_numpy(np.float64), index if dated else None, window=look_back)
    return _varying(cut_signals(signals, starts, look_back))


def character_signals(x: np.ndarray, vocabulary) -> dict | None:
    """``text_signals`` of token ids ``x`` ``(N, L)`` decoded through ``vocabulary`` (id -> string),
    each window read as its own text; None unless every id read is one character (a character
    model: words or a reserved ``[UNK]`` make no line positions)."""
    if vocabulary is None or x.dtype.kind not in "iu" or x.min() < 0 or x.max() >= len(vocabulary):
        return None
    table = np.asarray(vocabulary, dtype=object)
    if not all(len(token) == 1 for token in table[np.unique(x)]):
        return None
    return _varying(text_signals(table[x].astype("U1")))


def _varying(signals: dict) -> dict:
    return {name: values for name, values in signals.items() if np.ptp(values) > 0}


def _label(value) -> str:
    return str(value.date()) if hasattr(value, "date") and getattr(value, "hour", 0) == 0 else str(value)


def generate_inputs(run: RunDir, spec) -> ExplorerInput:
    """A stretch of a generate run's test text, its characters (or words) as the tokens."""
    ids, tokens = test_stretch(run, spec, GENERATE_TOKENS)
    notes = [f"The first {len(ids)} {spec.text.level} tokens of the run's test part, read with the run's own "
             "vocabulary (built on its train part). Gradients and attributions are those of the next-token "
             "probabilities."]
    vocabulary = run.read_json(VOCABULARY_FILE)
    return ExplorerInput(ids[None, :], feature_names=None, step_labels=[tokens], sample_labels=["test text"],
                         vocabulary=vocabulary, notes=notes, signals=character_signals(ids[None, :], vocabulary))


GENERATE_TOKENS = 300  # a stretch the explorer shows whole

def _class_cross_entropy(y_pred, y_true):
    # the classify run's own loss (softmax probabilities against class ids), averaged
    return sparse_categorical_crossentropy(y_true, y_pred).mean()


def classify_inputs(run: RunDir, spec) -> ExplorerInput:
    """The test samples of a classify run (the positions in its predictions.csv), re-read and
    turned into model input by the run's own transform.json; their class ids for the gradient."""
    transform = run.read_json("transform.json")
    samples = read_samples(spec)
    positions = pd.read_csv(run.require("predictions.csv"))["sample"].to_numpy()
    taken = [samples.x[i] for i in positions] if samples.is_text else samples.x[positions]
    x = to_input(taken, transform)
    classes = {name: i for i, name in enumerate(transform["classes"])}
    y = np.array([classes[str(label)] for label in samples.labels[positions]], dtype=np.int64)
    text = transform["kind"] == "text"
    notes = [f"The run's test part: {len(x)} samples of {transform['length']} steps "
             + ("as word ids by the run's train vocabulary." if text else "scaled by the run's train part.")
             + " Gradients are those of the cross-entropy against the true classes; attributions explain "
             f"the probability of class {transform['classes'][0]}."]
    return ExplorerInput(x if text else x.astype(np.float32), y, None if text else list(transform.get("features") or []),
                         sample_labels=[f"sample {i}: {label}" for i, label in zip(positions, samples.labels[positions])],
                         vocabulary=list(transform["tokens"]) if text else None, target=0, notes=notes,
                         loss=_class_cross_entropy)


# What a run's explorer reads, by the run's task (the spec's ``task``; runs without one forecast).
RUN_INPUTS = {"forecast": forecast_inputs, "classify": classify_inputs, "generate": generate_inputs}


def inspect_run(path, output=None, attribution: str | None = "integrated_gradients") -> str:
    """Write the explorer of a finished run on its own test part; returns the page's path
    (default: ``inspect.html`` in the run folder)."""
    run = open_run(path)
    if run.status().get("state") != "succeeded":
        raise RunDirError(f"run {run.path} did not succeed (status {run.status().get('state')!r}); "
                          "it has no model to look inside")
    table, _ = artifacts.read_spec_table(run)
    task = table.get("task", "forecast")
    if task not in RUN_INPUTS:
        raise InspectError(f"seqlab inspect cannot read a run of task {task!r} yet (it reads {sorted(RUN_INPUTS)}); "
                           "pass the model file with --data instead")
    spec = spec_from_dict(table, source=run.file("spec.toml"))
    data = RUN_INPUTS[task](run, spec)
    model = load_model(run.require(artifacts.MODEL_FILE), compile=False)
    output = output or os.path.join(run.path, OUTPUT_NAME)
    return _explore(model, data, output, f"Inside run {os.path.basename(run.path)}", attribution)


def inspect_model_file(model_path, data_path=None, output=None, vocabulary_path=None,
                       attribution: str | None = "integrated_gradients") -> str:
    """Write the explorer of a model file reading a data file (see ``DATA_FORMATS``); returns
    the page's path (default: ``inspect.html`` beside the model)."""
    model_path = os.fspath(model_path)
    if not os.path.exists(model_path):
        raise InspectError(f"{model_path!r} does not exist; pass a run folder or a model file")
    if data_path is None:
        raise InspectError(f"model file {model_path!r} needs --data FILE to look at: {DATA_FORMATS}")
    data = read_data_file(data_path)
    if vocabulary_path is not None:
        data.vocabulary = read_vocabulary(vocabulary_path)
        data.signals = character_signals(data.x, data.vocabulary)
        if data.signals:
            data.notes.append(f"Signals of the decoded text, each sequence read on its own: {', '.join(data.signals)}.")
    model = load_model(model_path, compile=False)
    output = output or os.path.join(os.path.dirname(os.path.abspath(model_path)), OUTPUT_NAME)
    return _explore(model, data, output, f"Inside {os.path.basename(model_path)}", attribution)


def _explore(model, data: ExplorerInput, output, title: str, attribution) -> str:
    try:
        return explore(model, data.x, output=output, y=data.y, loss=data.loss, feature_names=data.feature_names,
                       step_labels=data.step_labels, sample_labels=data.sample_labels, vocabulary=data.vocabulary,
                       attribution=attribution, target=data.target, title=title, notes=data.notes,
                       signals=data.signals)
    except (TypeError, ValueError) as error:
        raise InspectError(str(error)) from None


def read_vocabulary(path) -> list[str]:
    """A JSON list of strings, id ``i`` -> ``list[i]`` (JSON, so a newline or an empty padding
    token is a token like any other)."""
    try:
        with open(path, encoding="utf-8") as stream:
            tokens = json.load(stream)
    except (OSError, ValueError) as error:
        raise InspectError(f"--vocabulary {os.fspath(path)!r} cannot be read as a JSON list of strings: {error}") from None
    if not isinstance(tokens, list) or not all(isinstance(token, str) for token in tokens):
        raise InspectError(f"--vocabulary {os.fspath(path)!r} must hold a JSON list of strings (id i -> list[i])")
    return tokens


def read_data_file(path) -> ExplorerInput:
    """A ``.npy`` array (one sequence may leave out the sample axis) or a ``.csv`` of numeric
    columns (one sequence; a first non-numeric column labels the rows)."""
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise InspectError(f"--data {path!r} does not exist")
    extension = os.path.splitext(path)[1].lower()
    if extension == ".npy":
        try:
            x = np.load(path, allow_pickle=False)
        except ValueError as error:
            raise InspectError(f"--data {path!r} is not a plain .npy array: {error}") from None
        ids = x.dtype.kind in "iu"
        if x.ndim == (1 if ids else 2):
            x = x[None]  # one sequence
        return ExplorerInput(x if ids else x.astype(np.float32),
                             notes=[f"Data: {os.path.basename(path)}, shape {tuple(x.shape)}."])
    if extension == ".csv":
        frame = pd.read_csv(path)
        numeric = frame.select_dtypes("number")
        if numeric.shape[1] == 0:
            raise InspectError(f"--data {path!r} has no numeric column to read")
        others = [c for c in frame.columns if c not in numeric.columns]
        labels = frame[others[0]].astype(str).tolist() if others else None
        notes = [f"Data: {os.path.basename(path)}, {len(frame)} rows of {', '.join(map(str, numeric.columns))} as one "
                 "sequence, unscaled" + (f"; rows labelled by {others[0]!r}" if others else "") + "."]
        return ExplorerInput(numeric.to_numpy(np.float32)[None], feature_names=list(map(str, numeric.columns)),
                             step_labels=labels, notes=notes)
    raise InspectError(f"--data must be a .npy or .csv file, got {path!r}: {DATA_FORMATS}")


# The lesson as the CLI runs it: the library's defaults (about 10 minutes on one CPU thread).
LESSON_SETTINGS: dict = {}


def lesson_page(output, seed: int = 0, **settings) -> str:
    """Run :func:`~seqlab.inspect.lesson_vanishing` and write its table and figures as one HTML
    page (figures embedded as PNG); returns the path."""
    table, curves = lesson_vanishing(seed=seed, **{**LESSON_SETTINGS, **settings})
    gradients, accuracy = plot_lesson(table, curves)
    shown = table.copy()
    for column in ("accuracy", "chance"):
        shown[column] = shown[column].map("{:.3f}".format)
    for column in ("grad_first_init", "grad_first_trained"):
        shown[column] = shown[column].map("{:.2e}".format)
    shown["seconds"] = shown["seconds"].map("{:.1f}".format)
    body = (f"<h1>The vanishing-gradient lesson</h1><p>SimpleRNN, LSTM and GRU of the same size recall the first of "
            f"<i>distance</i> + 1 symbols (chance {table['chance'].iloc[0]:.2f}). <code>grad_first</code> is "
            "|dL/dh| at the first step relative to the last, at initialisation and after training "
            "(seqlab.inspect.gradients_through_time).</p>" + shown.to_html(index=False, border=0)
            + f'<figure><img alt="gradient by steps back" src="{to_data_uri(gradients)}"></figure>'
            + f'<figure><img alt="accuracy by distance" src="{to_data_uri(accuracy)}"></figure>')
    page = ("<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>The vanishing-gradient lesson</title>"
            "<style>body{font:14px/1.5 system-ui,sans-serif;max-width:1000px;margin:2em auto;color:#111827}"
            "table{border-collapse:collapse}td,th{padding:2px 10px;text-align:right}img{max-width:100%}</style>"
            f"</head><body>{body}<p><small>{html.escape('Made by seqlab inspect --lesson vanishing.')}</small></p>"
            "</body></html>")
    with open(output, "w", encoding="utf-8") as stream:
        stream.write(page)
    return os.fspath(output)
