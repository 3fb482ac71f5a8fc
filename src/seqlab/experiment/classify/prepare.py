"""Preparing labelled samples without leaks: a stratified split (or the set's own), scaling and
a vocabulary fitted on the train part only, padding/truncation to one length, class weights.

>>> import numpy as np
>>> parts = stratified_parts(np.array(list("aaaaaaaabb")), validation=0.0, test=0.5, seed=0)
>>> sorted(np.array(list("aaaaaaaabb"))[parts["test"]])
['a', 'a', 'a', 'a', 'b']
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.model_selection import train_test_split

from seqlab.data import pad_sequences
from seqlab.data.text import Vocabulary
from seqlab.experiment.classify.sources import Samples

SCALE_METHODS = ("minmax", "standard", "robust", "none")


@dataclass
class ClassifyPrepared:
    """Model-ready parts. ``x_*``: ``(N, length, F)`` float32 or ``(N, length)`` int64 token ids;
    ``y_*``: class ids; ``parts``: positions of each part's samples in the data as read;
    ``transform``: what turns new samples into model input (see :func:`transform_record`)."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray | None
    y_val: np.ndarray | None
    x_test: np.ndarray
    y_test: np.ndarray
    classes: list
    parts: dict
    transform: dict
    class_weight: dict | None = None


def class_order(labels) -> list[str]:
    """The classes, sorted as numbers when every label is one ("2" before "10"), else as text."""
    unique = sorted(set(map(str, labels)))
    try:
        return sorted(unique, key=float)
    except ValueError:
        return unique


def stratified_parts(labels: np.ndarray, validation: float, test: float, seed: int,
                     given_test: np.ndarray | None = None) -> dict:
    """Positions of the train/validation/test samples; each part keeps the classes' proportions.

    ``given_test``: the set's own test part (booleans), kept as is; its train part is then split
    as the fractions say: ``validation / (1 - test)`` of it validates."""
    positions = np.arange(len(labels))
    if given_test is not None:
        rest, test_part = positions[~given_test], positions[given_test]
    else:
        rest, test_part = train_test_split(positions, test_size=test, stratify=labels, random_state=seed)
    validation_of_rest = validation / (1.0 - test)
    if validation > 0:
        train_part, validation_part = train_test_split(rest, test_size=validation_of_rest,
                                                       stratify=labels[rest], random_state=seed)
    else:
        train_part, validation_part = rest, rest[:0]
    return {"train": np.sort(train_part), "validation": np.sort(validation_part), "test": np.sort(test_part)}


def fit_scaling(x_train: np.ndarray, method: str, feature_range=(0.0, 1.0)) -> dict:
    """Per feature ``center`` and ``scale`` (``x' = (x - center) / scale``) from the train
    samples' real steps only (NaN padding ignored)."""
    values = x_train.reshape(-1, x_train.shape[-1])  # (N·T, F)
    if method == "none":
        center, scale = np.zeros(values.shape[1]), np.ones(values.shape[1])
    elif method == "minmax":
        low, high = np.nanmin(values, axis=0), np.nanmax(values, axis=0)
        a, b = feature_range
        scale = (high - low) / (b - a)
        center = low - a * scale
    elif method == "standard":
        center, scale = np.nanmean(values, axis=0), np.nanstd(values, axis=0)
    elif method == "robust":
        center = np.nanmedian(values, axis=0)
        scale = np.nanpercentile(values, 75, axis=0) - np.nanpercentile(values, 25, axis=0)
    else:
        raise ValueError(f"scaling.method must be one of {SCALE_METHODS}, got {method!r}")
    scale = np.where(scale > 0, scale, 1.0)  # a constant feature is left centred, not divided by 0
    return {"kind": "numbers", "method": method, "center": center.tolist(), "scale": scale.tolist()}


def numbers_to_input(x: np.ndarray, transform: dict) -> np.ndarray:
    """Scale, then pad/truncate each sample's real steps to ``transform["length"]`` (0 pads)."""
    scaled = (x - np.asarray(transform["center"])) / np.asarray(transform["scale"])
    lengths = real_lengths(x)
    # a missing value inside a sample ("?") becomes 0 after scaling; the NaN tail is not a step
    sequences = [np.nan_to_num(sample[:n], nan=0.0) for sample, n in zip(scaled, lengths)]
    return pad_sequences(sequences, maxlen=transform["length"], dtype="float32", padding=transform["padding"],
                         truncating=transform["truncating"], value=0.0)


def real_lengths(x: np.ndarray) -> np.ndarray:
    """Steps up to each sample's last step with a value: ``(N, T, F)`` with a NaN tail -> ``(N,)``."""
    has_value = ~np.all(np.isnan(x), axis=2)                                    # (N, T)
    return np.where(has_value.any(axis=1), x.shape[1] - np.argmax(has_value[:, ::-1], axis=1), 0)


def texts_to_input(texts: list, transform: dict) -> np.ndarray:
    """Word ids by the train vocabulary (unknown words → the OOV id 1), padded with 0."""
    vocabulary = vocabulary_of(transform)
    ids = vocabulary.encode_batch(texts)
    return pad_sequences(ids, maxlen=transform["length"], dtype="int64", padding=transform["padding"],
                         truncating=transform["truncating"], value=0)


def vocabulary_of(transform: dict) -> Vocabulary:
    vocabulary = Vocabulary("word")
    vocabulary.tokens = list(transform["tokens"])
    vocabulary.index = {token: i for i, token in enumerate(vocabulary.tokens)}
    return vocabulary


def to_input(samples_x, transform: dict) -> np.ndarray:
    """New samples as the model reads them, by the run's recorded transform."""
    return texts_to_input(samples_x, transform) if transform["kind"] == "text" else numbers_to_input(samples_x, transform)


def balanced_weights(y_train: np.ndarray, n_classes: int) -> dict:
    """``n_samples / (n_classes · count)`` per class (scikit-learn's "balanced")."""
    counts = np.bincount(y_train, minlength=n_classes)
    return {c: float(len(y_train) / (n_classes * counts[c])) for c in range(n_classes) if counts[c]}


def prepare_samples(samples: Samples, spec) -> ClassifyPrepared:
    """Split, fit the scaling or vocabulary on the train part, turn every part into model input."""
    options = spec.classify
    classes = class_order(samples.labels)
    number = {label: i for i, label in enumerate(classes)}
    y = np.array([number[label] for label in samples.labels.astype(str)], dtype=np.int64)
    given = samples.given_test if options.given_split else None
    parts = stratified_parts(samples.labels, spec.split.validation, spec.split.test, spec.training.seed, given)
    train = parts["train"]
    if samples.is_text:
        train_texts = [samples.x[i] for i in train]
        vocabulary = Vocabulary("word", max_tokens=options.max_words).fit(train_texts)
        longest = max(len(vocabulary.tokenize(text)) for text in train_texts)
        transform = {"kind": "text", "tokens": vocabulary.tokens}
        take = (lambda idx: [samples.x[i] for i in idx])
        convert = texts_to_input
    else:
        transform = fit_scaling(samples.x[train], spec.scaling.method, tuple(spec.scaling.feature_range))
        longest = int(real_lengths(samples.x[train]).max())
        transform["features"] = list(samples.features)
        take = (lambda idx: samples.x[idx])
        convert = numbers_to_input
    transform.update(length=options.length or longest, padding=options.padding, truncating=options.truncating,
                     classes=classes)
    x = {name: convert(take(idx), transform) for name, idx in parts.items()}
    has_validation = len(parts["validation"]) > 0
    weights = balanced_weights(y[train], len(classes)) if options.class_weight else None
    return ClassifyPrepared(x["train"], y[train], x["validation"] if has_validation else None,
                            y[parts["validation"]] if has_validation else None, x["test"], y[parts["test"]],
                            classes, parts, transform, weights)
