"""Keras's ``text_dataset_from_directory``: batches of ``(texts, labels)`` from one folder per class.

As ``keras/src/utils/text_dataset_utils.py`` and ``dataset_utils.index_directory``: the class
folders, in alphanumeric order (or ``class_names``'s), give labels 0, 1, ...; every ``.txt``
file under a class folder (sub-folders included) is one sample; with ``shuffle`` the files are
shuffled once by ``np.random.RandomState(seed)``; ``validation_split`` keeps the last
``int(validation_split * files)`` for the ``"validation"`` subset, the rest for ``"training"``.
Texts are read as UTF-8 ``str`` (Keras yields bytes), cut to ``max_length`` characters.
"""
from __future__ import annotations

import os

import numpy as np

from seqlab.checks import check_bool, check_choice, check_int
from seqlab.errors import describe
from seqlab.utils.batching import batch_count, draw_seed, pass_order

_WHERE = "text_dataset_from_directory"


class TextDataset:
    """Batches of ``(texts, labels)``: ``texts`` a NumPy array of str, ``labels`` int32 (``"int"``),
    float32 one-hot (``"categorical"``) or float32 ``(batch, 1)`` (``"binary"``); ``texts`` alone
    without labels. Re-iterable with ``len()``, so ``fit`` takes it directly."""

    def __init__(self, texts: np.ndarray, labels, class_names, file_paths, batch_size, shuffle, seed):
        self.texts, self.labels = texts, labels
        self.class_names, self.file_paths = class_names, file_paths
        self.batch_size, self.shuffle, self.seed = batch_size, shuffle, seed
        self._passes = 0

    def start_at_epoch(self, epoch: int) -> None:
        """Called by a fit resumed at ``epoch`` from a model file: a dataset not yet iterated
        starts at the pass an uninterrupted fit would have reached, so its orders repeat
        (see :mod:`seqlab.training.rng_state`)."""
        if self._passes == 0:
            self._passes = epoch

    def __len__(self) -> int:
        return batch_count(len(self.texts), self.batch_size)

    def __iter__(self):
        order = pass_order(np.arange(len(self.texts)), self.shuffle, self.seed, self._passes + 1)
        self._passes += 1
        step = self.batch_size or 1
        for begin in range(0, len(order), step):
            chosen = order[begin:begin + step]
            texts = self.texts[chosen]
            labels = None if self.labels is None else self.labels[chosen]
            if self.batch_size is None:
                texts, labels = texts[0], None if labels is None else labels[0]
            yield texts if labels is None else (texts, labels)

    def __repr__(self) -> str:
        return f"TextDataset(files={len(self.texts)}, batches={len(self)}, class_names={self.class_names})"


def text_dataset_from_directory(directory, labels="inferred", label_mode="int", class_names=None, batch_size=32,
                                max_length=None, shuffle=True, seed=None, validation_split=None, subset=None,
                                follow_links=False, verbose=True):
    """A dataset of texts and their labels from ``directory/<class>/*.txt``.

    Args:
        directory: the folder holding one sub-folder per class (with ``labels="inferred"``).
        labels: ``"inferred"`` (from the folders), None (texts alone), or a list of integer
            labels, one per ``.txt`` file in alphanumeric order of their paths.
        label_mode: ``"int"``, ``"categorical"`` (one-hot), ``"binary"`` (two classes, float
            ``(batch, 1)``) or None (no labels).
        class_names: the class folders to use, in label order (default: all, sorted).
        batch_size: texts per batch; None yields single texts.
        max_length: cut each text to this many characters.
        shuffle: shuffle the files (once, by ``seed``) and each pass's batches.
        seed: the shuffle's seed; required with ``validation_split`` and ``shuffle``.
        validation_split: the fraction kept for validation, in (0, 1).
        subset: ``"training"``, ``"validation"`` or ``"both"`` (a pair of datasets).
        follow_links: follow symbolic links to folders.
        verbose: print how many files were found (as Keras).

    Returns:
        A :class:`TextDataset` (two with ``subset="both"``), with ``class_names`` and ``file_paths``.
    """
    directory = os.fspath(directory)
    if not os.path.isdir(directory):
        raise ValueError(f"{_WHERE}: `directory` must be an existing folder, got {directory!r}")
    label_mode = check_choice(_WHERE, "label_mode", label_mode, ("int", "categorical", "binary", None))
    if batch_size is not None:
        batch_size = check_int(_WHERE, "batch_size", batch_size)
    if max_length is not None:
        max_length = check_int(_WHERE, "max_length", max_length)
    shuffle = check_bool(_WHERE, "shuffle", shuffle)
    if labels is None or label_mode is None:
        labels, label_mode = None, None
    elif not (labels == "inferred" or isinstance(labels, (list, tuple, np.ndarray))):
        raise ValueError(f"{_WHERE}: `labels` must be 'inferred', None or a list of integer labels, got {describe(labels)}")
    _check_split(validation_split, subset, shuffle, seed)
    if seed is None:
        seed = draw_seed()
    names, paths, found = _index(directory, labels, class_names, follow_links)
    if not paths:
        raise ValueError(f"{_WHERE}: no text files found in {directory!r} (allowed format: .txt)")
    if label_mode == "binary" and len(names) != 2:
        raise ValueError(f"{_WHERE}: label_mode='binary' needs exactly 2 classes, found {len(names)}: {names}")
    if verbose:
        classes = f" belonging to {len(names)} classes" if labels == "inferred" else ""
        print(f"Found {len(paths)} files{classes}.")
    paths, found = np.array(paths), None if found is None else np.asarray(found)
    if shuffle:  # Keras: the paths and the labels shuffled by the same seed
        np.random.RandomState(seed).shuffle(paths)
        if found is not None:
            np.random.RandomState(seed).shuffle(found)

    def dataset(part: slice) -> TextDataset:
        chosen = paths[part].tolist()
        texts = np.array([_read(p, max_length) for p in chosen], dtype=str)
        return TextDataset(texts, None if found is None else _encode(found[part], label_mode, len(names)),
                           names, chosen, batch_size, shuffle, seed)

    if not validation_split:
        return dataset(slice(None))
    held = int(validation_split * len(paths))
    parts = {"training": slice(0, len(paths) - held), "validation": slice(len(paths) - held, None)}
    if verbose:
        for name in ("training", "validation") if subset == "both" else (subset,):
            count = len(range(*parts[name].indices(len(paths))))
            print(f"Using {count} files for {name}.")
    if subset == "both":
        return dataset(parts["training"]), dataset(parts["validation"])
    return dataset(parts[subset])


def _check_split(validation_split, subset, shuffle, seed) -> None:
    if validation_split is None:
        if subset is not None:
            raise ValueError(f"{_WHERE}: `subset` needs `validation_split`, got subset={subset!r}")
        return
    if isinstance(validation_split, bool) or not isinstance(validation_split, (int, float)) \
            or not 0 < validation_split < 1:
        raise ValueError(f"{_WHERE}: `validation_split` must be a number in (0, 1), got {describe(validation_split)}")
    check_choice(_WHERE, "subset", subset, ("training", "validation", "both"))
    if shuffle and seed is None:
        raise ValueError(f"{_WHERE}: with `validation_split` and shuffle=True, give a `seed`, so that the "
                         "training and validation subsets do not overlap")


def _index(directory, labels, class_names, follow_links):
    """(class names, file paths, labels or None): files in alphanumeric order within each class."""
    folders = sorted(e for e in os.listdir(directory) if os.path.isdir(os.path.join(directory, e)))
    if labels != "inferred":
        folders = [""]  # Keras: without inferred labels, every file under `directory`
    elif class_names is not None:
        class_names = list(class_names)
        if set(class_names) - set(folders):  # Keras: the folders, or a subset of them
            raise ValueError(f"{_WHERE}: `class_names` {class_names} must name folders of {directory!r} "
                             f"(all or some of {folders})")
        folders = class_names
    paths, found = [], []
    for label, folder in enumerate(folders):
        root = os.path.join(directory, folder)
        for base, subfolders, files in os.walk(root, followlinks=follow_links):
            subfolders.sort()
            for name in sorted(files):
                if name.lower().endswith(".txt"):
                    paths.append(os.path.join(base, name))
                    found.append(label)
    if labels == "inferred":
        return folders, paths, found
    if labels is None:
        return [], sorted(paths), None
    order = np.argsort(paths, kind="stable")
    paths = [paths[i] for i in order]
    if len(labels) != len(paths):
        raise ValueError(f"{_WHERE}: `labels` has {len(labels)} entries, but {len(paths)} .txt files were found "
                         f"in {directory!r}; give one label per file, in alphanumeric order of the paths")
    values = np.asarray(labels)
    if values.dtype.kind not in "iu":
        raise TypeError(f"{_WHERE}: `labels` must be integers, got {describe(labels)}")
    return [str(c) for c in range(int(values.max()) + 1)], paths, values.tolist()


def _encode(found: np.ndarray, label_mode, classes: int) -> np.ndarray:
    if label_mode == "categorical":
        return np.eye(classes, dtype=np.float32)[found]
    if label_mode == "binary":
        return found.astype(np.float32).reshape(-1, 1)
    return found.astype(np.int32)


def _read(path: str, max_length) -> str:
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except UnicodeDecodeError as error:
        raise ValueError(f"{_WHERE}: {path!r} is not UTF-8 text ({error})") from None
    return text if max_length is None else text[:max_length]
