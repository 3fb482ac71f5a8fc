"""The vanishing-gradient lesson, measured: SimpleRNN, LSTM and GRU of the same size learn to
recall a symbol ``distance`` steps back, and :func:`gradients_through_time` shows why the
SimpleRNN cannot.

The task is *recall the first symbol*: a sequence of ``distance + 1`` one-hot symbols drawn
uniformly from ``symbols``; the answer, asked at the last step, is the first one. The other
steps are random symbols too (distractors), so the only way to answer is to carry the first
symbol through ``distance`` steps of input that overwrite the state. It was chosen over the
adding problem because its score is plain accuracy with a known chance level,
``1 / symbols``, and the whole loss gradient reaching step 0 is the gradient that carries the
answer, so the gradient curve and the accuracy tell one story.
"""
from __future__ import annotations

import time

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from seqlab import layers, models, optimizers
from seqlab.checks import check_int
from seqlab.inspect.gradients import gradients_through_time
from seqlab.inspect.plots import new_figure
from seqlab.utils import set_random_seed

CELLS = ("SimpleRNN", "LSTM", "GRU")


def recall_task(samples: int, distance: int, symbols: int, rng: np.random.Generator,
                distractors: bool = True):
    """``x`` ``(samples, distance + 1, symbols)`` one-hot, ``y`` ``(samples,)``: the first symbol.
    Without ``distractors`` the steps after the first are all-zero vectors (nothing to read)."""
    ids = rng.integers(0, symbols, size=(samples, distance + 1))
    x = np.eye(symbols, dtype="float32")[ids]
    if not distractors:
        x[:, 1:] = 0.0
    return x, ids[:, 0]


def build_model(cell: str, units: int, distance: int, symbols: int, learning_rate: float):
    """``cell(units) -> Dense(symbols, softmax)``, Adam, sparse categorical cross-entropy."""
    recurrent = getattr(layers, cell)(units, input_shape=(distance + 1, symbols), name="recurrent")
    model = models.Sequential([recurrent, layers.Dense(symbols, activation="softmax")])
    model.compile(optimizer=optimizers.Adam(learning_rate=learning_rate),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def gradient_curve(model, x, y) -> np.ndarray:
    """Mean over samples of ``|d loss / d h_t|``, divided by its value at the last step, with
    index ``k`` = ``k`` steps back from the answer: ``curve[0] == 1``."""
    def cross_entropy(probabilities, labels):
        picked = probabilities.gather(1, labels.long().view(-1, 1)).clamp_min(1e-12)
        return -picked.log().mean()

    norms = gradients_through_time(model, x, y.astype("int64"), loss=cross_entropy)["recurrent"]
    curve = norms.mean(axis=0)[::-1]
    return curve / curve[0]


def lesson_vanishing(distances=(10, 25, 50, 100), units: int = 32, epochs: int = 40,
                     samples: int = 4000, symbols: int = 4, learning_rate: float = 0.01,
                     batch_size: int = 64, cells=CELLS, distractors: bool = True, seed: int = 0,
                     verbose: int = 0):
    """Train every cell at every distance and measure accuracy and gradients through time.

    Args:
        distances: how many steps back the answer lies (sequences of ``distance + 1`` steps).
        units: the size of every recurrent layer (the same for all cells).
        epochs: training epochs per model.
        samples: training sequences; a fresh set of ``samples // 2`` is held out.
        symbols: alphabet size; chance accuracy is ``1 / symbols``.
        learning_rate: Adam's.
        batch_size: training batch size.
        cells: which of ``'SimpleRNN'``, ``'LSTM'``, ``'GRU'`` to train.
        distractors: random symbols between the first one and the question (True), or
            all-zero steps (False).
        seed: seeds the data and the weights of every model.
        verbose: 1 prints a line per model.

    Returns:
        ``(table, curves)``: ``table`` a DataFrame, one row per (cell, distance), with
        ``accuracy`` (held out), ``chance``, ``grad_first_init`` and ``grad_first_trained`` (the
        gradient norm at the first step relative to the last, at initialisation and after
        training) and ``seconds``; ``curves`` ``{(cell, distance): {'init': array, 'trained':
        array}}``, the normalised gradient by steps back (see :func:`gradient_curve`).

    >>> import seqlab
    >>> table, curves = seqlab.inspect.lesson_vanishing(distances=(3,), units=4, epochs=1, samples=64)
    >>> list(table.columns)
    ['cell', 'distance', 'accuracy', 'chance', 'grad_first_init', 'grad_first_trained', 'seconds']
    """
    _check_arguments(distances, units, epochs, samples, symbols, cells)
    rows, curves = [], {}
    for distance in distances:
        rng = np.random.default_rng(seed + distance)
        x, y = recall_task(samples, distance, symbols, rng, distractors)
        x_test, y_test = recall_task(max(samples // 2, 1), distance, symbols, rng, distractors)
        probe = slice(0, min(256, len(x_test)))  # the gradients are averaged over these sequences
        for cell in cells:
            set_random_seed(seed)
            model = build_model(cell, units, distance, symbols, learning_rate)
            before = gradient_curve(model, x_test[probe], y_test[probe])
            began = time.perf_counter()
            model.fit(x, y, batch_size=batch_size, epochs=epochs, verbose=0)
            seconds = time.perf_counter() - began
            after = gradient_curve(model, x_test[probe], y_test[probe])
            predicted = np.asarray(model.predict(x_test, batch_size=256, verbose=0)).argmax(axis=-1)
            accuracy = float((predicted == y_test).mean())
            curves[(cell, distance)] = {"init": before, "trained": after}
            rows.append({"cell": cell, "distance": distance, "accuracy": accuracy,
                         "chance": 1.0 / symbols, "grad_first_init": float(before[-1]),
                         "grad_first_trained": float(after[-1]), "seconds": seconds})
            if verbose:
                print(f"{cell:9s} distance {distance:4d}: accuracy {accuracy:.3f}, gradient at the first "
                      f"step {before[-1]:.2e} (init) {after[-1]:.2e} (trained), {seconds:.1f} s", flush=True)
    return pd.DataFrame(rows), curves


def _check_arguments(distances, units, epochs, samples, symbols, cells):
    for distance in distances:
        check_int("lesson_vanishing", "distances", distance)
    check_int("lesson_vanishing", "units", units)
    check_int("lesson_vanishing", "epochs", epochs)
    check_int("lesson_vanishing", "samples", samples, minimum=2)
    check_int("lesson_vanishing", "symbols", symbols, minimum=2)
    unknown = [cell for cell in cells if cell not in CELLS]
    if unknown:
        raise ValueError(f"lesson_vanishing: `cells` must be among {list(CELLS)}, got {unknown}")


def plot_lesson(table: pd.DataFrame, curves: dict) -> tuple[Figure, Figure]:
    """Two figures: the normalised gradient by steps back at the longest distance (log scale; at
    initialisation and after training), and held-out accuracy against distance with chance."""
    longest = int(table["distance"].max())
    gradients = new_figure((10, 4))
    axes = gradients.subplots(1, 2, sharey=True)
    for ax, when in zip(axes, ("init", "trained")):
        for cell in table["cell"].unique():
            curve = curves[(cell, longest)][when]
            ax.semilogy(np.arange(len(curve)), curve, label=cell)
        ax.set_title(f"{'at initialisation' if when == 'init' else 'after training'}, distance {longest}")
        ax.set_xlabel("steps back from the answer")
    axes[0].set_ylabel("|dL/dh_t| / |dL/dh_last|")
    axes[0].legend()

    accuracy = new_figure((5, 4))
    ax = accuracy.subplots()
    for cell, rows in table.groupby("cell", sort=False):
        ax.plot(rows["distance"], rows["accuracy"], marker="o", label=cell)
    ax.axhline(float(table["chance"].iloc[0]), color="grey", linestyle="--", label="chance")
    ax.set(xlabel="distance (steps back)", ylabel="held-out accuracy", ylim=(0, 1.05))
    ax.legend()
    return gradients, accuracy
