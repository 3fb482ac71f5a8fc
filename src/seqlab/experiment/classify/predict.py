"""``seqlab predict RUN_DIR --data NEW`` for a classify run: labels and class probabilities of
new samples, turned into model input by the run's own ``transform.json`` (the train part's
scaling or vocabulary, its length and padding).

New text: one sentence per line (a ``<TAB>label`` after it is kept as ``true``). New numbers:
a file in a format the run reads (``.ts``/``.arff``/``.tsv``, or the run's CSV layout).
"""
from __future__ import annotations

import copy
import os
from pathlib import Path

import numpy as np
import pandas as pd

from seqlab.experiment import artifacts
from seqlab.experiment.classify.prepare import to_input
from seqlab.experiment.classify.sources import read_samples
from seqlab.experiment.rundir import RunDir, RunDirError
from seqlab.models import load_model


def read_new_samples(spec, data_path, transform: dict):
    """``(samples as read, true labels or None)`` of the file ``data_path``."""
    if not os.path.isfile(data_path):
        raise RunDirError(f"--data {os.fspath(data_path)!r} does not exist")
    if transform["kind"] == "text":
        texts, labels = [], []
        for line in Path(data_path).read_text(encoding="utf-8").splitlines():
            if line.strip():
                sentence, tab, label = line.rpartition("\t")
                texts.append(sentence.strip() if tab else line.strip())
                labels.append(label.strip() if tab else None)
        return texts, (labels if all(label is not None for label in labels) else None)
    new = copy.deepcopy(spec)
    new.data.source, new.data.path, new.base_dir = None, os.path.abspath(data_path), None
    samples = read_samples(new)
    return samples.x, samples.labels


def predict_classify(run: RunDir, spec, data_path) -> pd.DataFrame:
    """One row per new sample: ``sample`` (its position), ``predicted``, ``p_<class>`` for every
    class, and ``true`` when the file carries labels."""
    transform = run.read_json("transform.json")
    x, labels = read_new_samples(spec, data_path, transform)
    if transform["kind"] == "numbers" and x.shape[2] != len(transform["center"]):
        raise RunDirError(f"{data_path} has {x.shape[2]} feature(s) per step; the run was trained on "
                          f"{len(transform['center'])}")
    model = load_model(run.require(artifacts.MODEL_FILE), compile=False)
    probabilities = np.asarray(model.predict(to_input(x, transform), verbose=0), dtype=np.float64)
    classes = np.asarray(transform["classes"])
    out = pd.DataFrame({"sample": np.arange(len(probabilities)), "predicted": classes[probabilities.argmax(axis=1)]})
    for j, name in enumerate(transform["classes"]):
        out[f"p_{name}"] = probabilities[:, j]
    if labels is not None:
        out["true"] = np.asarray(labels).astype(str)
    return out
