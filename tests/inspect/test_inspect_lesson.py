"""seqlab.inspect.lesson_vanishing on short distances: the relations measured on the full run
(docs/inspect.md) hold, with margins. Measured here with seed 0 (units 8, 15 epochs, 500
sequences): SimpleRNN's normalised gradient at initialisation falls by a factor 0.73-0.76 a step
(log-linear, r = -0.9996); the first-step gradient at distance 20 is 25-830 times below the one at
distance 5 for every cell; every cell reaches accuracy >= 0.91 at distance 5 (chance 0.25)."""
import numpy as np
import pytest

from seqlab.inspect import lesson_vanishing
from seqlab.inspect.lesson import plot_lesson, recall_task


@pytest.fixture(scope="module")
def lesson():
    return lesson_vanishing(distances=(5, 20), units=8, epochs=15, samples=500, seed=0)


@pytest.mark.slow
def test_simple_rnn_gradient_decays_geometrically_at_initialisation(lesson):
    _, curves = lesson
    for distance in (5, 20):
        log_curve = np.log(curves[("SimpleRNN", distance)]["init"])
        steps = np.arange(len(log_curve))
        assert np.corrcoef(steps, log_curve)[0, 1] < -0.99
        assert np.exp(np.polyfit(steps, log_curve, 1)[0]) < 0.9  # a factor per step back


@pytest.mark.slow
def test_longer_distance_smaller_first_step_gradient_and_short_distance_learned(lesson):
    table, curves = lesson
    rows = table.set_index(["cell", "distance"])
    for cell in ("SimpleRNN", "LSTM", "GRU"):
        assert rows.loc[(cell, 20), "grad_first_init"] < rows.loc[(cell, 5), "grad_first_init"] / 5
        assert rows.loc[(cell, 5), "accuracy"] >= 0.8
        assert curves[(cell, 20)]["init"].shape == (21,) and curves[(cell, 20)]["init"][0] == 1.0
    assert (table["chance"] == 0.25).all()
    gradients, accuracy = plot_lesson(table, curves)
    assert len(gradients.axes) == 2 and len(accuracy.axes[0].get_lines()) == 4  # 3 cells + chance


def test_recall_task_and_errors():
    x, y = recall_task(6, 3, 4, np.random.default_rng(0), distractors=False)
    assert x.shape == (6, 4, 4) and (x[:, 1:] == 0).all()
    np.testing.assert_array_equal(x[:, 0].argmax(axis=-1), y)
    with pytest.raises(ValueError, match=r"`cells` must be among \['SimpleRNN', 'LSTM', 'GRU'\], got \['RNN'\]"):
        lesson_vanishing(distances=(2,), cells=("RNN",))
    with pytest.raises(ValueError, match="`distances` must be a positive integer, got 0"):
        lesson_vanishing(distances=(0,))
