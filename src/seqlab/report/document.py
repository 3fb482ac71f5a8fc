"""The one-file HTML report of a run: what the data were, how training went, how the forecasts
compare with the naive baselines in the data's own units, and what the recurrent layers did.

Every figure is a PNG embedded as a ``data:`` URI and the CSS is inline, so the file opens
anywhere, offline, and can be mailed as is. A short inline script marks ``<body
data-images-ok="true">`` once every figure has decoded (what the browser test checks).
"""
from __future__ import annotations

import html
import os
from dataclasses import dataclass, field
from importlib import resources
from string import Template

import pandas as pd

from seqlab import __version__
from seqlab.forecast.summary import beats_all, format_number, html_table, verdicts
from seqlab.report import plots
from seqlab.report.tuning_section import tuning_section

PART_NAMES = {"train": "train", "validation": "validation", "test": "test"}


@dataclass
class ReportData:
    """Everything the report shows; built by the experiment runner or read back from a run folder.

    Attributes:
        series: time-indexed target columns in the data's units (whole series).
        bounds: ``{"train": (start, stop), "validation": ..., "test": ...}`` row positions.
        predictions: rows ``time, [target, step,] actual, model, <baselines...>``.
        metrics: ``{target: {forecast: {"mae": ..., ...}}}`` on the test part.
        trace: ``{"steps": [labels], "layers": {layer: {panel: (timesteps, units)}}, "attribution":
            {"values": (timesteps, features), "features", "explains"} or {"missing": why} or None}`` or None.
        backtest: ``{"mode", "refit", "folds": [{"train": [a, b], "test": [c, d]}], "fold_metrics",
            "metrics"}`` or None.
    """

    title: str
    series: pd.DataFrame
    bounds: dict
    predictions: pd.DataFrame
    metrics: dict
    description: str = ""
    status: str = "succeeded"
    created: str = ""
    data_description: str = ""
    data_notes: list = field(default_factory=list)
    history: pd.DataFrame | None = None
    metric_names: list = field(default_factory=lambda: ["mae", "rmse", "mape", "smape", "mase"])
    labels: dict = field(default_factory=dict)
    settings: dict = field(default_factory=dict)
    backtest: dict | None = None
    model_summary: str = ""
    trace: dict | None = None
    spec_text: str = ""
    tuning: dict | None = None  # the run folder's tuning.json, for a run of `seqlab tune`


def render(data: ReportData) -> str:
    """The report as one HTML string."""
    sections = [
        ("data", "Data", _data_section(data)),
        ("tuning", "Tuning", tuning_section(data.tuning)),
        ("training", "Training", _training_section(data)),
        ("forecasts", "Test forecasts", _forecast_section(data)),
        ("metrics", "Metrics", _metrics_section(data)),
        ("backtest", "Backtest", _backtest_section(data)),
        ("model", "Model", _model_section(data)),
        ("inside", "Inside the recurrent layers", _trace_section(data)),
        ("spec", "Spec", f"<pre>{_e(data.spec_text)}</pre>" if data.spec_text else ""),
    ]
    meta = " · ".join(_e(part) for part in (data.created, f"status: {data.status}", data.data_description) if part)
    return page(data.title, meta, data.description, _verdict(data), sections)


def page(title: str, meta: str, description: str, verdict: str, sections: list) -> str:
    """The report's page around ``sections`` (``(anchor, title, html)``; empty ones left out);
    ``meta`` and ``verdict`` are HTML already."""
    sections = [(key, heading, body) for key, heading, body in sections if body]
    template = Template(resources.files("seqlab.report").joinpath("template.html").read_text("utf-8"))
    return template.substitute(
        version=_e(__version__),
        title=_e(title),
        css=resources.files("seqlab.report").joinpath("report.css").read_text("utf-8"),
        meta=meta,
        description=f"<p>{_e(description)}</p>" if description else "",
        nav="".join(f'<a href="#{key}">{_e(heading)}</a>' for key, heading, _ in sections),
        verdict=verdict,
        sections="\n".join(f'<section id="{key}">\n<h2>{_e(heading)}</h2>\n{body}\n</section>'
                           for key, heading, body in sections),
    )


def write(path, data: ReportData) -> str:
    """Render and write the report to ``path``; returns the path."""
    with open(path, "w", encoding="utf-8") as stream:
        stream.write(render(data))
    return os.fspath(path)


def _e(text) -> str:
    return html.escape(str(text), quote=True)


def _figure(uri: str, caption: str) -> str:
    return f'<figure><img src="{uri}" alt="{_e(caption)}"><figcaption>{_e(caption)}</figcaption></figure>'


def _verdict(data: ReportData) -> str:
    if not data.metrics:
        return ""
    sentences = verdicts(data.metrics, labels=data.labels)
    css = "verdict" if beats_all(data.metrics) else "verdict bad"
    return f'<div class="{css}">' + "".join(f"<p>{_e(s)}</p>" for s in sentences) + "</div>"


def _data_section(data: ReportData) -> str:
    index = data.series.index
    rows = []
    for part, (start, stop) in data.bounds.items():
        if stop > start:
            rows.append(f"<tr><td>{_e(PART_NAMES.get(part, part))}</td><td>{stop - start}</td>"
                        f"<td>{_e(_label(index[start]))}</td><td>{_e(_label(index[stop - 1]))}</td></tr>")
    table = ("<table><thead><tr><th>part</th><th>rows</th><th>from</th><th>to</th></tr></thead><tbody>"
             + "".join(rows) + "</tbody></table>")
    notes = "".join(f"<li>{_e(note)}</li>" for note in data.data_notes)
    settings = ", ".join(f"{_e(k)} = {_e(v)}" for k, v in data.settings.items())
    return (f"<p>{_e(data.data_description)}: {len(data.series)} rows of {_e(', '.join(map(str, data.series.columns)))}."
            " Scalers are fitted on the train part only; windows whose targets fall in a part may read"
            " their inputs from the rows just before it (the past, not a leak).</p>"
            + (f"<p class='small'>{settings}</p>" if settings else "") + table
            + (f"<ul class='notes'>{notes}</ul>" if notes else "")
            + _figure(plots.data_spans(data.series, data.bounds), "The series, train/validation/test shaded"))


def _label(value) -> str:
    return str(value.date()) if hasattr(value, "date") and getattr(value, "hour", 0) == 0 else str(value)


def _training_section(data: ReportData) -> str:
    if data.history is None or len(data.history) == 0:
        return ""
    history = data.history
    text = f"<p>{len(history)} epoch(s) trained."
    if "val_loss" in history.columns:
        best = int(history["val_loss"].to_numpy().argmin())
        text += f" Lowest validation loss {format_number(float(history['val_loss'].iloc[best]))} at epoch {best + 1}."
    text += "</p>"
    return text + _figure(plots.loss_curves(history), "Loss per epoch, on the scaled data")


def _forecast_names(data: ReportData) -> list[str]:
    skip = {"time", "target", "step", "actual", "origin"}
    return [c for c in data.predictions.columns if c not in skip]


def _forecast_section(data: ReportData) -> str:
    if data.predictions is None or len(data.predictions) == 0:
        return ""
    names = _forecast_names(data)
    steps = sorted(data.predictions["step"].unique()) if "step" in data.predictions.columns else [1]
    shown = [steps[0]] + ([steps[-1]] if steps[-1] != steps[0] else [])
    figures = [
        _figure(plots.forecasts(data.predictions, target, names, step),
                f"{target}: {step} step(s) ahead — actual, model and baselines, in the data's units")
        for target in data.metrics for step in shown
    ]
    return "<p>Every test window is forecast by the model and by each baseline, from the same origin.</p>" + "".join(figures)


def _metrics_section(data: ReportData) -> str:
    parts = ["<p>On the test part, in the data's own units (after inverse scaling). MASE below 1 beats the "
             "in-sample naive forecast; skill = 1 − MAE/MAE<sub>persistence</sub> (above 0 beats persistence). "
             "The best value of each column is in bold.</p>"]
    for target, table in data.metrics.items():
        parts.append(f"<h3>{_e(target)}</h3>" + html_table(table, data.metric_names, data.labels))
        undefined = {f"{name} {metric}": reason for name, row in table.items()
                     for metric, reason in row.get("undefined", {}).items()}
        if undefined:
            parts.append("<ul class='notes'>" + "".join(f"<li>{_e(k)}: {_e(v)}</li>" for k, v in undefined.items()) + "</ul>")
    return "".join(parts)


def _backtest_section(data: ReportData) -> str:
    backtest = data.backtest
    if not backtest:
        return ""
    spans = "".join(f"<tr><td>fold {k}</td><td>{f['train'][0]}–{f['train'][1] - 1}</td><td>{f['test'][0]}–{f['test'][1] - 1}</td></tr>"
                    for k, f in enumerate(backtest["folds"]))
    parts = [f"<p>{_e(backtest_kind(backtest))}</p>",
             f"<table><thead><tr><th>fold</th><th>train rows</th><th>test rows</th></tr></thead><tbody>{spans}</tbody></table>"]
    for target, table in backtest["metrics"].items():
        parts.append(f"<h3>{_e(target)}, all folds pooled</h3>" + html_table(table, data.metric_names, data.labels))
        parts.append(_figure(plots.fold_errors(backtest["fold_metrics"], target), f"{target}: MAE per fold"))
    return "".join(parts)


def backtest_kind(backtest: dict) -> str:
    """What kind of backtest a run's record says was done, in a sentence.

    Run folders written before the record said which scalers were used get the rule the code
    then applied too: per-fold scalers with ``refit``, the run's own without."""
    folds = len(backtest["folds"])
    mode = backtest.get("mode", "expanding")
    scalers = backtest.get("scalers", "per fold" if backtest.get("refit") else "run")
    scaling = ("scalers fitted on that fold's training rows only" if scalers == "per fold"
               else "the run's own scalers, fitted on the train part")
    if backtest.get("refit"):
        retrained = backtest.get("retrained") or {}
        epochs = f" for {retrained['epochs']} epochs" if "epochs" in retrained else ""
        return (f"A walk-forward backtest that retrains: {folds} forecast origins ({mode} window); at each, a "
                f"fresh model is trained{epochs} on the rows before it, with {scaling}, then scored on "
                "the rows that follow.")
    train = backtest.get("train_rows")
    rows = f" (rows {train[0]}–{train[1] - 1})" if train else ""
    return (f"A backtest without retraining: the run's model, trained once on the train part{rows}, is "
            f"scored on {folds} consecutive blocks of the test part with {scaling}; this is the test part "
            "cut in blocks, showing how the error varies over time, not how retraining would do "
            "(set evaluation.backtest.refit = true for that).")


def _model_section(data: ReportData) -> str:
    return f"<pre>{_e(data.model_summary)}</pre>" if data.model_summary else ""


def _trace_section(data: ReportData) -> str:
    if not data.trace or not data.trace.get("layers"):
        return ""
    parts = [f"<p>Gate activations, cell state and hidden state of each recurrent layer over {_e(data.trace.get('window', 'one test window'))}"
             " (rows: units, columns: timesteps). Gates run from 0 (closed) to 1 (open).</p>"]
    for layer, panels in data.trace["layers"].items():
        parts.append(_figure(plots.gate_heatmaps(layer, panels, data.trace.get("steps")), f"Layer '{layer}'"))
    attribution = data.trace.get("attribution") or {}
    if "values" in attribution:
        parts.append(_figure(plots.attribution_steps(attribution["values"], attribution["features"], data.trace.get("steps")),
                             f"Attribution of {attribution['explains']} to each input step of the window"))
    elif "missing" in attribution:
        parts.append(f"<p class='small'>Attributions not shown: {_e(attribution['missing'])}</p>")
    parts.append("<p class='small'>Every test window, layer and unit, interactively (unit search, saturation, gradients "
                 "through time): <code>seqlab inspect RUN_DIR</code> writes <code>inspect.html</code>.</p>")
    return "".join(parts)
