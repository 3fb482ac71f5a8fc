"""Scaling that cannot leak: fit on the train part only, invert predictions column by column.

:class:`SeriesScaler` wraps any scikit-learn transformer (``MinMaxScaler(feature_range=...)``,
``StandardScaler``, ``RobustScaler``, a ``FunctionTransformer`` ...). It fits one clone of it per
column, on the train part of a :class:`~seqlab.data.split.Split` and nothing else, so that:

- data from the validation or test part can never shape the scaling (a fit on rows past the
  train part raises :class:`~seqlab.data.errors.LeakageError`);
- a model's predictions of any one column can be inverted back to the data's own units, which
  a single multi-column scaler cannot do for a one-column prediction.
"""
from __future__ import annotations

import copy

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.preprocessing import MinMaxScaler

from seqlab.data.errors import LeakageError
from seqlab.data.split import Split
from seqlab.errors import NotBuiltError, describe


class SeriesScaler:
    """Scale each column with its own clone of a transformer fitted on the train part only.

    Args:
        transformer: an unfitted scikit-learn-style transformer (``fit``/``transform``/
            ``inverse_transform``); default ``MinMaxScaler(feature_range=(0, 1))`` as in the notes.
        columns: the columns to scale (names for a DataFrame, positions for an array); the
            others pass through unchanged. Default: all.

    Attributes (after ``fit``):
        transformers_: ``{column: fitted transformer}``.
        columns_: the scaled columns, in order.
        n_train_: how many rows the fit saw.

    Input/Output shape: ``(timesteps,)``, ``(timesteps, features)``, a Series or a DataFrame;
    ``transform`` keeps type, shape and index.

    >>> from seqlab.data import chronological_split
    >>> split = chronological_split(np.arange(10.0), train=0.6, val=0.2)
    >>> scaler = SeriesScaler().fit(split)            # min 0 and max 5 of the train part
    >>> scaler.transform(split.test).tolist()
    [1.6, 1.8]
    >>> scaler.inverse_transform(np.array([1.6, 1.8])).tolist()
    [8.0, 9.0]
    """

    def __init__(self, transformer=None, columns=None):
        self.transformer = MinMaxScaler(feature_range=(0, 1)) if transformer is None else transformer
        for method in ("fit", "transform", "inverse_transform"):
            if not callable(getattr(self.transformer, method, None)):
                raise TypeError(
                    f"SeriesScaler: `transformer` must have fit, transform and inverse_transform "
                    f"(a scikit-learn transformer), got {describe(self.transformer)} without `{method}`"
                )
        self.columns = columns

    def __repr__(self) -> str:
        extra = "" if self.columns is None else f", columns={self.columns!r}"
        return f"SeriesScaler({self.transformer!r}{extra})"

    # ----------------------------------------------------------------------------- fitting
    def fit(self, data, split: Split | None = None) -> "SeriesScaler":
        """Fit on the train part of ``data`` (a :class:`Split`), or on ``data`` checked against ``split``.

        Raises:
            LeakageError: ``data`` holds rows of the validation or test part of ``split``
                (found by index label, or by length for arrays).
            TypeError: ``data`` is not a Split and no ``split`` tells where its train part ends.
        """
        if isinstance(data, Split):
            if split is not None and split is not data:
                raise ValueError("SeriesScaler.fit: give the split once, as `data` or as `split`")
            split, data = data, data.train
        elif split is None:
            raise TypeError(
                "SeriesScaler.fit: pass the Split (it fits on its train part), or the train rows with "
                "`split=` so that they can be checked; got "
                f"{describe(data)} alone, which could include validation or test rows"
            )
        else:
            _check_train_only(data, split)
        values, names = _values(data)
        self.columns_ = _chosen(self.columns, names)
        self.transformers_ = {}
        for column in self.columns_:
            fitted = _clone(self.transformer)
            fitted.fit(values[:, names.index(column)].reshape(-1, 1))
            self.transformers_[column] = fitted
        self.names_in_, self.n_train_ = names, values.shape[0]
        return self

    @classmethod
    def from_fitted(cls, transformers: dict, n_train: int | None, names_in=None) -> "SeriesScaler":
        """A fitted scaler made of transformers already fitted one column each (a stored run's).

        Args:
            transformers: ``{column: fitted transformer}``, in column order.
            n_train: how many train rows they were fitted on (None: not known).
            names_in: every column of the data it applies to (default: the scaled ones).

        >>> from sklearn.preprocessing import MinMaxScaler
        >>> column = MinMaxScaler().fit(np.array([[0.0], [4.0]]))
        >>> SeriesScaler.from_fitted({0: column}, n_train=2).transform(np.array([1.0, 2.0])).tolist()
        [0.25, 0.5]
        """
        if not transformers:
            raise ValueError("SeriesScaler.from_fitted: `transformers` must hold at least one column, got none")
        first = next(iter(transformers.values()))
        scaler = cls(_clone(first))
        scaler.columns_ = list(transformers)
        scaler.transformers_ = dict(transformers)
        scaler.names_in_ = list(transformers) if names_in is None else list(names_in)
        scaler.n_train_ = None if n_train is None else int(n_train)
        return scaler

    # ----------------------------------------------------------------------------- applying
    def transform(self, data):
        """Scale data of any part with the train part's statistics (a Split gives a Split)."""
        return self._apply(data, "transform")

    def inverse_transform(self, data, column=None):
        """Back to the data's units.

        Args:
            data: scaled values shaped like the fitted data, or predictions of one column.
            column: the column ``data`` holds (a name or position); then ``data`` may have any
                shape, e.g. ``(samples,)`` or ``(samples, horizon)`` from a forecast model.

        >>> from seqlab.data import chronological_split
        >>> split = chronological_split(np.c_[np.arange(10.0), 10 * np.arange(10.0)])
        >>> scaler = SeriesScaler().fit(split)
        >>> scaler.inverse_transform(np.array([[0.5, 1.0]]), column=1).tolist()
        [[30.0, 60.0]]
        """
        if column is None:
            return self._apply(data, "inverse_transform")
        self._check_fitted()
        if column not in self.transformers_:
            raise ValueError(f"SeriesScaler.inverse_transform: `column` {column!r} was not scaled "
                             f"(scaled columns: {self.columns_})")
        values = np.asarray(data, dtype=np.float64)
        inverse = self.transformers_[column].inverse_transform(values.reshape(-1, 1))
        return np.asarray(inverse).reshape(values.shape)

    def _apply(self, data, method):
        self._check_fitted()
        if isinstance(data, Split):
            return data.with_data(self._apply(data.data, method))
        values, names = _values(data)
        if names != self.names_in_:
            raise ValueError(
                f"SeriesScaler.{method}: the data has columns {names}, but the scaler was fitted on "
                f"{self.names_in_}; to invert one column of predictions pass `column=`"
            )
        result = values.astype(np.float64, copy=True)
        for column, fitted in self.transformers_.items():
            j = names.index(column)
            result[:, j] = np.asarray(getattr(fitted, method)(values[:, j].reshape(-1, 1))).reshape(-1)
        return _like(data, result)

    def _check_fitted(self):
        if not hasattr(self, "transformers_"):
            raise NotBuiltError("SeriesScaler: call fit(split) before transform or inverse_transform")


def _check_train_only(data, split: Split) -> None:
    """Refuse rows that are not in the split's train part."""
    n_train = split.train_end
    if len(data) > n_train:
        raise LeakageError(
            f"SeriesScaler.fit: the data has {len(data)} rows but the train part has only {n_train}: "
            "it includes validation or test rows; fit on split.train only"
        )
    # Labels locate the rows exactly; an index with repeated labels can only be checked by length.
    if isinstance(data, (pd.Series, pd.DataFrame)) and split.index.is_unique:
        positions = split.index.get_indexer(data.index)
        unknown = np.flatnonzero(positions < 0)
        if unknown.size:
            raise LeakageError(f"SeriesScaler.fit: row {data.index[unknown[0]]!r} is not in the split's data")
        late = np.flatnonzero(positions >= n_train)
        if late.size:
            label = data.index[late[0]]
            part = split.part_of(int(positions[late[0]]))
            first_held_out = split.index[n_train]
            raise LeakageError(
                f"SeriesScaler.fit: the data includes {late.size} rows of the validation/test parts "
                f"(first: {label!r}, in the {part} part; the train part ends before "
                f"{first_held_out!r}); fit on split.train only"
            )


def _values(data):
    """``(float values (n, f), column names)`` of an array, Series or DataFrame."""
    if isinstance(data, pd.DataFrame):
        return data.to_numpy(dtype=np.float64), list(data.columns)
    if isinstance(data, pd.Series):
        return data.to_numpy(dtype=np.float64)[:, None], [data.name if data.name is not None else 0]
    values = np.asarray(data, dtype=np.float64)
    if values.ndim not in (1, 2):
        raise ValueError(f"SeriesScaler: data must be (timesteps,) or (timesteps, features), got shape {values.shape}")
    values = values[:, None] if values.ndim == 1 else values
    return values, list(range(values.shape[1]))


def _like(data, result):
    if isinstance(data, pd.DataFrame):
        return pd.DataFrame(result, index=data.index, columns=data.columns)
    if isinstance(data, pd.Series):
        return pd.Series(result[:, 0], index=data.index, name=data.name)
    return result.reshape(np.shape(data))


def _chosen(columns, names):
    if columns is None:
        return list(names)
    chosen = list(columns) if isinstance(columns, (list, tuple)) else [columns]
    for column in chosen:
        if column not in names:
            raise ValueError(f"SeriesScaler: `columns` names {column!r}, which the data does not have "
                             f"(columns: {names})")
    return chosen


def _clone(transformer):
    try:
        return clone(transformer)
    except TypeError:
        # Not a scikit-learn estimator (no get_params): an unfitted deep copy serves the same purpose.
        return copy.deepcopy(transformer)
