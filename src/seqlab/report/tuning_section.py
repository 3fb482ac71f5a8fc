"""The report's Tuning section, for a run folder written by ``seqlab tune``: the searched
spaces, the trials table, the optimisation history and the parameter importances.

It reads the ``tuning.json`` record (:mod:`seqlab.experiment.study_summary`'s rows), never the
study itself, so a report rebuilds without Optuna installed.
"""
from __future__ import annotations

import html

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from seqlab.forecast.summary import format_number
from seqlab.report.plots import to_data_uri


def _e(text) -> str:
    return html.escape(str(text), quote=True)


def optimisation_history(trials: list[dict]) -> str:
    """Validation loss of each completed trial, the best so far as a step line, and each pruned
    trial at the last value it reported (Optuna's ``plot_optimization_history``, plus pruning)."""
    figure = Figure(figsize=(8.0, 3.2))
    ax = figure.subplots()
    complete = [t for t in trials if t["state"] == "complete" and t["value"] is not None]
    pruned = [t for t in trials if t["state"] == "pruned" and t["last_val_loss"] is not None]
    if complete:
        numbers = np.array([t["number"] for t in complete])
        values = np.array([t["value"] for t in complete])
        ax.plot(numbers, values, "o", color="#2563eb", label="completed trial")
        ax.step(numbers, np.minimum.accumulate(values), where="post", color="#dc2626", label="best so far")
    if pruned:
        ax.plot([t["number"] for t in pruned], [t["last_val_loss"] for t in pruned], "x", color="#6b7280",
                label="pruned (last reported)")
    shown = [t["value"] for t in complete] + [t["last_val_loss"] for t in pruned]
    if shown and min(shown) > 0:
        ax.set_yscale("log")  # one bad trial would otherwise flatten the others to a line
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("trial")
    ax.set_ylabel("validation loss (scaled data)")
    ax.set_title("Optimisation history")
    ax.legend(fontsize=8)
    return to_data_uri(figure)


def importance_bars(importances: dict) -> str:
    figure = Figure(figsize=(8.0, 0.5 * len(importances) + 1.2))
    ax = figure.subplots()
    names = list(importances)[::-1]  # the largest on top
    ax.barh(names, [importances[name] for name in names], color="#7c3aed")
    ax.set_xlim(0, 1)
    ax.set_xlabel("importance (share of the validation loss's variance)")
    ax.set_title("Parameter importances (fANOVA)")
    return to_data_uri(figure)


def _figure(uri: str, caption: str) -> str:
    return f'<figure><img src="{uri}" alt="{_e(caption)}"><figcaption>{_e(caption)}</figcaption></figure>'


def _value(value) -> str:
    return "" if value is None else _e(format_number(value) if isinstance(value, float) else value)


def _trials_table(record: dict) -> str:
    paths = list(record["spaces"])
    best = record["best"]["number"]
    # a key path may break after its dots, so that many searched keys fit the page's width
    head = "".join(f"<th>{_e(h).replace('.', '.<wbr>')}</th>"
                   for h in ["trial", "state", "val_loss", "epochs", "seconds", *paths])
    rows = []
    for trial in record["trials"]:
        cells = [trial["number"], trial["state"], trial["value"], trial["epochs"], trial["seconds"],
                 *(trial["params"].get(path) for path in paths)]
        title = f' title="{_e(trial["error"])}"' if trial.get("error") else ""
        css = ' class="model"' if trial["number"] == best else ""
        rows.append(f"<tr{css}{title}>" + "".join(f"<td>{_value(cell)}</td>" for cell in cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def tuning_section(record: dict | None) -> str:
    """The section's HTML ("" for a run that was not tuned)."""
    if not record:
        return ""
    trials = record["trials"]
    states: dict = {}
    for trial in trials:
        states[trial["state"]] = states.get(trial["state"], 0) + 1
    counted = ", ".join(f"{count} {state}" for state, count in states.items())
    best = record["best"]
    spaces = "".join(f"<li><code>{_e(path)} = {_e(space)}</code></li>" for path, space in record["spaces"].items())
    chosen = ", ".join(f"{_e(k)} = {_value(v)}" for k, v in best["params"].items())
    parts = [
        f"<p>{len(trials)} trials ({_e(counted)}) searched these spaces with Optuna's {_e(record['sampler'])} "
        f"(seed {_e(record['seed'])}) and {_e(record['pruner'])} on the validation loss after each epoch:</p>",
        f"<ul>{spaces}</ul>",
        f"<p>Trials are compared by their loss on the validation part only. The best, trial {best['number']} "
        f"(validation loss {_e(format_number(best['value']))}: {chosen}), is the model of every other section: "
        "its weights as that trial left them, scored on the test part once, after all trials.</p>",
        _trials_table(record),
        _figure(optimisation_history(trials), "Optimisation history: the validation loss of each trial; the line is the best so far"),
    ]
    importances = record.get("importances")
    if importances:
        parts.append(_figure(importance_bars(importances), record.get("importance_note", "")))
    else:
        parts.append(f"<p class='small'>{_e(record.get('importance_note', ''))}.</p>")
    return "".join(parts)
