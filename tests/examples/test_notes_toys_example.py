"""examples/notes_toys.py: the notes' 1:N, N:1 and N:N listings have Keras's parameter counts
and, after 300 of the notes' 1000 epochs, answer the notes' queries close to the true values.

Margins, from measured 300-epoch runs (seed 0; seed 1 in brackets): one to many predicted
[10.67, 11.76] ([9.99, 10.81]) for [11, 12]; many to one 152.97 (154.22) for 153; many to many
[316.26, 322.83, 327.03] ([315.17, 319.78, 326.67]) for [315, 320, 325]. The full 1000-epoch run
is in docs/examples.md. A model that learned nothing answers the mean of its training targets:
[23, 24], 69 and [170, 175, 180], far outside these margins."""
import importlib.util
from pathlib import Path

import numpy as np
import pytest


def load_example():
    path = Path(__file__).resolve().parents[2] / "examples" / "notes_toys.py"
    spec = importlib.util.spec_from_file_location("notes_toys_example", path)
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    return example


def keras_lstm_params(units, inputs):
    return 4 * (units * (units + inputs) + units)      # Keras: four gates, each W, U and a bias


def keras_dense_params(units, inputs):
    return units * inputs + units


@pytest.fixture(scope="module")
def results():
    return load_example().run(epochs=300, seed=0)


@pytest.mark.parametrize("part, outputs, margin", [("one_to_many", 2, 1.5), ("many_to_one", 1, 3.0),
                                                   ("many_to_many", 3, 5.0)])
def test_toy_has_keras_count_and_answers_the_notes_query(results, part, outputs, margin):
    model, prediction, expected = results[part]
    lstm, dense = model.layers
    assert lstm.count_params() == keras_lstm_params(50, 1) == 10400           # the notes' table
    assert dense.count_params() == keras_dense_params(outputs, 50)
    assert model.count_params() == 10400 + 51 * outputs                      # 10,502 / 10,451 / 10,553
    assert prediction.shape == (outputs,)
    np.testing.assert_allclose(prediction, expected, atol=margin)
