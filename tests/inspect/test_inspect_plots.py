"""seqlab.inspect's figures hold the trace's own numbers: images are the arrays, lines the means."""
import numpy as np
import pytest
from matplotlib.figure import Figure

from seqlab.inspect import (gradients_through_time, plot_gates, plot_gradients, plot_saturation, plot_text_units,
                            saturation, trace)
from seqlab.layers import LSTM, Bidirectional, Dense, SimpleRNN
from seqlab.models import Sequential
from seqlab.utils import set_random_seed


@pytest.fixture(scope="module")
def lstm_trace():
    set_random_seed(0)
    model = Sequential([LSTM(5, input_shape=(9, 2), name="lstm")])
    return trace(model, np.random.default_rng(0).normal(size=(3, 9, 2)))["lstm"]


def test_gate_images_are_the_trace_arrays(lstm_trace):
    figure = plot_gates(lstm_trace, sample=1)
    assert isinstance(figure, Figure)
    titles = [ax.get_title(loc="left") for ax in figure.axes if ax.images]
    assert titles == ["input", "forget", "candidate", "output", "cell", "hidden"]
    arrays = {**lstm_trace.gates, "cell": lstm_trace.cell, "hidden": lstm_trace.hidden}
    for ax in (ax for ax in figure.axes if ax.images):
        np.testing.assert_array_equal(ax.images[0].get_array(), arrays[ax.get_title(loc="left")][1].T)


@pytest.mark.parametrize("sort_by", ["activation", "variance", "signal"])
def test_sorted_rows_follow_the_key(lstm_trace, sort_by):
    hidden = lstm_trace.hidden[0]                                   # (L, H)
    signal = np.arange(9.0)
    figure = plot_gates(lstm_trace, sort_by=signal if sort_by == "signal" else sort_by)
    if sort_by == "activation":
        key = hidden.mean(axis=0)
    elif sort_by == "variance":
        key = hidden.var(axis=0)
    else:
        key = np.array([np.corrcoef(hidden[:, u], signal)[0, 1] for u in range(5)])
    np.testing.assert_array_equal(figure.unit_order, np.argsort(-key))
    hidden_axes = [ax for ax in figure.axes if ax.get_title(loc="left") == "hidden"][0]
    np.testing.assert_array_equal(hidden_axes.images[0].get_array(), hidden[:, figure.unit_order].T)


def test_plot_gates_errors_and_simple_rnn(lstm_trace):
    with pytest.raises(ValueError, match=r"`sort_by` must be None, 'activation', 'variance' or a signal array, got 'mean'"):
        plot_gates(lstm_trace, sort_by="mean")
    with pytest.raises(ValueError, match=r"`sample` must be an integer in \[0, 3\), got 3"):
        plot_gates(lstm_trace, sample=3)
    with pytest.raises(ValueError, match=r"a `sort_by` signal must have shape \(9,\) or \(3, 9\)"):
        plot_gates(lstm_trace, sort_by=np.arange(4))
    rnn = Sequential([SimpleRNN(3, input_shape=(4, 1), name="rnn")])
    figure = plot_gates(trace(rnn, np.ones((1, 4, 1)))["rnn"])
    assert [ax.get_title(loc="left") for ax in figure.axes if ax.images] == ["hidden"]


def test_gradient_lines_are_the_means():
    set_random_seed(1)
    model = Sequential([Bidirectional(LSTM(3, return_sequences=True), input_shape=(6, 2), name="bi"),
                        SimpleRNN(2, name="rnn"), Dense(1)])
    result = gradients_through_time(model, np.random.default_rng(1).normal(size=(4, 6, 2)))
    ax = plot_gradients(result).axes[0]
    lines = {line.get_label(): line.get_ydata() for line in ax.get_lines()}
    assert sorted(lines) == ["bi (backward)", "bi (forward)", "rnn"]
    np.testing.assert_allclose(lines["rnn"], result["rnn"].mean(axis=0))
    np.testing.assert_allclose(lines["bi (forward)"], result["bi"]["forward"].mean(axis=0))
    assert ax.get_yscale() == "log"


def test_saturation_points_are_the_fractions(lstm_trace):
    result = saturation(lstm_trace)
    figure = plot_saturation(result)
    assert [ax.get_title() for ax in figure.axes] == ["input", "forget", "output"]
    for ax in figure.axes:
        points = ax.collections[0].get_offsets()
        np.testing.assert_array_equal(points[:, 0], result[ax.get_title()]["left"])
        np.testing.assert_array_equal(points[:, 1], result[ax.get_title()]["right"])
    with pytest.raises(TypeError, match="expected the dict saturation returns"):
        plot_saturation([])


def test_text_units_grid_places_each_character():
    text = "ab\ncdef\n"
    values = np.arange(len(text), dtype=float)[:, None] * np.array([[1.0, -1.0]])   # (8, 2)
    figure = plot_text_units(text, values, ["up", "down"], width=3)
    assert isinstance(figure, Figure) and [ax.get_title(loc="left") for ax in figure.axes] == ["up", "down"]
    grid = figure.axes[0].images[0].get_array()
    # rows: "ab↵" / "cde" / "f↵" (wrapped at 3 characters)
    expected = np.array([[0, 1, 2], [3, 4, 5], [6, 7, np.nan]])
    np.testing.assert_array_equal(np.ma.filled(grid.astype(float), np.nan), expected)
    assert [t.get_text() for t in figure.axes[0].texts] == list("ab↵cdef↵")
    with pytest.raises(ValueError, match=r"`values` of shape \(len\(text\), units\); got `values` ndarray of shape \(3, 2\)"):
        plot_text_units(text, values[:3], ["up", "down"])
    with pytest.raises(ValueError, match="`labels` must name the 2 columns of `values`, got 1 labels"):
        plot_text_units(text, values, ["up"])
