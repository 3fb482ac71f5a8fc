"""Every registered metric class round-trips through its config and a model file; the new
metrics work in compile() by name and by object, and evaluate()'s batched value is the value
on all the data."""
import json

import numpy as np
import pytest
import torch
from sklearn.metrics import f1_score, precision_score, recall_score, top_k_accuracy_score

from seqlab import metrics
from seqlab.layers import Dense
from seqlab.models import Sequential, load_model
from seqlab.training import metrics as metrics_module

NON_DEFAULT = [
    metrics.AUC(num_thresholds=50, curve="PR", summation_method="majoring", from_logits=True),
    metrics.AUC(thresholds=[0.25, 0.5], multi_label=True, num_labels=2, label_weights=[1.0, 2.0]),
    metrics.Precision(thresholds=[0.3, 0.7], name="p"), metrics.Recall(top_k=2, class_id=1),
    metrics.TruePositives(thresholds=0.2), metrics.F1Score(average="weighted", threshold=0.4),
    metrics.FBetaScore(average="micro", beta=0.5), metrics.TopKCategoricalAccuracy(k=3),
    metrics.SparseTopKCategoricalAccuracy(k=2, from_sorted_ids=True), metrics.BinaryAccuracy(threshold=0.3),
]


@pytest.mark.parametrize("metric", [cls() for cls in metrics_module._CLASSES.values()] + NON_DEFAULT,
                         ids=lambda m: repr(m))
def test_every_registered_metric_round_trips_through_json(metric):
    spec = json.loads(json.dumps(metrics.serialize(metric)))
    clone = metrics.deserialize(spec)
    assert type(clone) is type(metric)
    assert clone.get_config() == metric.get_config()
    assert type(metric).from_config(metric.get_config()).get_config() == metric.get_config()


def test_keras_default_names_and_string_identifiers():
    # Keras 3: the metric's name is the snake-case class name (F-scores: their `name` default)
    expected = {"auc": metrics.AUC, "precision": metrics.Precision, "recall": metrics.Recall,
                "f1_score": metrics.F1Score, "top_k_categorical_accuracy": metrics.TopKCategoricalAccuracy,
                "sparse_top_k_categorical_accuracy": metrics.SparseTopKCategoricalAccuracy,
                "true_positives": metrics.TruePositives, "AUC": metrics.AUC, "F1Score": metrics.F1Score}
    for name, cls in expected.items():
        metric = metrics.get(name)
        assert type(metric) is cls and metric.direction in ("up", None)
    assert metrics.AUC().name == "auc" and metrics.F1Score().name == "f1_score"
    assert metrics.FBetaScore().name == "fbeta_score"
    assert {"auc", "precision", "recall", "f1_score", "top_k_categorical_accuracy"} <= set(metrics.names())


def binary_data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(61, 3)).astype("float32")
    y = (x @ np.array([1.0, -1.0, 0.5]) + rng.normal(size=61) > 0).astype("float32").reshape(-1, 1)
    return x, y


def test_binary_metrics_by_name_evaluate_in_batches_equals_all_the_data():
    x, y = binary_data()
    torch.manual_seed(0)
    model = Sequential([Dense(1, activation="sigmoid", input_shape=(3,))])
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["auc", "precision", "recall"])
    history = model.fit(x, y, epochs=2, batch_size=8, verbose=0)
    assert set(history.history) == {"loss", "auc", "precision", "recall"}
    logs = model.evaluate(x, y, batch_size=7, verbose=0, return_dict=True)
    scores = model.predict(x, verbose=0)
    np.testing.assert_allclose(logs["precision"], precision_score(y.ravel(), scores.ravel() > 0.5), rtol=1e-6)
    np.testing.assert_allclose(logs["recall"], recall_score(y.ravel(), scores.ravel() > 0.5), rtol=1e-6)
    whole = metrics.AUC()
    whole.update_state(torch.as_tensor(y), torch.as_tensor(scores))
    np.testing.assert_allclose(logs["auc"], whole.result().item(), rtol=1e-6)  # one batch = 9 batches


def test_multiclass_metrics_by_object_and_a_per_class_f1_in_the_history(capsys):
    rng = np.random.default_rng(1)
    x = rng.normal(size=(40, 5)).astype("float32")
    classes = rng.integers(0, 4, size=40)
    y = np.eye(4, dtype="float32")[classes]
    torch.manual_seed(0)
    model = Sequential([Dense(4, activation="softmax", input_shape=(5,))])
    model.compile(optimizer="adam", loss="categorical_crossentropy",
                  metrics=[metrics.TopKCategoricalAccuracy(k=2, name="top2"), metrics.F1Score(),
                           "top_k_categorical_accuracy"])
    history = model.fit(x, y, epochs=2, batch_size=16, verbose=2)
    assert "f1_score: [" in capsys.readouterr().out  # one value per class, as Keras logs an array
    assert len(history.history["f1_score"]) == 2 and len(history.history["f1_score"][0]) == 4
    logs = model.evaluate(x, y, batch_size=9, verbose=0, return_dict=True)
    probabilities = model.predict(x, verbose=0)
    np.testing.assert_allclose(logs["top_k_categorical_accuracy"], 1.0)  # Keras's k=5 > 4 classes
    np.testing.assert_allclose(logs["top2"], top_k_accuracy_score(classes, probabilities, k=2, labels=range(4)),
                               rtol=1e-6)
    predicted = np.eye(4)[probabilities.argmax(1)]
    np.testing.assert_allclose(logs["f1_score"], f1_score(y, predicted, average=None, zero_division=0), atol=1e-6)


def test_metrics_come_back_from_a_model_file(tmp_path):
    x, y = binary_data()
    model = Sequential([Dense(1, activation="sigmoid", input_shape=(3,))])
    model.compile(optimizer="nadam", loss="binary_crossentropy",
                  metrics=[metrics.AUC(curve="PR", num_thresholds=50), metrics.Precision(thresholds=[0.3, 0.7]),
                           "recall", metrics.F1Score(average="macro", threshold=0.5)])
    model.fit(x, y, epochs=1, verbose=0)
    model.save(tmp_path / "m.seqlab")
    loaded = load_model(tmp_path / "m.seqlab")
    assert loaded.get_compile_config() == model.get_compile_config()
    before = model.evaluate(x, y, verbose=0, return_dict=True)
    after = loaded.evaluate(x, y, verbose=0, return_dict=True)
    assert list(after) == ["loss", "auc", "precision", "recall", "f1_score"]
    for key in before:
        np.testing.assert_allclose(after[key], before[key], rtol=1e-6)
    assert len(after["precision"]) == 2  # one value per threshold
