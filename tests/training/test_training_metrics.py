"""Metrics against scikit-learn, accumulated over several batches as an epoch does."""
import numpy as np
import pytest
import torch
from sklearn.metrics import accuracy_score, mean_absolute_error, mean_absolute_percentage_error
from sklearn.metrics import mean_squared_error

from seqlab import metrics

RNG = np.random.default_rng(0)


def root_mean_squared_error(y_true, y_pred):
    # Keras's RMSE pools every value; sklearn's root_mean_squared_error averages per-column roots.
    return np.sqrt(mean_squared_error(y_true, y_pred))


def t(array):
    return torch.as_tensor(array, dtype=torch.float64)


def accumulate(metric, y_true, y_pred, batch_size=3):
    metric.reset_state()
    for start in range(0, len(y_true), batch_size):
        metric.update_state(t(y_true[start:start + batch_size]) if y_true.dtype.kind == "f"
                            else torch.as_tensor(y_true[start:start + batch_size]),
                            t(y_pred[start:start + batch_size]))
    return metric.result().item()


Y_TRUE = np.abs(RNG.normal(size=(10, 2))) + 0.5
Y_PRED = np.abs(RNG.normal(size=(10, 2))) + 0.5


@pytest.mark.parametrize("name, reference", [
    ("mae", mean_absolute_error),
    ("mean_absolute_error", mean_absolute_error),
    ("mse", mean_squared_error),
    ("mape", lambda a, b: 100 * mean_absolute_percentage_error(a, b)),
    ("rmse", root_mean_squared_error),
    ("root_mean_squared_error", root_mean_squared_error),
])
def test_regression_metrics_over_uneven_batches_match_sklearn(name, reference):
    # 10 samples in batches of 3, 3, 3, 1: the epoch value is a per-sample average
    # (and RMSE the root of the epoch's MSE, not a mean of batch roots).
    metric = metrics.get(name)
    assert metric.name == name
    assert accumulate(metric, Y_TRUE, Y_PRED) == pytest.approx(reference(Y_TRUE, Y_PRED), rel=1e-12)


def test_accuracy_picks_categorical_sparse_or_binary_from_shapes():
    probabilities = RNG.random((10, 4))
    labels = RNG.integers(0, 4, size=10)
    expected = accuracy_score(labels, probabilities.argmax(1))
    one_hot = np.eye(4)[labels]
    assert accumulate(metrics.get("accuracy"), one_hot, probabilities) == pytest.approx(expected)
    assert accumulate(metrics.get("acc"), labels, probabilities) == pytest.approx(expected)
    assert accumulate(metrics.get("accuracy"), labels.reshape(-1, 1), probabilities) == pytest.approx(expected)
    scores = RNG.random((10, 1))
    targets = RNG.integers(0, 2, size=(10, 1)).astype(float)
    assert accumulate(metrics.get("accuracy"), targets, scores) == \
        pytest.approx(accuracy_score(targets.ravel(), scores.ravel() > 0.5))


def test_named_accuracies_and_classes():
    probabilities = RNG.random((6, 3))
    labels = RNG.integers(0, 3, size=6)
    expected = accuracy_score(labels, probabilities.argmax(1))
    assert accumulate(metrics.get("sparse_categorical_accuracy"), labels, probabilities) == pytest.approx(expected)
    assert accumulate(metrics.CategoricalAccuracy(), np.eye(3)[labels], probabilities) == pytest.approx(expected)
    assert metrics.BinaryAccuracy(threshold=0.3).name == "binary_accuracy"


def test_user_function_metric_is_averaged_per_batch_when_it_returns_a_scalar():
    def rmse(y_true, y_pred):
        return ((y_pred - y_true) ** 2).mean().sqrt()

    metric = metrics.get(rmse)
    assert metric.name == "rmse" and metric.direction is None
    batches = [root_mean_squared_error(Y_TRUE[i:i + 5], Y_PRED[i:i + 5]) for i in (0, 5)]
    assert accumulate(metric, Y_TRUE, Y_PRED, batch_size=5) == pytest.approx(np.mean(batches), rel=1e-12)


def test_directions_for_callbacks():
    assert metrics.get("accuracy").direction == "up"
    assert metrics.get("mae").direction == "down"
    assert metrics.RootMeanSquaredError().direction == "down"


def test_unknown_metric_lists_the_known_ones():
    with pytest.raises(ValueError, match=r"unknown metric 'acuracy'; known metrics: \[.*'accuracy'"):
        metrics.get("acuracy")
    with pytest.raises(TypeError, match="a metric must be a name, a Metric or a callable, got 1.5"):
        metrics.get(1.5)


def test_empty_metric_reads_zero():
    assert metrics.get("mae").result().item() == 0.0
