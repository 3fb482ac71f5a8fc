"""Precision, Recall, AUC and the confusion counts against scikit-learn and against a float64
NumPy transcription of Keras 3's formulas (keras/src/metrics/confusion_metrics.py), accumulated
over uneven batches: the epoch value must be the value on all the data."""
import numpy as np
import pytest
import torch
from sklearn.metrics import precision_score, recall_score, roc_auc_score

from seqlab import metrics

RNG = np.random.default_rng(0)
N = 500
LABELS = RNG.integers(0, 2, size=N).astype(float)
# scores that separate the classes imperfectly, spread over (0, 1)
SCORES = 1 / (1 + np.exp(-(1.5 * (2 * LABELS - 1) + RNG.normal(size=N))))
WEIGHTS = RNG.uniform(0.0, 2.0, size=N)


def accumulate(metric, y_true, y_pred, sample_weight=None, batch_size=37):
    """Feed the data in batches of 37 (the last one shorter), as an epoch does."""
    metric.reset_state()
    for start in range(0, len(y_true), batch_size):
        part = slice(start, start + batch_size)
        metric.update_state(torch.as_tensor(y_true[part]), torch.as_tensor(y_pred[part]),
                            None if sample_weight is None else torch.as_tensor(sample_weight[part]))
    return metric.result().numpy()


def keras_counts(y_true, y_pred, thresholds, weights=None):
    """metrics_utils.update_confusion_matrix_variables (general path): positive where y_pred > t."""
    weights = np.ones_like(y_pred) if weights is None else weights
    predicted = y_pred[None, :] > np.asarray(thresholds)[:, None]
    positive = (y_true != 0)[None, :]
    return {"tp": (predicted & positive) @ weights, "fp": (predicted & ~positive) @ weights,
            "tn": (~predicted & ~positive) @ weights, "fn": (~predicted & positive) @ weights}


def divide_no_nan(a, b):
    return np.where(b == 0, 0.0, a / np.where(b == 0, 1.0, b))


def keras_auc(y_true, y_pred, num_thresholds=200, curve="ROC", summation="interpolation", weights=None):
    """AUC.__init__ thresholds and AUC.result / interpolate_pr_auc, in float64."""
    inner = [(i + 1) * 1.0 / (num_thresholds - 1) for i in range(num_thresholds - 2)]
    thresholds = [-1e-7] + inner + [1 + 1e-7]
    c = keras_counts(y_true, np.clip(y_pred, 0, 1), thresholds, weights)
    tp, fp, tn, fn = c["tp"], c["fp"], c["tn"], c["fn"]
    if curve == "PR" and summation == "interpolation":
        dtp = tp[:-1] - tp[1:]
        p = tp + fp
        dp = p[:-1] - p[1:]
        slope = divide_no_nan(dtp, np.maximum(dp, 0))
        intercept = tp[1:] - slope * p[1:]
        ratio = np.where((p[:-1] > 0) & (p[1:] > 0), divide_no_nan(p[:-1], np.maximum(p[1:], 0)), 1.0)
        return np.sum(divide_no_nan(slope * (dtp + intercept * np.log(ratio)), np.maximum(tp[1:] + fn[1:], 0)))
    recall = divide_no_nan(tp, tp + fn)
    x, y = (divide_no_nan(fp, fp + tn), recall) if curve == "ROC" else (recall, divide_no_nan(tp, tp + fp))
    heights = {"interpolation": (y[:-1] + y[1:]) / 2, "minoring": np.minimum(y[:-1], y[1:]),
               "majoring": np.maximum(y[:-1], y[1:])}[summation]
    return np.sum((x[:-1] - x[1:]) * heights)


@pytest.mark.parametrize("curve", ["ROC", "PR"])
@pytest.mark.parametrize("summation", ["interpolation", "minoring", "majoring"])
@pytest.mark.parametrize("weighted", [False, True])
def test_auc_is_keras_riemann_sum_over_the_whole_epoch(curve, summation, weighted):
    weights = WEIGHTS if weighted else None
    metric = metrics.AUC(curve=curve, summation_method=summation)
    expected = keras_auc(LABELS, SCORES, curve=curve, summation=summation, weights=weights)
    np.testing.assert_allclose(accumulate(metric, LABELS, SCORES, weights), expected, rtol=1e-12, atol=1e-12)


def test_roc_auc_is_sklearns_within_the_discretisation_error():
    # The interpolated Riemann sum on 200 even thresholds differs from the exact area by at most
    # the area of the trapezoids' cells; for scores spread over (0, 1) that is well below 1e-2.
    for weights in (None, WEIGHTS):
        ours = accumulate(metrics.AUC(), LABELS, SCORES, weights)
        exact = roc_auc_score(LABELS, SCORES, sample_weight=weights)
        assert abs(ours - exact) < 5e-3
    # with a threshold between every pair of distinct scores the sum is exact (trapezoids)
    between = np.sort(SCORES)[:-1] + np.diff(np.sort(SCORES)) / 2
    exact_grid = metrics.AUC(thresholds=list(between))
    np.testing.assert_allclose(accumulate(exact_grid, LABELS, SCORES), roc_auc_score(LABELS, SCORES), rtol=1e-12)


def test_auc_from_logits_multi_label_and_label_weights():
    logits = np.log(SCORES / (1 - SCORES))
    np.testing.assert_allclose(accumulate(metrics.AUC(from_logits=True), LABELS, logits),
                               keras_auc(LABELS, SCORES), rtol=1e-9)
    y_true = np.stack([LABELS, 1 - LABELS, LABELS], axis=1)
    y_pred = np.stack([SCORES, 1 - SCORES ** 2, RNG.random(N)], axis=1)
    per_label = [keras_auc(y_true[:, j], y_pred[:, j]) for j in range(3)]
    np.testing.assert_allclose(accumulate(metrics.AUC(multi_label=True), y_true, y_pred), np.mean(per_label), rtol=1e-12)
    weighted = metrics.AUC(multi_label=True, num_labels=3, label_weights=[1.0, 0.0, 3.0])
    np.testing.assert_allclose(accumulate(weighted, y_true, y_pred), (per_label[0] + 3 * per_label[2]) / 4, rtol=1e-12)
    # multi_label=False pools every value, each weighted by its label's weight
    pooled = metrics.AUC(label_weights=[1.0, 0.5, 2.0])
    expected = keras_auc(y_true.ravel(), y_pred.ravel(), weights=np.tile([1.0, 0.5, 2.0], N))
    np.testing.assert_allclose(accumulate(pooled, y_true, y_pred), expected, rtol=1e-12)


def test_keras_docstring_examples():
    # The values of the examples in Keras 3's docstrings (confusion_metrics.py).
    m = metrics.AUC(num_thresholds=3)
    m.update_state(torch.tensor([0., 0, 1, 1]), torch.tensor([0, 0.5, 0.3, 0.9]))
    assert m.result().item() == pytest.approx(0.75)
    m.reset_state()
    m.update_state(torch.tensor([0., 0, 1, 1]), torch.tensor([0, 0.5, 0.3, 0.9]), sample_weight=[1, 0, 0, 1])
    assert m.result().item() == pytest.approx(1.0)
    for cls, y_true, y_pred, plain, weighted in [
        (metrics.Precision, [0, 1, 1, 1], [1, 0, 1, 1], 2 / 3, 1.0),
        (metrics.Recall, [0, 1, 1, 1], [1, 0, 1, 1], 2 / 3, 1.0),
        (metrics.FalsePositives, [0, 1, 0, 0], [0, 0, 1, 1], 2.0, 1.0),
        (metrics.FalseNegatives, [0, 1, 1, 1], [0, 1, 0, 0], 2.0, 1.0),
        (metrics.TrueNegatives, [0, 1, 0, 0], [1, 1, 0, 0], 2.0, 1.0),
        (metrics.TruePositives, [0, 1, 1, 1], [1, 0, 1, 1], 2.0, 1.0),
    ]:
        m = cls()
        m.update_state(torch.tensor(y_true, dtype=torch.float32), torch.tensor(y_pred, dtype=torch.float32))
        assert m.result().item() == pytest.approx(plain), cls.__name__
        m.reset_state()
        m.update_state(torch.tensor(y_true, dtype=torch.float32), torch.tensor(y_pred, dtype=torch.float32),
                       sample_weight=[0, 0, 1, 0])
        assert m.result().item() == pytest.approx(weighted), cls.__name__
    for k, expected in ((2, 0.0), (4, 0.5)):  # ties: the lower index is in the top k (tf.math.top_k)
        m = metrics.Precision(top_k=k)
        m.update_state(torch.tensor([0., 0, 1, 1]), torch.tensor([1., 1, 1, 1]))
        assert m.result().item() == expected


@pytest.mark.parametrize("cls, reference", [(metrics.Precision, precision_score), (metrics.Recall, recall_score)])
def test_precision_and_recall_match_sklearn_over_batches(cls, reference):
    for weights in (None, WEIGHTS):
        for threshold in (0.3, 0.5, 0.8):
            expected = reference(LABELS, SCORES > threshold, sample_weight=weights)
            got = accumulate(cls(thresholds=threshold), LABELS, SCORES, weights)
            np.testing.assert_allclose(got, expected, rtol=1e-12)
    several = accumulate(cls(thresholds=[0.8, 0.3, 0.5]), LABELS, SCORES)  # results in the order given
    np.testing.assert_allclose(several, [reference(LABELS, SCORES > t) for t in (0.8, 0.3, 0.5)], rtol=1e-12)


def test_precision_and_recall_of_one_class_and_of_the_top_k():
    probabilities = RNG.dirichlet(np.ones(4), size=60)
    classes = RNG.integers(0, 4, size=60)
    one_hot = np.eye(4)[classes]
    got = accumulate(metrics.Precision(class_id=2), one_hot, probabilities)
    np.testing.assert_allclose(got, precision_score(classes == 2, probabilities[:, 2] > 0.5), rtol=1e-12)
    got = accumulate(metrics.Recall(class_id=1, thresholds=0.2), one_hot, probabilities)
    np.testing.assert_allclose(got, recall_score(classes == 1, probabilities[:, 1] > 0.2), rtol=1e-12)
    # top_k=1: the argmax is the one positive prediction of each sample, so precision = recall = accuracy
    accuracy = np.mean(probabilities.argmax(1) == classes)
    np.testing.assert_allclose(accumulate(metrics.Precision(top_k=1), one_hot, probabilities), accuracy, rtol=1e-12)
    np.testing.assert_allclose(accumulate(metrics.Recall(top_k=1), one_hot, probabilities), accuracy, rtol=1e-12)
    # top_k=2 with a threshold: positive when among the two highest AND above 0.3
    top2 = np.argsort(-probabilities, axis=1, kind="stable")[:, :2]
    predicted = np.zeros_like(one_hot, dtype=bool)
    np.put_along_axis(predicted, top2, True, axis=1)
    predicted &= probabilities > 0.3
    expected = (predicted & (one_hot == 1)).sum() / predicted.sum()
    np.testing.assert_allclose(accumulate(metrics.Precision(top_k=2, thresholds=0.3), one_hot, probabilities),
                               expected, rtol=1e-12)


def test_bad_arguments_name_themselves():
    with pytest.raises(ValueError, match=r"Precision: `thresholds` must be numbers in \[0, 1\], got \[0.5, 1.5\]"):
        metrics.Precision(thresholds=[0.5, 1.5])
    with pytest.raises(TypeError, match=r"Recall: `thresholds` must be a number or a list of numbers in \[0, 1\], got 'x'"):
        metrics.Recall(thresholds="x")
    with pytest.raises(ValueError, match=r"AUC: `curve` must be 'ROC' or 'PR', got 'ROCK'"):
        metrics.AUC(curve="ROCK")
    with pytest.raises(ValueError, match=r"AUC: `num_thresholds` must be an integer >= 2, got 1"):
        metrics.AUC(num_thresholds=1)
    with pytest.raises(ValueError, match=r"AUC: `label_weights` must be a list of numbers >= 0, got \[1, -1\]"):
        metrics.AUC(label_weights=[1, -1])
    with pytest.raises(ValueError, match=r"AUC: `num_labels` is needed only when `multi_label` is True"):
        metrics.AUC(num_labels=3)
    with pytest.raises(ValueError, match=r"`class_id` is 5, but the predictions have shape \(2, 3\)"):
        metrics.Precision(class_id=5).update_state(torch.eye(3)[:2], torch.eye(3)[:2])
    with pytest.raises(ValueError, match=r"`sample_weight` of shape \(3,\) cannot be lined up with values of shape \(4,\)"):
        metrics.Recall().update_state(torch.ones(4), torch.ones(4), sample_weight=[1, 1, 1])
    with pytest.raises(ValueError, match=r"targets of shape \(4, 2\) do not match predictions of shape \(4, 3\)"):
        metrics.AUC().update_state(torch.ones(4, 2), torch.ones(4, 3))


def test_a_metric_that_saw_nothing_reads_zero():
    assert metrics.AUC().result().item() == 0.0
    assert metrics.Precision().result().item() == 0.0
    assert metrics.Recall(thresholds=[0.2, 0.4]).result().tolist() == [0.0, 0.0]
