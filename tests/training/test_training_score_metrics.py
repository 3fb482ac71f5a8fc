"""F1Score/FBetaScore and the top-k accuracies against scikit-learn, over uneven batches."""
import numpy as np
import pytest
import torch
from sklearn.metrics import fbeta_score, f1_score, top_k_accuracy_score

from seqlab import metrics

RNG = np.random.default_rng(1)
N, C = 90, 4
MULTI_HOT = (RNG.random((N, C)) < 0.4).astype(float)
SCORES = np.clip(MULTI_HOT * 0.3 + RNG.random((N, C)) * 0.8, 0, 1)
WEIGHTS = RNG.uniform(0.1, 2.0, size=N)


def accumulate(metric, y_true, y_pred, sample_weight=None, batch_size=13):
    metric.reset_state()
    for start in range(0, len(y_true), batch_size):
        part = slice(start, start + batch_size)
        metric.update_state(torch.as_tensor(y_true[part]), torch.as_tensor(y_pred[part]),
                            None if sample_weight is None else torch.as_tensor(sample_weight[part]))
    return metric.result().numpy()


@pytest.mark.parametrize("average", [None, "micro", "macro", "weighted"])
@pytest.mark.parametrize("weighted", [False, True])
def test_f1_matches_sklearn(average, weighted):
    # Keras adds eps = 1e-7 to every denominator, hence the tolerance.
    weights = WEIGHTS if weighted else None
    expected = f1_score(MULTI_HOT, SCORES > 0.5, average=average, sample_weight=weights, zero_division=0)
    got = accumulate(metrics.F1Score(average=average, threshold=0.5), MULTI_HOT, SCORES, weights)
    np.testing.assert_allclose(got, expected, atol=1e-6)


def test_fbeta_and_the_argmax_rule_match_sklearn():
    expected = fbeta_score(MULTI_HOT, SCORES > 0.6, beta=2.0, average="macro", zero_division=0)
    np.testing.assert_allclose(accumulate(metrics.FBetaScore("macro", beta=2.0, threshold=0.6), MULTI_HOT, SCORES),
                               expected, atol=1e-6)
    # threshold=None: each sample's highest score is its one positive prediction (no ties here)
    classes = RNG.integers(0, C, size=N)
    one_hot = np.eye(C)[classes]
    probabilities = RNG.dirichlet(np.ones(C), size=N)
    for average in ("micro", "macro"):
        expected = f1_score(classes, probabilities.argmax(1), average=average, labels=range(C))
        np.testing.assert_allclose(accumulate(metrics.F1Score(average), one_hot, probabilities), expected, atol=1e-6)


def test_keras_f1_docstring_example():
    # keras/src/metrics/f_score_metrics.py: array([0.5, 0.8, 0.6666667])
    m = metrics.F1Score(threshold=0.5)
    m.update_state(torch.tensor([[1, 1, 1], [1, 0, 0], [1, 1, 0]]),
                   torch.tensor([[0.2, 0.6, 0.7], [0.2, 0.6, 0.6], [0.6, 0.8, 0.0]]))
    np.testing.assert_allclose(m.result().numpy(), [0.5, 0.8, 2 / 3], atol=1e-6)


def test_f_score_arguments_are_checked():
    with pytest.raises(ValueError, match=r"FBetaScore: `average` must be None or 'micro' or 'macro' or 'weighted', got 'mean'"):
        metrics.FBetaScore(average="mean")
    with pytest.raises(ValueError, match=r"FBetaScore: `beta` must be a number > 0, got 0"):
        metrics.FBetaScore(beta=0)
    with pytest.raises(ValueError, match=r"F1Score: `threshold` must be a number in \(0, 1\] or None, got 1.5"):
        metrics.F1Score(threshold=1.5)
    with pytest.raises(ValueError, match=r"F1Score expects targets and predictions of shape \(samples, classes\), got \(4,\) and \(4,\)"):
        metrics.F1Score().update_state(torch.ones(4), torch.ones(4))


@pytest.mark.parametrize("k", [1, 2, 3])
def test_top_k_accuracies_match_sklearn(k):
    probabilities = RNG.dirichlet(np.ones(C), size=N)
    classes = RNG.integers(0, C, size=N)
    for weights in (None, WEIGHTS):
        expected = top_k_accuracy_score(classes, probabilities, k=k, labels=range(C), sample_weight=weights)
        got = accumulate(metrics.TopKCategoricalAccuracy(k=k), np.eye(C)[classes], probabilities, weights)
        np.testing.assert_allclose(got, expected, rtol=1e-12)
        got = accumulate(metrics.SparseTopKCategoricalAccuracy(k=k), classes, probabilities, weights)
        np.testing.assert_allclose(got, expected, rtol=1e-12)
    sorted_ids = np.argsort(-probabilities, axis=1).astype(float)
    got = accumulate(metrics.SparseTopKCategoricalAccuracy(k=k, from_sorted_ids=True), classes, sorted_ids)
    np.testing.assert_allclose(got, top_k_accuracy_score(classes, probabilities, k=k, labels=range(C)), rtol=1e-12)


def test_top_k_keras_examples_and_ties():
    # keras/src/metrics/accuracy_metrics.py docstrings: 0.5, and 0.3 with sample_weight=[0.7, 0.3]
    m = metrics.TopKCategoricalAccuracy(k=1)
    y_true, y_pred = torch.tensor([[0., 0, 1], [0, 1, 0]]), torch.tensor([[0.1, 0.9, 0.8], [0.05, 0.95, 0]])
    m.update_state(y_true, y_pred)
    assert m.result().item() == pytest.approx(0.5)
    m.reset_state()
    m.update_state(y_true, y_pred, sample_weight=[0.7, 0.3])
    assert m.result().item() == pytest.approx(0.3)
    # ops.in_top_k: a score tied with the k-th largest is in the top k
    assert metrics.top_k_categorical_accuracy(torch.tensor([[0., 0, 1]]), torch.tensor([[0.5, 0.5, 0.5]]), k=1).item() == 1
    # Keras's default k=5 with 3 classes: every label is in the top 5
    assert metrics.TopKCategoricalAccuracy().fn(y_true, y_pred, k=5).tolist() == [1.0, 1.0]
    with pytest.raises(ValueError, match=r"TopKCategoricalAccuracy: `k` must be a positive integer, got 0"):
        metrics.TopKCategoricalAccuracy(k=0)
