"""The baselines a classifier must beat, fitted on the train part and scored on the same test
part: the majority class; for text, TF-IDF + logistic regression; for numeric sequences,
logistic regression on the flattened window and 1-nearest-neighbour with Euclidean distance
(the standard UCR baseline). Each gives class probabilities ``(N_test, n_classes)``.
"""
from __future__ import annotations

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.neighbors import KNeighborsClassifier

LABELS = {"majority": "majority class", "tfidf_logistic": "TF-IDF + logistic regression",
          "logistic": "logistic regression (flattened)", "nearest_neighbour": "1-NN Euclidean"}
TEXT_ONLY, NUMBERS_ONLY = {"tfidf_logistic"}, {"logistic", "nearest_neighbour"}


def applicable(names, is_text: bool) -> list[str]:
    """The spec's baselines that apply to this kind of data (TF-IDF needs words, 1-NN numbers)."""
    skip = NUMBERS_ONLY if is_text else TEXT_ONLY
    return [name for name in names if name not in skip]


def _spread(probabilities: np.ndarray, seen: np.ndarray, n_classes: int) -> np.ndarray:
    # a model fitted on the classes present in train: columns put back at their class ids
    out = np.zeros((len(probabilities), n_classes))
    out[:, seen] = probabilities
    return out


def majority(y_train: np.ndarray, n_test: int, n_classes: int) -> np.ndarray:
    """Probability 1 on the most frequent train class (the lowest id on a tie)."""
    out = np.zeros((n_test, n_classes))
    out[:, np.bincount(y_train, minlength=n_classes).argmax()] = 1.0
    return out


def tfidf_logistic(train_texts: list, y_train: np.ndarray, test_texts: list, n_classes: int, seed: int = 0) -> np.ndarray:
    """TF-IDF of words and word pairs (vocabulary from train only), then logistic regression."""
    vectorizer = TfidfVectorizer(ngram_range=(1, 2), min_df=1, sublinear_tf=True)
    features = vectorizer.fit_transform(train_texts)
    model = LogisticRegression(max_iter=2000, random_state=seed).fit(features, y_train)
    return _spread(model.predict_proba(vectorizer.transform(test_texts)), model.classes_, n_classes)


def logistic(x_train: np.ndarray, y_train: np.ndarray, x_test: np.ndarray, n_classes: int, seed: int = 0) -> np.ndarray:
    """Logistic regression on each (scaled, padded) window flattened to one vector."""
    model = LogisticRegression(max_iter=2000, random_state=seed).fit(x_train.reshape(len(x_train), -1), y_train)
    return _spread(model.predict_proba(x_test.reshape(len(x_test), -1)), model.classes_, n_classes)


def nearest_neighbour(x_train: np.ndarray, y_train: np.ndarray, x_test: np.ndarray, n_classes: int) -> np.ndarray:
    """1-NN, Euclidean distance between whole flattened windows (probability 1 on the neighbour's class)."""
    model = KNeighborsClassifier(n_neighbors=1, metric="euclidean").fit(x_train.reshape(len(x_train), -1), y_train)
    return _spread(model.predict_proba(x_test.reshape(len(x_test), -1)), model.classes_, n_classes)


def baseline_probabilities(names, data, train_texts=None, test_texts=None, seed: int = 0) -> dict:
    """``{name: (N_test, n_classes)}`` for each named baseline on the prepared parts ``data``."""
    k = len(data.classes)
    out = {}
    for name in names:
        if name == "majority":
            out[name] = majority(data.y_train, len(data.y_test), k)
        elif name == "tfidf_logistic":
            out[name] = tfidf_logistic(train_texts, data.y_train, test_texts, k, seed)
        elif name == "logistic":
            out[name] = logistic(data.x_train, data.y_train, data.x_test, k, seed)
        elif name == "nearest_neighbour":
            out[name] = nearest_neighbour(data.x_train, data.y_train, data.x_test, k)
    return out
