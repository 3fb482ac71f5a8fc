"""Checks across keys of a ``task = "classify"`` spec, before any data is read."""
from __future__ import annotations

import difflib
import os

from seqlab.experiment.checks import (Fail, _check_layers, _check_name, _check_scaling, _check_split,
                                      _check_training)
from seqlab.experiment.classify.spec import CLASSIFY_SOURCES
from seqlab.experiment.spec import Spec


def check_classify_spec(spec: Spec, fail: Fail, skip=frozenset()) -> None:
    """Run every check whose sections are not in ``skip`` (sections with mistyped keys): the
    forecast checks a classifier shares (name, split, scaling, layers, training) and its own."""
    checks = [({"name"}, _check_name), ({"split"}, _check_split), ({"scaling"}, _check_scaling),
              ({"model"}, _check_layers), ({"training", "split"}, _check_training),
              ({"data", "classify", "model"}, _check_classify)]
    for sections, check in checks:
        if not sections & set(skip) and "" not in skip:
            check(spec, fail)


def _check_classify(spec: Spec, fail: Fail) -> None:
    data, options = spec.data, spec.classify
    if (data.source is None) == (data.path is None):
        fail("data", "give exactly one of `source` (a data set by name) or `path` (a file of labelled samples)")
    if data.source is not None and data.source.lower() not in CLASSIFY_SOURCES:
        close = difflib.get_close_matches(data.source.lower(), CLASSIFY_SOURCES, n=1)
        hint = f"did you mean '{close[0]}'? " if close else ""
        fail("data.source", f"no classification set {data.source!r}; {hint}available: {', '.join(CLASSIFY_SOURCES)}")
    for key, path in (("data.path", data.path), ("classify.negative_path", options.negative_path)):
        if path is not None and not os.path.isfile(spec.resolve_path(path)):
            fail(key, f"file {path!r} does not exist (looked for {spec.resolve_path(path)})")
    if (options.format == "polarity") != (options.negative_path is not None):
        fail("classify.negative_path", "is needed by format = 'polarity' (data.path: the positive lines) and only by it")
    if len(set(options.baselines)) != len(options.baselines):
        fail("classify.baselines", f"lists an entry more than once: {options.baselines}")
    last = spec.model.layers[-1] if spec.model.layers else {}
    if last and (last.get("type") != "Dense" or last.get("activation") != "softmax"):
        fail(f"model.layers[{len(spec.model.layers) - 1}]", "a classifier ends with "
             "Dense(units = <number of classes>, activation = \"softmax\") (its output is one probability per class)")
    if spec.split.validation == 0 and spec.training.early_stopping is not None \
            and spec.training.early_stopping.monitor == "val_loss":
        fail("training.early_stopping.monitor", "'val_loss' needs a validation part; set split.validation > 0")
