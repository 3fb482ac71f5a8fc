"""Figures for notebooks: a trace's gates as images (:func:`plot_gates`), gradients through time
(:func:`plot_gradients`), gate saturation (:func:`plot_saturation`) and units' activations over
a text, character by character (:func:`plot_text_units`).

Each returns a ``matplotlib.figure.Figure`` made without pyplot (:func:`new_figure`), so nothing
is drawn on a screen or kept in pyplot's list of open figures: show it in a notebook by leaving
it as the cell's value (it shows once, as a PNG, with or without ``%matplotlib inline``), or save
it with ``fig.savefig("gates.png")``.
"""
from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from seqlab.errors import describe
from seqlab.inspect.activations import check_trace
from seqlab.notebook import show_figures_inline


def new_figure(figsize) -> Figure:
    """A constrained-layout Figure without pyplot that a notebook shows inline as the cell's value."""
    show_figures_inline()
    return Figure(figsize=figsize, layout="constrained")


def plot_gates(trace, sample: int = 0, sort_by=None) -> Figure:
    """Every gate, the cell state (LSTM) and the hidden state of one sample, units down and
    timesteps across, one image each.

    Args:
        trace: one :class:`~seqlab.inspect.Trace`.
        sample: which sample of the batch.
        sort_by: the order of the units (rows), the same in every image: None (unit index),
            ``'activation'`` (mean hidden state over the sample, largest first), ``'variance'``
            (variance of the hidden state over time, largest first), or a signal, ``(L,)`` or
            ``(N, L)``: the hidden units most correlated with it first.

    Returns:
        A Figure of one axes per array (``ax.images[0]`` its ``(H, L)`` data); the unit order is
        ``fig.unit_order``.
    """
    trace = check_trace("plot_gates", trace)
    samples, steps, units = trace.hidden.shape
    if isinstance(sample, bool) or not isinstance(sample, (int, np.integer)) or not 0 <= sample < samples:
        raise ValueError(f"plot_gates: `sample` must be an integer in [0, {samples}), got {sample!r}")
    order = unit_order(trace.hidden[sample], sort_by, sample, samples)
    panels = {**trace.gates, **({"cell": trace.cell} if trace.cell is not None else {}), "hidden": trace.hidden}
    figure = new_figure((max(4.0, 0.15 * steps + 2), 1.6 * len(panels) + 0.6))
    axes = figure.subplots(len(panels), 1, sharex=True, squeeze=False)[:, 0]
    for ax, (name, values) in zip(axes, panels.items()):
        image = ax.imshow(values[sample][:, order].T, aspect="auto", interpolation="nearest",
                          cmap="viridis" if name in _SIGMOID else "RdBu_r",
                          vmin=0 if name in _SIGMOID else None, vmax=1 if name in _SIGMOID else None)
        ax.set_title(name, fontsize=9, loc="left")
        ax.set_ylabel("unit")
        figure.colorbar(image, ax=ax, pad=0.01)
    axes[-1].set_xlabel("timestep")
    figure.suptitle(f"{trace.layer}, sample {sample}")
    figure.unit_order = order
    return figure


_SIGMOID = {"input", "forget", "output", "update", "reset"}


def unit_order(hidden: np.ndarray, sort_by, sample: int, samples: int) -> np.ndarray:
    """The row order of :func:`plot_gates` for one sample's ``(L, H)`` hidden states."""
    if sort_by is None:
        return np.arange(hidden.shape[1])
    if isinstance(sort_by, str):
        if sort_by == "activation":
            key = hidden.mean(axis=0)
        elif sort_by == "variance":
            key = hidden.var(axis=0)
        else:
            raise ValueError(f"plot_gates: `sort_by` must be None, 'activation', 'variance' or a signal "
                             f"array, got {sort_by!r}")
        return np.argsort(-key, kind="stable")
    signal = np.asarray(sort_by, dtype="float64")
    if signal.ndim == 2 and signal.shape[0] == samples:
        signal = signal[sample]
    if signal.shape != (hidden.shape[0],):
        raise ValueError(f"plot_gates: a `sort_by` signal must have shape ({hidden.shape[0]},) or "
                         f"({samples}, {hidden.shape[0]}), got {describe(sort_by)}")
    centred, s = hidden - hidden.mean(axis=0), signal - signal.mean()
    spread = np.sqrt((centred ** 2).sum(axis=0) * (s ** 2).sum())
    with np.errstate(invalid="ignore", divide="ignore"):
        correlation = np.where(spread > 0, (centred * s[:, None]).sum(axis=0) / spread, -np.inf)
    return np.argsort(-correlation, kind="stable")


def plot_gradients(gradients: dict) -> Figure:
    """The mean over samples of ``|d objective / d h_t|`` against ``t``, log scale, one line per
    recurrent layer (per direction for a Bidirectional), from :func:`gradients_through_time`."""
    if not isinstance(gradients, dict) or not gradients:
        raise TypeError(f"plot_gradients: expected the dict gradients_through_time returns, got "
                        f"{describe(gradients)}")
    figure = new_figure((6, 3.5))
    ax = figure.subplots()
    for name, norms in gradients.items():
        for label, values in (norms.items() if isinstance(norms, dict) else [(None, norms)]):
            curve = np.asarray(values).mean(axis=0)
            ax.semilogy(np.arange(len(curve)), curve, label=name if label is None else f"{name} ({label})")
    ax.set_xlabel("timestep t")
    ax.set_ylabel("mean |dL/dh_t|")
    ax.legend()
    return figure


def plot_saturation(saturation_result: dict) -> Figure:
    """Karpathy et al.'s saturation plot: per gate, each unit a point at (fraction of steps left
    saturated, fraction right saturated); points near (0, 1) are gates always open."""
    if not isinstance(saturation_result, dict) or not saturation_result:
        raise TypeError(f"plot_saturation: expected the dict saturation returns, got {describe(saturation_result)}")
    figure = new_figure((3.2 * len(saturation_result), 3.4))
    axes = figure.subplots(1, len(saturation_result), squeeze=False)[0]
    for ax, (gate, fractions) in zip(axes, saturation_result.items()):
        ax.plot([0, 1], [1, 0], color="grey", linewidth=0.8)  # left + right <= 1 lies below it
        ax.scatter(fractions["left"], fractions["right"], s=12, alpha=0.7)
        ax.set(xlim=(0, 1), ylim=(0, 1), xlabel="fraction left saturated", title=gate)
    axes[0].set_ylabel("fraction right saturated")
    return figure


def plot_text_units(text: str, values, labels, width: int = 80) -> Figure:
    """Karpathy et al.'s figure: a text, each character's cell coloured by one unit's activation
    at that character, one panel per unit (red positive, blue negative, white 0).

    Args:
        text: the ``T`` characters the model read (a newline is drawn as ``↵`` ending its line).
        values: ``(T, K)`` activations, one column per unit to show (e.g. ``trace.hidden[0]``
            restricted to the units :func:`top_units` picked).
        labels: ``K`` panel titles, e.g. ``"unit 17, line_position r=0.81"``.
        width: characters per row; longer lines wrap.

    Returns:
        A Figure of ``K`` axes; ``ax.images[0]`` holds the ``(rows, width)`` grid (NaN where
        there is no character).
    """
    values = np.asarray(values, dtype="float64")
    if not isinstance(text, str) or not text or values.ndim != 2 or values.shape[0] != len(text):
        raise ValueError(f"plot_text_units: expected a non-empty `text` and `values` of shape (len(text), "
                         f"units); got `values` {describe(values)} for `text` {describe(text)}")
    if len(labels) != values.shape[1]:
        raise ValueError(f"plot_text_units: `labels` must name the {values.shape[1]} columns of `values`, "
                         f"got {len(labels)} labels")
    places = _text_layout(text, width)                              # (T, 2) row, column
    rows = int(places[:, 0].max()) + 1
    figure = Figure(figsize=(0.11 * width + 0.4, (0.19 * rows + 0.35) * values.shape[1]), layout="constrained")
    axes = figure.subplots(values.shape[1], 1, squeeze=False)[:, 0]
    for ax, column, label in zip(axes, values.T, labels):
        grid = np.full((rows, width), np.nan)
        grid[places[:, 0], places[:, 1]] = column
        scale = float(np.abs(column).max()) or 1.0  # symmetric about 0, so white means 0
        ax.imshow(grid, cmap="RdBu_r", vmin=-scale, vmax=scale, aspect="auto", interpolation="nearest",
                  alpha=0.6)  # light enough to read the characters on
        for (row, col), char in zip(places.tolist(), text):
            ax.text(col, row, "↵" if char == "\n" else char, ha="center", va="center", fontsize=6.5,
                    family="monospace")
        ax.set_title(label, fontsize=8, loc="left")
        ax.set_xticks([])
        ax.set_yticks([])
    return figure


def _text_layout(text: str, width: int) -> np.ndarray:
    """The (row, column) cell of each character: a newline ends its row, a long line wraps."""
    places, row, col = [], 0, 0
    for char in text:
        if col >= width:
            row, col = row + 1, 0
        places.append((row, col))
        row, col = (row + 1, 0) if char == "\n" else (row, col + 1)
    return np.array(places, dtype=int)
