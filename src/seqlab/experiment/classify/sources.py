"""Reading labelled sequences: UCR/UEA ``.ts`` / ``.arff`` / tab-separated files, wide or long
CSV tables, ``sentence<TAB>label`` text and two files of positive/negative lines.

Every reader returns :class:`Samples`: numbers as ``(N, T, F)`` (NaN pads unequal lengths) or a
list of sentences, one label (a string) per sample, and the set's own train/test split when the
files carry one. The UCR/UEA sets named in ``PACKAGED_SETS`` are located inside the installed
registry package ``sktime`` (``pip install seqlab[datasets]``); seqlab never imports it.
"""
from __future__ import annotations

import importlib.util
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from seqlab.datasets import load_rt_polarity, load_sentiment
from seqlab.experiment.classify.spec import PACKAGED_SETS


@dataclass
class Samples:
    """Labelled samples as read. ``x``: ``(N, T, F)`` float64 (NaN after a short sample's end) or a
    list of N sentences; ``labels``: N strings; ``given_test``: N booleans (the set's own test
    part) or None; ``features``: names of the F features (numbers only)."""

    x: object
    labels: np.ndarray
    description: str
    given_test: np.ndarray | None = None
    features: list = field(default_factory=list)

    @property
    def is_text(self) -> bool:
        return isinstance(self.x, list)


def packaged_folder(name: str) -> Path:
    """The folder of a UCR/UEA set inside the installed ``sktime`` (found, not imported)."""
    spec = importlib.util.find_spec("sktime")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError(f"data.source {name!r} is read from the registry package sktime, which is not "
                          "installed: pip install 'seqlab[datasets]' (or pip install sktime)")
    folder = Path(list(spec.submodule_search_locations)[0]) / "datasets" / "data" / PACKAGED_SETS[name]
    if not folder.is_dir():
        raise FileNotFoundError(f"data.source {name!r}: {folder} is missing from the installed sktime")
    return folder


def read_packaged(name: str) -> Samples:
    """A UCR/UEA set from sktime's files: ``<Name>_TRAIN.ts`` and ``<Name>_TEST.ts`` (its own split)."""
    folder = packaged_folder(name)
    train = read_ts(folder / f"{PACKAGED_SETS[name]}_TRAIN.ts")
    test = read_ts(folder / f"{PACKAGED_SETS[name]}_TEST.ts")
    return _joined(train, test, f"{PACKAGED_SETS[name]} (UCR/UEA, from the installed sktime)")


def _joined(train: Samples, test: Samples, description: str) -> Samples:
    steps = max(train.x.shape[1], test.x.shape[1])
    x = np.concatenate([_pad_nan(train.x, steps), _pad_nan(test.x, steps)])
    given = np.r_[np.zeros(len(train.labels), bool), np.ones(len(test.labels), bool)]
    return Samples(x, np.r_[train.labels, test.labels], description, given, train.features)


def _pad_nan(x: np.ndarray, steps: int) -> np.ndarray:
    return np.pad(x, ((0, 0), (0, steps - x.shape[1]), (0, 0)), constant_values=np.nan)


def read_ts(path) -> Samples:
    """The sktime/UEA ``.ts`` format: ``@`` header lines, then one sample per line after ``@data``:
    dimensions separated by ``:``, values by ``,``, the class label last. Only the plain layout
    (no ``@timeStamps true``) is read; ``?`` is a missing value."""
    path = Path(path)
    lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    header, rows, in_data = {}, [], False
    for number, line in enumerate(lines, 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if not in_data:
            if line.lower() == "@data":
                in_data = True
            elif line.startswith("@"):
                key, _, value = line[1:].partition(" ")
                header[key.lower()] = value.strip()
            continue
        parts = line.split(":")
        if len(parts) < 2:
            raise ValueError(f"{path}, line {number}: expected 'values:...:label', got {line[:60]!r}")
        try:
            dims = [np.array([np.nan if v.strip() == "?" else float(v) for v in p.split(",")]) for p in parts[:-1]]
        except ValueError:
            raise ValueError(f"{path}, line {number}: a value is not a number in {line[:60]!r}") from None
        rows.append((dims, parts[-1].strip()))
    if header.get("timestamps", "false").lower() == "true":
        raise ValueError(f"{path}: @timeStamps true is not supported; export the set without timestamps")
    if not rows:
        raise ValueError(f"{path}: no samples after @data")
    n_dims = len(rows[0][0])
    if any(len(dims) != n_dims for dims, _ in rows):
        raise ValueError(f"{path}: samples have different numbers of dimensions")
    steps = max(len(d) for dims, _ in rows for d in dims)
    x = np.full((len(rows), steps, n_dims), np.nan)
    for i, (dims, _) in enumerate(rows):
        for j, values in enumerate(dims):
            x[i, :len(values), j] = values
    labels = np.array([label for _, label in rows], dtype=object).astype(str)
    return Samples(x, labels, path.name, features=[f"dim_{j}" for j in range(n_dims)])


def read_arff(path) -> Samples:
    """A univariate UCR ``.arff`` file: numeric attributes, then the class attribute last."""
    lines = Path(path).read_text(encoding="utf-8", errors="replace").splitlines()
    start = next((i for i, line in enumerate(lines) if line.strip().lower() == "@data"), None)
    if start is None:
        raise ValueError(f"{path}: no @data line; is it an .arff file?")
    body = [line for line in lines[start + 1:] if line.strip() and not line.startswith("%")]
    return _delimited(body, ",", Path(path).name)


def read_tsv(path) -> Samples:
    """A UCR tab-separated file: the class label first, then the values of one series per line."""
    body = [line for line in Path(path).read_text(encoding="utf-8").splitlines() if line.strip()]
    values = [line.split("\t") for line in body]
    return _delimited(["\t".join(v[1:] + v[:1]) for v in values], "\t", Path(path).name)


def _delimited(body: list[str], separator: str, name: str) -> Samples:
    cells = [line.split(separator) for line in body]
    steps = max(len(c) for c in cells) - 1
    x = np.full((len(cells), steps, 1), np.nan)
    for i, c in enumerate(cells):
        x[i, :len(c) - 1, 0] = [np.nan if v.strip() in ("?", "NaN", "") else float(v) for v in c[:-1]]
    labels = np.array([c[-1].strip() for c in cells], dtype=str)
    return Samples(x, labels, name, features=["value"])


def read_wide(path, label_column: str) -> Samples:
    """A CSV of one row per sample: every numeric column but the label is one timestep."""
    frame = pd.read_csv(path)
    _require(frame, label_column, path, "classify.label_column")
    values = frame.drop(columns=[label_column])
    not_numeric = [c for c in values.columns if not pd.api.types.is_numeric_dtype(values[c])]
    if not_numeric:
        raise ValueError(f"{path}: wide format reads every column but {label_column!r} as a timestep; "
                         f"{not_numeric[:3]} are not numeric")
    x = values.to_numpy(np.float64)[:, :, None]
    return Samples(x, frame[label_column].astype(str).to_numpy(), os.path.basename(path), features=["value"])


def read_long(path, sample_column: str, time_column: str, label_column: str) -> Samples:
    """A CSV of one row per timestep: ``sample_id, t, features…, label`` (one label per sample)."""
    frame = pd.read_csv(path)
    for column, key in ((sample_column, "classify.sample_column"), (time_column, "classify.time_column"),
                        (label_column, "classify.label_column")):
        _require(frame, column, path, key)
    features = [c for c in frame.columns if c not in (sample_column, time_column, label_column)]
    labels_per_sample = frame.groupby(sample_column, sort=False)[label_column].nunique()
    if (labels_per_sample > 1).any():
        raise ValueError(f"{path}: sample {labels_per_sample[labels_per_sample > 1].index[0]!r} has more "
                         "than one label; a sample is one sequence with one class")
    groups = [g.sort_values(time_column) for _, g in frame.groupby(sample_column, sort=False)]
    steps = max(len(g) for g in groups)
    x = np.full((len(groups), steps, len(features)), np.nan)
    for i, g in enumerate(groups):
        x[i, :len(g)] = g[features].to_numpy(np.float64)
    labels = np.array([str(g[label_column].iloc[0]) for g in groups])
    return Samples(x, labels, os.path.basename(path), features=features)


def read_sentences(path) -> Samples:
    """``sentence<TAB>label`` lines (the UCI sentiment sentences' layout)."""
    sentences, labels = [], []
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        sentence, tab, label = line.rpartition("\t")
        if not tab or not label.strip():
            raise ValueError(f"{path}, line {number}: expected 'sentence<TAB>label', got {line[:60]!r}")
        sentences.append(sentence.strip())
        labels.append(label.strip())
    return Samples(sentences, np.array(labels), os.path.basename(path))


def read_polarity(positive, negative) -> Samples:
    """Two files of lines: every line of ``positive`` is class "pos", of ``negative`` "neg"."""
    texts = {}
    for name, path in (("pos", positive), ("neg", negative)):
        texts[name] = [line.strip() for line in Path(path).read_text(encoding="utf-8", errors="replace").splitlines()
                       if line.strip()]
    labels = np.array(["pos"] * len(texts["pos"]) + ["neg"] * len(texts["neg"]))
    return Samples(texts["pos"] + texts["neg"], labels, f"{os.path.basename(positive)} / {os.path.basename(negative)}")


def read_text_set(name: str) -> Samples:
    """The text sets of the data folder (see :mod:`seqlab.datasets.text`)."""
    if name == "rt-polarity":
        frame = load_rt_polarity()
        return Samples(frame["sentence"].tolist(), np.where(frame["label"] == 1, "pos", "neg"),
                       "rt-polarity movie review snippets")
    source = name.split("-", 1)[1] if "-" in name else "all"
    frame = load_sentiment(source)
    return Samples(frame["sentence"].tolist(), frame["label"].astype(str).to_numpy(),
                   f"UCI sentiment labelled sentences ({source})")


def _require(frame: pd.DataFrame, column: str, path, key: str) -> None:
    if column not in frame.columns:
        raise ValueError(f"{path} has no column {column!r} ({key}); its columns: {list(frame.columns)[:10]}")


FORMAT_BY_EXTENSION = {".ts": "ts", ".arff": "arff", ".tsv": "tsv", ".txt": "sentences", ".csv": "wide"}


def path_format(spec) -> str:
    """``classify.format``, or the one ``data.path``'s extension names (``"auto"``)."""
    if spec.classify.format != "auto":
        return spec.classify.format
    extension = os.path.splitext(spec.data.path)[1].lower()
    if extension not in FORMAT_BY_EXTENSION:
        raise ValueError(f"classify.format = 'auto' cannot tell the format of {spec.data.path!r} by its extension; "
                         f"set classify.format to one of 'wide', 'long', 'sentences', 'polarity', 'ts', 'arff', 'tsv'")
    return FORMAT_BY_EXTENSION[extension]


def read_samples(spec) -> Samples:
    """The labelled samples a classify spec names (``data.source`` or ``data.path``)."""
    if spec.data.source is not None:
        name = spec.data.source.lower()
        return read_packaged(name) if name in PACKAGED_SETS else read_text_set(name)
    path, options = spec.data_file, spec.classify
    kind = path_format(spec)
    readers = {
        "ts": lambda: read_ts(path), "arff": lambda: read_arff(path), "tsv": lambda: read_tsv(path),
        "wide": lambda: read_wide(path, options.label_column),
        "long": lambda: read_long(path, options.sample_column, options.time_column, options.label_column),
        "sentences": lambda: read_sentences(path),
        "polarity": lambda: read_polarity(path, spec.resolve_path(options.negative_path)),
    }
    return readers[kind]()
