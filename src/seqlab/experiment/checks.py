"""Checks across keys of a spec, before any data is read (types are already checked).

Each check reports through ``fail(key_path, message)`` so that every problem of a spec is
listed at once, with its line.
"""
from __future__ import annotations

import difflib
import inspect
import os
import re
from typing import Callable

import pandas as pd

import seqlab.layers as public
from seqlab.datasets import bundled_names
from seqlab.experiment.classify.spec import CLASSIFY_SOURCES
from seqlab.experiment.spec import Spec
from seqlab.layers import registry
from seqlab.training import losses, optimizers

Fail = Callable[[str, str], None]


def check_spec(spec: Spec, fail: Fail, skip=frozenset()) -> None:
    """Run every check whose sections are not in ``skip`` (sections with mistyped keys)."""
    checks = [
        ({"name"}, _check_name), ({"data"}, _check_data), ({"split"}, _check_split),
        ({"scaling"}, _check_scaling), ({"model"}, _check_layers), ({"training", "split"}, _check_training),
        ({"evaluation", "data", "windows"}, _check_evaluation), ({"split", "data"}, _check_split_dates_have_times),
    ]
    if spec.task != "forecast":
        # the forecast-only checks give way to the task's own (a classify source is not a series)
        checks = [(sections, check) for sections, check in checks if check not in FORECAST_ONLY]
        checks += TASK_CHECKS.get(spec.task, [])
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


def _check_name(spec: Spec, fail: Fail) -> None:
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*", spec.name):
        fail("name", f"must be letters, digits, '.', '_' or '-' (it names the run folder), got {spec.name!r}")


def _check_scaling(spec: Spec, fail: Fail) -> None:
    low_high = spec.scaling.feature_range
    if len(low_high) != 2 or not low_high[0] < low_high[1]:
        fail("scaling.feature_range", f"must be [low, high] with low < high, got {low_high}")


def _check_data(spec: Spec, fail: Fail) -> None:
    data = spec.data
    if (data.source is None) == (data.path is None):
        fail("data", "give exactly one of `source` (a bundled data set) or `path` (a CSV file)")
    if data.source is not None:
        names = bundled_names()
        if data.source.lower() not in names:
            close = difflib.get_close_matches(data.source.lower(), names, n=1)
            hint = f"did you mean '{close[0]}'? " if close else ""
            fail("data.source", f"no bundled data set {data.source!r}; {hint}available: {', '.join(names) or 'none'}")
    if data.path is not None:
        resolved = spec.data_file
        if not os.path.exists(resolved):
            fail("data.path", f"file {data.path!r} does not exist (looked for {resolved})")
        elif not os.path.isfile(resolved):
            fail("data.path", f"{data.path!r} is not a regular file; expected a CSV file")
    for key in ("inputs", "targets"):
        columns = getattr(data, key) or []
        repeated = sorted({c for c in columns if columns.count(c) > 1})
        if repeated:
            fail(f"data.{key}", f"lists {repeated} more than once")
    for key in ("start", "end"):
        _check_date(getattr(data, key), f"data.{key}", fail)
    if data.frequency is not None:
        try:
            pd.tseries.frequencies.to_offset(data.frequency)
        except ValueError:
            fail("data.frequency", f"is not a pandas frequency alias (e.g. 'D', 'B', 'h'), got {data.frequency!r}")


def _check_date(value, path: str, fail: Fail) -> None:
    if value is None:
        return
    try:
        pd.Timestamp(value)
    except (TypeError, ValueError):
        fail(path, f"is not a date (e.g. '2012-01-31'), got {value!r}")


def _check_split(spec: Spec, fail: Fail) -> None:
    split = spec.split
    if split.validation_start is None and split.test_start is None:
        total = split.train + split.validation + split.test
        if abs(total - 1.0) > 1e-9:
            fail("split", f"train + validation + test must be 1, got {split.train} + {split.validation} "
                          f"+ {split.test} = {total:g}")
        return
    if split.test_start is None:
        fail("split.test_start", "is required when split.validation_start is given")
    _check_date(split.validation_start, "split.validation_start", fail)
    _check_date(split.test_start, "split.test_start", fail)
    if split.validation_start and split.test_start:
        try:
            if pd.Timestamp(split.validation_start) >= pd.Timestamp(split.test_start):
                fail("split.validation_start", f"must come before split.test_start ({split.test_start}), "
                                               f"got {split.validation_start}")
        except (TypeError, ValueError):
            pass  # already reported by _check_date


def _check_split_dates_have_times(spec: Spec, fail: Fail) -> None:
    # A CSV without a time column is indexed by row numbers, against which a date means nothing.
    if spec.split.test_start is not None and spec.data.source is None and spec.data.time_column is None:
        fail("split.test_start", "splitting by dates needs data.time_column (the CSV's column of timestamps); "
                                 "without one, split by fractions with split.train / split.validation / split.test")


def _check_layers(spec: Spec, fail: Fail) -> None:
    # the layers a user can name: public in seqlab.layers, not bases or Input
    known = sorted(name for name in registry.registered() if getattr(public, name, None) is not None
                   and not name.startswith(("_", "Base")) and name not in ("InputLayer", "RecurrentLayer"))
    for i, entry in enumerate(spec.model.layers):
        path = f"model.layers[{i}]"
        arguments = dict(entry)
        kind = arguments.pop("type", None)
        if not isinstance(kind, str):
            fail(path, f"needs `type`, the layer's class name (one of {', '.join(known)})")
            continue
        if kind in ("Input", "InputLayer"):
            fail(f"{path}.type", "Input is added for you from windows.look_back and the inputs; remove it")
            continue
        if kind not in known:
            close = difflib.get_close_matches(kind, known, n=1)
            hint = f"did you mean '{close[0]}'? " if close else ""
            fail(f"{path}.type", f"no layer {kind!r}; {hint}layers: {', '.join(known)}")
            continue
        cls = registry.get_class(kind)
        accepted = _arguments_of(cls)
        unknown = [key for key in arguments if key not in accepted]
        for key in unknown:
            close = difflib.get_close_matches(key, sorted(accepted), n=1)
            hint = f"; did you mean '{close[0]}'?" if close else ""
            fail(f"{path}.{key}", f"{kind} has no argument {key!r}{hint}")
        if unknown:
            continue
        try:
            # An explicit name keeps Keras's automatic layer names (lstm, lstm_1 ...) untouched.
            cls(**{"name": _TRIAL_NAME, **arguments})
        except (TypeError, ValueError) as error:
            fail(path, layer_error(kind, error))


_TRIAL_NAME = "spec_check"  # the name of the trial layer built above, which the user never chose


def layer_error(kind: str, error: Exception) -> str:
    """A layer's own error, led by its class name once (most layer errors already start with it)."""
    message = str(error).replace(f"layer '{_TRIAL_NAME}': ", "").replace(f"layer '{_TRIAL_NAME}' ", "")
    return message if message.startswith(kind) else f"{kind}: {message}"


def _arguments_of(cls) -> set[str]:
    names = set()
    for klass in cls.__mro__:
        if "__init__" in vars(klass):
            parameters = inspect.signature(klass.__init__).parameters.values()
            names |= {p.name for p in parameters if p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)}
    return names - {"self"}


def _check_training(spec: Spec, fail: Fail) -> None:
    for key, known in (("optimizer", optimizers.names()), ("loss", losses.names())):
        value = getattr(spec.training, key)
        if value not in known and value.lower() not in known:
            close = difflib.get_close_matches(value, known, n=1)
            hint = f"did you mean '{close[0]}'? " if close else ""
            fail(f"training.{key}", f"unknown {key} {value!r}; {hint}known: {', '.join(known)}")
    stopping = spec.training.early_stopping
    if stopping is None:
        return
    if stopping.monitor not in ("val_loss", "loss"):
        fail("training.early_stopping.monitor", f"must be 'val_loss' or 'loss', got {stopping.monitor!r}")
    has_validation = (spec.split.validation_start is not None) if spec.split.test_start else spec.split.validation > 0
    if stopping.monitor == "val_loss" and not has_validation:
        fail("training.early_stopping.monitor",
             "'val_loss' needs a validation part; set split.validation > 0 or monitor = 'loss'")


def _check_evaluation(spec: Spec, fail: Fail) -> None:
    evaluation = spec.evaluation
    if evaluation.multi_step == "recursive":
        if spec.inputs != spec.targets:
            fail("evaluation.multi_step", "'recursive' feeds predictions back as inputs, so data.inputs must be "
                                          f"the targets ({spec.targets}), got {spec.inputs}")
        if spec.windows.foresight != 0:
            fail("evaluation.multi_step", f"'recursive' needs windows.foresight = 0, got {spec.windows.foresight}")
    for key in ("metrics", "baselines"):
        values = getattr(evaluation, key)
        if len(set(values)) != len(values):
            fail(f"evaluation.{key}", f"lists an entry more than once: {values}")
    backtest = evaluation.backtest
    if backtest.train_size is not None and backtest.mode != "sliding":
        fail("evaluation.backtest.train_size", "only applies to mode = 'sliding'")


# Checks of the forecast task only, and each other task's own (see check_spec).
FORECAST_ONLY = {_check_data, _check_evaluation, _check_split_dates_have_times}
TASK_CHECKS = {"classify": [({"data", "classify", "model"}, _check_classify)]}
