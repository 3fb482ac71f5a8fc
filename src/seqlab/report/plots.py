"""The report's figures, as PNG ``data:`` URIs (no files beside the report, no network).

Figures are drawn on matplotlib's ``Figure`` + Agg canvas directly, never through ``pyplot``:
no global backend switch, no window, and nothing left open between calls.
"""
from __future__ import annotations

import base64
import io

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

PART_COLOURS = {"train": "#dbeafe", "validation": "#fef3c7", "test": "#dcfce7"}
LINE_COLOURS = {"actual": "#111827", "model": "#dc2626", "persistence": "#2563eb",
                "seasonal_naive": "#7c3aed", "drift": "#d97706", "moving_average": "#059669"}


def to_data_uri(figure: Figure, dpi: int = 100) -> str:
    """Render a figure to ``data:image/png;base64,...``."""
    FigureCanvasAgg(figure)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight", metadata={"Software": None})
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _axes(rows: int = 1, height: float = 3.2, width: float = 10.0):
    figure = Figure(figsize=(width, height * rows))
    axes = figure.subplots(rows, 1, squeeze=False)[:, 0]
    return figure, axes


def data_spans(series: pd.DataFrame, bounds: dict) -> str:
    """Each target over time, the train/validation/test spans shaded.

    Args:
        series: time-indexed columns to draw (the targets, in the data's units).
        bounds: ``{"train": (start, stop), "validation": ..., "test": ...}`` row positions.
    """
    figure, axes = _axes(len(series.columns), height=2.8)
    x = series.index
    for ax, column in zip(axes, series.columns):
        ax.plot(x, series[column].to_numpy(), color=LINE_COLOURS["actual"], linewidth=0.9)
        for part, (start, stop) in bounds.items():
            if stop > start:
                right = x[stop] if stop < len(x) else x[-1]
                ax.axvspan(x[start], right, color=PART_COLOURS.get(part, "#eeeeee"), label=f"{part} ({stop - start} rows)")
        ax.set_ylabel(str(column))
        ax.margins(x=0)
        ax.legend(loc="upper left", fontsize=8)
    axes[0].set_title("The data and its train / validation / test spans")
    return to_data_uri(figure)


def loss_curves(history: pd.DataFrame) -> str:
    """Training and validation loss per epoch (every ``*loss`` column of the history)."""
    figure, (ax,) = _axes(1, height=3.0, width=8.0)
    epochs = np.arange(1, len(history) + 1)
    for column in [c for c in history.columns if c.endswith("loss")]:
        ax.plot(epochs, history[column].to_numpy(), marker="o", markersize=3, label=column)
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss (scaled data)")
    values = history[[c for c in history.columns if c.endswith("loss")]].to_numpy()
    if values.size and np.all(values > 0):
        ax.set_yscale("log")  # the first epochs would otherwise flatten the rest to a line
    ax.set_title("Loss per epoch")
    ax.legend()
    return to_data_uri(figure)


def forecasts(predictions: pd.DataFrame, target: str, forecast_names: list[str], step: int) -> str:
    """Test predictions of one target at one horizon step against the actual values and baselines."""
    rows = predictions
    if "target" in rows.columns:
        rows = rows[rows["target"] == target]
    if "step" in rows.columns:
        rows = rows[rows["step"] == step]
    figure, (ax,) = _axes(1, height=3.8)
    x = pd.to_datetime(rows["time"]) if _looks_like_time(rows["time"]) else rows["time"]
    ax.plot(x, rows["actual"], color=LINE_COLOURS["actual"], linewidth=1.6, label="actual")
    for name in forecast_names:
        style = {"linewidth": 1.4} if name == "model" else {"linewidth": 0.9, "alpha": 0.75, "linestyle": "--"}
        ax.plot(x, rows[name], color=LINE_COLOURS.get(name), label=name, **style)
    ax.set_ylabel(f"{target} (data's units)")
    ax.set_title(f"Test predictions of {target}, {step} step(s) ahead")
    _legend_below(ax)
    ax.margins(x=0)
    return to_data_uri(figure)


def _legend_below(ax) -> None:
    # under the axes, so that no line or bar is hidden behind it
    ax.legend(fontsize=8, ncol=6, loc="upper center", bbox_to_anchor=(0.5, -0.14), frameon=False)


def _looks_like_time(values: pd.Series) -> bool:
    if pd.api.types.is_numeric_dtype(values):
        return False
    try:
        pd.to_datetime(values.iloc[:3])
    except (TypeError, ValueError):
        return False
    return True


def gate_heatmaps(layer: str, panels: dict, step_labels=None, max_units: int = 32) -> str:
    """Heat maps of one recurrent layer over one window: a panel per gate, the cell and hidden state.

    Args:
        layer: the layer's name (title).
        panels: ``{"input gate": (timesteps, units), ..., "cell": ..., "hidden": ...}``.
        step_labels: labels of the timesteps (x axis), e.g. dates.
        max_units: at most this many units are drawn (the first ones), to keep rows readable.
    """
    names = list(panels)
    figure = Figure(figsize=(10.0, 1.9 * len(names) + 0.6))
    axes = figure.subplots(len(names), 1, squeeze=False)[:, 0]
    for ax, name in zip(axes, names):
        values = np.asarray(panels[name], dtype=np.float64)[:, :max_units]  # (T, units)
        if values.size and values.min() >= 0.0 and values.max() <= 1.0:
            low, high, colours = 0.0, 1.0, "viridis"  # sigmoid gates: 0 = closed, 1 = open
        else:
            # tanh-ranged or unbounded (the cell): symmetric around 0 so the sign reads at a glance
            high = float(np.max(np.abs(values))) if values.size else 1.0
            low, high, colours = -(high or 1.0), high or 1.0, "RdBu_r"
        image = ax.imshow(values.T, aspect="auto", cmap=colours, vmin=low, vmax=high, interpolation="nearest")
        ax.set_ylabel(f"{name}\nunit", fontsize=8)
        figure.colorbar(image, ax=ax, fraction=0.025, pad=0.01)
        ax.set_xticks([])
    if step_labels is not None and len(step_labels):
        ticks = np.linspace(0, len(step_labels) - 1, min(6, len(step_labels))).round().astype(int)
        axes[-1].set_xticks(ticks)
        axes[-1].set_xticklabels([str(step_labels[i]) for i in ticks], fontsize=8)
    axes[-1].set_xlabel("timestep of the window")
    axes[0].set_title(f"Inside '{layer}' over one test window")
    return to_data_uri(figure)


def attribution_steps(values, features, step_labels=None) -> str:
    """Attribution of one output to every input step of a window: bars of the sum over the
    features per step (red raises the output, blue lowers it), and a row per feature below when
    there are several.

    Args:
        values: ``(timesteps, features)`` attributions.
        features: the features' names.
        step_labels: labels of the timesteps (x axis), e.g. dates.
    """
    values = np.asarray(values, dtype=np.float64)
    rows = 2 if values.shape[1] > 1 else 1
    figure = Figure(figsize=(10.0, 2.4 + 0.35 * values.shape[1] * (rows - 1)))
    axes = figure.subplots(rows, 1, squeeze=False, sharex=True)[:, 0]
    total = values.sum(axis=1)
    steps = np.arange(len(total))
    axes[0].bar(steps, total, color=np.where(total >= 0, "#dc2626", "#2563eb"))
    axes[0].axhline(0, color="#111827", linewidth=0.6)
    axes[0].set_ylabel("sum over\ninputs", fontsize=8)
    axes[0].set_title("Attribution per input step of the window")
    if rows == 2:
        bound = float(np.abs(values).max()) or 1.0
        image = axes[1].imshow(values.T, aspect="auto", cmap="RdBu_r", vmin=-bound, vmax=bound, interpolation="nearest")
        axes[1].set_yticks(range(len(features)))
        axes[1].set_yticklabels([str(f) for f in features], fontsize=8)
        figure.colorbar(image, ax=axes[1], fraction=0.025, pad=0.01)
    if step_labels is not None and len(step_labels):
        ticks = np.linspace(0, len(step_labels) - 1, min(6, len(step_labels))).round().astype(int)
        axes[-1].set_xticks(ticks)
        axes[-1].set_xticklabels([str(step_labels[i]) for i in ticks], fontsize=8)
    axes[-1].set_xlabel("timestep of the window")
    return to_data_uri(figure)


def fold_errors(fold_rows: list[dict], target: str) -> str:
    """MAE of the model and each baseline in every backtest fold."""
    figure, (ax,) = _axes(1, height=3.0, width=8.0)
    names = list(fold_rows[0][target])
    width = 0.8 / len(names)
    for j, name in enumerate(names):
        values = [fold[target][name]["mae"] for fold in fold_rows]
        ax.bar(np.arange(len(fold_rows)) + j * width, values, width, label=name, color=LINE_COLOURS.get(name))
    ax.set_xticks(np.arange(len(fold_rows)) + 0.4 - width / 2)
    ax.set_xticklabels([f"fold {k}" for k in range(len(fold_rows))])
    ax.set_ylabel(f"MAE of {target}")
    ax.set_title("Walk-forward backtest: MAE per fold")
    _legend_below(ax)
    return to_data_uri(figure)
