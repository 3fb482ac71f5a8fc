"""Scores of class probabilities against the true classes (scikit-learn's definitions), and the
verdict sentence. ``probabilities``: ``(N, n_classes)``; ``y``: class ids ``(N,)``.
"""
from __future__ import annotations

import numpy as np
from sklearn import metrics as sk

SCORES = ("accuracy", "balanced_accuracy", "macro_f1", "log_loss")
HIGHER_IS_BETTER = {"accuracy": True, "balanced_accuracy": True, "macro_f1": True, "log_loss": False}


def score(y: np.ndarray, probabilities: np.ndarray) -> dict:
    """Accuracy, balanced accuracy, macro F1 and log loss (probabilities clipped to [1e-15, 1],
    so a baseline that is certain and wrong scores a large but finite loss)."""
    k = probabilities.shape[1]
    predicted = probabilities.argmax(axis=1)
    clipped = np.clip(probabilities, 1e-15, 1.0)
    clipped /= clipped.sum(axis=1, keepdims=True)
    return {
        "accuracy": float(sk.accuracy_score(y, predicted)),
        "balanced_accuracy": float(sk.balanced_accuracy_score(y, predicted)),
        "macro_f1": float(sk.f1_score(y, predicted, average="macro", labels=np.arange(k), zero_division=0)),
        "log_loss": float(sk.log_loss(y, clipped, labels=np.arange(k))),
    }


def per_class(y: np.ndarray, probabilities: np.ndarray, classes: list) -> dict:
    """``{class: {"precision", "recall", "support"}}`` and the confusion matrix (rows: true)."""
    k = len(classes)
    predicted = probabilities.argmax(axis=1)
    precision, recall, _, support = sk.precision_recall_fscore_support(y, predicted, labels=np.arange(k), zero_division=0)
    table = {str(c): {"precision": float(p), "recall": float(r), "support": int(s)}
             for c, p, r, s in zip(classes, precision, recall, support)}
    return {"classes": table, "confusion": sk.confusion_matrix(y, predicted, labels=np.arange(k)).tolist()}


def verdict(table: dict, labels: dict) -> list[str]:
    """Plain sentences: does the model beat the best baseline on balanced accuracy (then accuracy)?"""
    baselines = {name: row for name, row in table.items() if name != "model"}
    model = table["model"]
    if not baselines:
        return [f"The model's test accuracy is {model['accuracy']:.3f} (no baseline was scored)."]
    best = max(baselines, key=lambda name: (baselines[name]["balanced_accuracy"], baselines[name]["accuracy"]))
    row = baselines[best]
    beats = (model["balanced_accuracy"], model["accuracy"]) > (row["balanced_accuracy"], row["accuracy"])
    word = "beats" if beats else "does NOT beat"
    return [f"The model {word} the best baseline ({labels.get(best, best)}): balanced accuracy "
            f"{model['balanced_accuracy']:.3f} against {row['balanced_accuracy']:.3f}, accuracy "
            f"{model['accuracy']:.3f} against {row['accuracy']:.3f} on the same {model['n']} test samples."]


def beats_best(table: dict) -> bool:
    baselines = [row for name, row in table.items() if name != "model"]
    model = table["model"]
    return all((model["balanced_accuracy"], model["accuracy"]) > (r["balanced_accuracy"], r["accuracy"])
               for r in baselines)
