"""Sliding windows over a series: the one window rule of seqlab, and ``(X, y)`` pairs as views.

:class:`WindowSpec` is the rule, written once here and used by :func:`make_windows` and by
:mod:`seqlab.forecast` (origins, baselines, backtests). A window is named by its *origin*
``e``, the last row it reads; with ``look_back`` rows of history, ``foresight`` rows skipped
and ``horizon`` rows predicted::

    inputs  : e - look_back + 1 ... e
    skipped :                         (foresight rows)
    targets :                         e + foresight + 1 ... e + foresight + horizon

so a window that starts at row ``s`` has origin ``s + look_back - 1``, and a series of ``n``
steps gives ``n - look_back - foresight - horizon + 1`` windows at stride 1 (the notes: 648 - 7 -
6 = 635 windows for look_back=7, foresight=6, horizon=1).

``X`` and ``y`` are read-only views into one contiguous copy of the series (made only when the
dtype or the column selection requires it), built with ``numpy.lib.stride_tricks
.sliding_window_view``: memory stays O(series) however many windows overlap.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd
from numpy.lib.stride_tricks import sliding_window_view

from seqlab.checks import check_int
from seqlab.data._checks import check_data, check_time_order
from seqlab.errors import describe


@dataclass(frozen=True)
class WindowSpec:
    """The shape of a window: which rows it reads and which rows it predicts.

    Args:
        look_back: rows of history the model reads (>= 1).
        horizon: consecutive steps predicted from one origin (>= 1).
        foresight: rows skipped between the last observed row and the first target (>= 0).
        stride: distance between the origins of consecutive (training) windows (>= 1).

    >>> rule = WindowSpec(look_back=7, foresight=6)
    >>> rule.span, rule.input_offsets.tolist(), rule.target_offsets.tolist()
    (14, [-6, -5, -4, -3, -2, -1, 0], [7])
    """

    look_back: int
    horizon: int = 1
    foresight: int = 0
    stride: int = 1

    def __post_init__(self):
        check_int("WindowSpec", "look_back", self.look_back)
        check_int("WindowSpec", "horizon", self.horizon)
        check_int("WindowSpec", "foresight", self.foresight, minimum=0)
        check_int("WindowSpec", "stride", self.stride)

    @property
    def span(self) -> int:
        """Rows covered from the first input to the last target."""
        return self.look_back + self.foresight + self.horizon

    @property
    def input_offsets(self) -> np.ndarray:
        """``(look_back,)`` rows of the inputs, relative to the origin: ``-look_back + 1 .. 0``."""
        return np.arange(-self.look_back + 1, 1)

    @property
    def target_offsets(self) -> np.ndarray:
        """``(horizon,)`` rows of the targets, relative to the origin: ``foresight + 1 ..``."""
        return np.arange(self.foresight + 1, self.foresight + self.horizon + 1)

    def origin_of(self, start):
        """The origin of the window whose first input is row ``start`` (an int or an array)."""
        return start + self.look_back - 1

    def count(self, n_steps: int) -> int:
        """How many windows, ``stride`` apart, fit in a series of ``n_steps`` rows."""
        return max(0, (n_steps - self.span) // self.stride + 1)


class Windows:
    """The windows of one series: ``X``, ``y`` and where each window sits in time.

    Unpacks as ``X, y = windows``. Positions count steps from ``offset`` (0, or the first step
    of a split's part, so that they are positions in the whole series); ``times`` names the steps
    with their index labels (timestamps for a DatetimeIndex).

    Attributes:
        X: ``(samples, look_back, features)`` read-only view.
        y: ``(samples, horizon)`` for one target column, ``(samples, horizon, targets)`` when
            several targets (or a list of targets) were asked for; read-only view.
        index: the index labels of the series' steps (a ``pd.Index``).
        input_columns, target_columns: the names (or positions) of the columns used.
        rule: the :class:`WindowSpec` the windows were cut by (``look_back``, ``horizon``,
            ``foresight`` and ``stride`` read it).
    """

    def __init__(self, X, y, index, look_back, horizon, foresight, stride, input_columns, target_columns):
        self.X, self.y, self.index = X, y, index
        self.rule = WindowSpec(look_back, horizon, foresight, stride)
        self.input_columns, self.target_columns = input_columns, target_columns
        self.offset = 0

    def __iter__(self):
        return iter((self.X, self.y))

    def __repr__(self) -> str:
        return (
            f"Windows(samples={self.n_samples}, X={self.X.shape}, y={self.y.shape}, "
            f"look_back={self.look_back}, horizon={self.horizon}, foresight={self.foresight}, "
            f"stride={self.stride})"
        )

    # The window's settings are its rule's: one source, read through.
    look_back = property(lambda self: self.rule.look_back)
    horizon = property(lambda self: self.rule.horizon)
    foresight = property(lambda self: self.rule.foresight)
    stride = property(lambda self: self.rule.stride)

    @property
    def n_samples(self) -> int:
        return self.X.shape[0]

    @cached_property
    def starts(self) -> np.ndarray:
        """``(samples,)`` position of each window's first input step."""
        return self.offset + np.arange(self.n_samples, dtype=np.int64) * self.stride

    @property
    def origins(self) -> np.ndarray:
        """``(samples,)`` position of each window's last input step (its origin)."""
        return self.rule.origin_of(self.starts)

    @property
    def input_positions(self) -> np.ndarray:
        """``(samples, look_back)`` positions of the input steps (computed on demand)."""
        return self.origins[:, None] + self.rule.input_offsets

    @property
    def target_positions(self) -> np.ndarray:
        """``(samples, horizon)`` positions of the target steps (computed on demand)."""
        return self.origins[:, None] + self.rule.target_offsets

    @property
    def target_times(self) -> np.ndarray:
        """``(samples, horizon)`` index labels of the target steps."""
        return np.asarray(self.index)[self.target_positions - self.offset]

    @cached_property
    def times(self) -> pd.DataFrame:
        """One row per window: index labels of its first/last input and first/last target."""
        labels = np.asarray(self.index)
        inputs = self.input_positions - self.offset  # the index holds the labels of this series only
        targets = self.target_positions - self.offset
        return pd.DataFrame({
            "input_start": labels[inputs[:, 0]],
            "input_end": labels[inputs[:, -1]],
            "target_start": labels[targets[:, 0]],
            "target_end": labels[targets[:, -1]],
        })


def make_windows(
    data,
    look_back: int,
    horizon: int = 1,
    foresight: int = 0,
    stride: int = 1,
    *,
    inputs=None,
    targets=None,
    dtype="float32",
    index=None,
    allow_nan: bool = False,
) -> Windows:
    """Frame a series as supervised windows ``(X, y)`` without copying per window.

    Args:
        data: ``(timesteps,)`` or ``(timesteps, features)`` array, a Series or a DataFrame.
        look_back: input timesteps per window.
        horizon: target steps per window (1 = single-step forecast).
        foresight: steps skipped between the last input and the first target.
        stride: steps between the starts of consecutive windows.
        inputs: input columns (names for a DataFrame, positions for an array); all by default.
        targets: target columns; all by default. A single name gives ``y`` of shape
            ``(samples, horizon)``, a list ``(samples, horizon, len(list))``.
        dtype: dtype of ``X``/``y``: ``"float32"`` (what models take) by default, ``None`` keeps
            the data's own dtype (e.g. float64).
        index: labels of the steps, overriding the data's own index (used by splits so that
            positions and times stay those of the whole series).
        allow_nan: NaN values are refused by default (they would turn the loss into NaN); fill
            them first (:mod:`seqlab.data.missing`) or pass ``True``.

    A DatetimeIndex (the data's own, or ``index``) must be sorted without repeated timestamps:
    otherwise a window's targets could come before its inputs (``ValueError``).

    Returns:
        :class:`Windows`: unpacks as ``X, y``; ``X`` is ``(samples, look_back, features)``.

    >>> X, y = make_windows(np.arange(10.0), look_back=3, foresight=1)
    >>> X.shape, y.shape
    ((6, 3, 1), (6, 1))
    >>> X[0, :, 0].tolist(), y[0].tolist()
    ([0.0, 1.0, 2.0], [4.0])
    """
    where = "make_windows"
    data = check_data(where, data)
    look_back = check_int(where, "look_back", look_back)
    horizon = check_int(where, "horizon", horizon)
    foresight = check_int(where, "foresight", foresight, minimum=0)
    stride = check_int(where, "stride", stride)

    if isinstance(data, pd.DataFrame) and inputs is not None and targets is not None:
        # Only the chosen columns need to be numeric (a frame may carry a ticker or label column).
        wanted = set(_listed(inputs)) | set(_listed(targets))
        if wanted <= set(data.columns):
            data = data[[c for c in data.columns if c in wanted]]
    values, names, own_index = _as_2d(data)
    n_steps = values.shape[0]
    index_given = index is not None
    index = pd.Index(index) if index_given else own_index
    if len(index) != n_steps:
        raise ValueError(f"{where}: `index` has {len(index)} labels but the data has {n_steps} steps")
    check_time_order(where, "index" if index_given else "data", index)
    rule = WindowSpec(look_back, horizon, foresight, stride)
    span = rule.span
    if n_steps < span:
        raise ValueError(
            f"{where}: a series of {n_steps} steps is too short for look_back={look_back} + "
            f"foresight={foresight} + horizon={horizon} = {span} steps"
        )
    in_cols, _ = _select(where, "inputs", inputs, names)
    out_cols, squeeze = _select(where, "targets", targets, names)
    dtype = values.dtype if dtype is None else np.dtype(dtype)
    if not (np.issubdtype(values.dtype, np.number) or values.dtype == bool):
        raise TypeError(f"{where}: `data` must be numeric, got dtype {values.dtype}")

    x_series = _columns(values, in_cols, dtype)
    y_series = x_series if out_cols == in_cols else _columns(values, out_cols, dtype)
    if not allow_nan:
        _refuse_nan(where, x_series, index, [names[c] for c in in_cols])
        _refuse_nan(where, y_series, index, [names[c] for c in out_cols])

    count = rule.count(n_steps)
    # sliding_window_view puts the window axis last: (n - w + 1, features, w) -> (.., w, features).
    X = sliding_window_view(x_series, look_back, axis=0)[: count * stride : stride].transpose(0, 2, 1)
    first_target = int(rule.origin_of(0) + rule.target_offsets[0])  # the first window's first target row
    y = sliding_window_view(y_series[first_target:], horizon, axis=0)[: count * stride : stride]
    y = y.transpose(0, 2, 1)  # (samples, horizon, targets)
    if squeeze:
        y = y[:, :, 0]
    return Windows(X, y, index, look_back, horizon, foresight, stride,
                   [names[c] for c in in_cols], [names[c] for c in out_cols])


def _as_2d(data):
    """``(values (n, f), column names, index)`` without copying."""
    if isinstance(data, pd.Series):
        name = data.name if data.name is not None else 0
        return data.to_numpy()[:, None], [name], data.index
    if isinstance(data, pd.DataFrame):
        text = [c for c, kind in data.dtypes.items() if not pd.api.types.is_numeric_dtype(kind)]
        if text:
            raise TypeError(f"make_windows: columns {text} are not numeric; choose numeric ones with `inputs`/"
                            "`targets` after dropping them (e.g. data.drop(columns=...))")
        # Mixed column dtypes would come out as an object array: one float64 copy instead.
        mixed = data.dtypes.nunique() > 1
        return data.to_numpy(dtype=np.float64 if mixed else None), list(data.columns), data.index
    values = data[:, None] if data.ndim == 1 else data
    return values, list(range(values.shape[1])), pd.RangeIndex(values.shape[0])


def _listed(chosen) -> list:
    return list(chosen) if isinstance(chosen, (list, tuple, np.ndarray, pd.Index)) else [chosen]


def _select(where, argument, chosen, names):
    """Column positions for ``chosen`` and whether ``y`` loses its column axis."""
    if chosen is None:
        return list(range(len(names))), len(names) == 1
    single = not isinstance(chosen, (list, tuple, np.ndarray, pd.Index))
    wanted = _listed(chosen)
    if not wanted:
        raise ValueError(f"{where}: `{argument}` must name at least one column, got {describe(chosen)}")
    positions = []
    for column in wanted:
        if column in names:
            positions.append(names.index(column))
        else:
            raise ValueError(
                f"{where}: `{argument}` names column {column!r}, which the data does not have "
                f"(columns: {', '.join(map(str, names))})"
            )
    return positions, single


def _columns(values, positions, dtype) -> np.ndarray:
    """The chosen columns as one C-contiguous block: a view when nothing has to change."""
    if positions == list(range(values.shape[1])):
        return np.ascontiguousarray(values, dtype=dtype)
    return np.ascontiguousarray(values[:, positions], dtype=dtype)


def _refuse_nan(where, series, index, names):
    if not np.issubdtype(series.dtype, np.floating):
        return
    bad = np.isnan(series)
    if bad.any():
        row, col = np.argwhere(bad)[0]
        raise ValueError(
            f"{where}: the data holds {int(bad.sum())} NaN values, first at step {row} "
            f"({index[row]!r}), column {names[col]!r}; fill them first (seqlab.data.fill_interpolate, "
            "fill_constant, fill_seasonal) or pass allow_nan=True"
        )


def prepare_sequence_data(values, window_size: int = 2):
    """The notes' ``prepare_sequence_data``: inputs ``values[i-w:i]`` → target ``values[i]``.

    Input shape: ``(n,)`` or ``(n, 1)``. Output: ``X`` ``(n - w, w, 1)``, ``y`` ``(n - w, 1)``,
    in the data's own dtype, exactly as the notes' loop builds them.

    >>> X, y = prepare_sequence_data(np.array([1.0, 2.0, 3.0, 4.0]), window_size=2)
    >>> X[:, :, 0].tolist(), y.tolist()
    ([[1.0, 2.0], [2.0, 3.0]], [[3.0], [4.0]])
    """
    values = np.asarray(values)
    if values.ndim == 2 and values.shape[1] != 1 or values.ndim > 2:
        raise ValueError(
            f"prepare_sequence_data: `values` must be one series (n,) or (n, 1), got shape {values.shape}"
        )
    return tuple(make_windows(values.reshape(-1), window_size, dtype=None))


def create_seq(data, look_back: int, foresight: int):
    """The notes' ``createSeq``: ``X[i] = data[i:i+look_back, 0]``, ``y[i] = data[i+look_back+foresight, 0]``.

    Input shape: ``(n, 1)`` (the notes' scaled column) or ``(n,)``. Output: ``X``
    ``(n - look_back - foresight, look_back)`` and ``y`` ``(n - look_back - foresight,)``.

    >>> X, y = create_seq(np.arange(20.0).reshape(-1, 1), look_back=7, foresight=6)
    >>> X.shape, y.shape, y[0]
    ((7, 7), (7,), np.float64(13.0))
    """
    column = np.asarray(data)
    column = column[:, 0] if column.ndim == 2 else column
    X, y = make_windows(column, look_back, foresight=foresight, dtype=None)
    return X[:, :, 0], y[:, 0]


createSeq = create_seq  # the notes' spelling
