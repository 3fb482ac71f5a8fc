"""Step 1 of a run: load the series the spec names, in time order, with no value left unexplained.

The result is a DataFrame of numeric columns indexed by time (a ``DatetimeIndex`` when there is
a time column, else the row number). Missing values are never filled silently: the spec's
``data.missing`` policy says what to do, and what was done is written in ``notes`` (shown in
the report).

Two steps, because filling may depend on the split: :func:`read_data` reads, indexes, cuts and
puts the rows on the frequency's grid (gaps stay NaN); :func:`fill_missing` applies the policy.
``data.missing = 'interpolate'`` may read the value after a gap only inside the train part, so
the runner, which owns the split, passes the row where the train part ends (``train_end``).
"""
from __future__ import annotations

import difflib
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from seqlab.data import DataFileError, load_csv
from seqlab.datasets import load_bundled
from seqlab.experiment import resources
from seqlab.experiment.errors import spec_error
from seqlab.experiment.spec import Spec


@dataclass
class LoadedData:
    """The loaded series: ``frame`` (time-indexed, numeric), where it came from, what was done."""

    frame: pd.DataFrame
    description: str
    notes: list[str] = field(default_factory=list)
    imputed: pd.DataFrame | None = None  # True where a value was filled in, not observed


@dataclass
class ReadData:
    """The series as read, before the missing-value policy: gaps are NaN, ``absent`` are the
    timestamps the frequency's grid added (time steps the file did not have)."""

    frame: pd.DataFrame
    description: str
    notes: list[str]
    absent: pd.Index
    new_data: bool


def load_data(spec: Spec, train_end: int | None = None, new_data: bool = False) -> LoadedData:
    """Read, index, filter and check the spec's data (raises ``SpecError`` naming the key).

    Args:
        train_end: the row (of the data as read) where the train part ends; needed only when
            ``data.missing = 'interpolate'`` fills gaps of training data.
        new_data: data a finished run forecasts, which need only the input columns and whose
            gaps may be filled from earlier values only.
    """
    return fill_missing(spec, read_data(spec, new_data), train_end)


def read_data(spec: Spec, new_data: bool = False) -> ReadData:
    """Step 1a: the spec's columns, in time order, cut to data.start/data.end, on the frequency's
    grid; every column named in the spec is checked once, against the source's own columns."""
    require_targets = not new_data
    wanted = list(dict.fromkeys(spec.inputs + (spec.targets if require_targets else [])))
    notes: list[str] = []
    if spec.data.source is not None:
        frame, description = load_bundled(spec.data.source)
        if spec.data.time_column is not None and spec.data.time_column != frame.index.name:
            raise spec_error(spec, "data.time_column", f"the bundled {spec.data.source!r} is indexed by "
                                                       f"{frame.index.name!r}; leave data.time_column out")
        _check_columns(spec, list(frame.columns), description, require_targets)
    else:
        frame, description = _read_csv(spec, wanted, require_targets), spec.data.path
    frame = frame[wanted]
    frame = _cut(spec, frame)
    if len(frame) == 0:  # found here, before the runner splits rows that are not there
        raise spec_error(spec, "data", f"no rows left in {description} after data.start/data.end")
    frame, absent = _apply_frequency(spec, frame, notes)
    return ReadData(frame, description, notes, absent, new_data)


def fill_missing(spec: Spec, read: ReadData, train_end: int | None = None) -> LoadedData:
    """Step 1b: the ``data.missing`` policy applied (what was done is added to the notes)."""
    frame, notes = read.frame, list(read.notes)
    missing = frame.isna()
    interpolating = (spec.data.missing == "interpolate" and not read.new_data
                     and bool(missing.to_numpy().any()))
    if interpolating and train_end is None:
        raise ValueError("fill_missing: data.missing = 'interpolate' on training data needs `train_end`, "
                         "the row where the train part ends (gaps after it are filled from the past only)")
    past_only_from = train_end if interpolating else 0
    frame = _handle_missing(spec, frame, notes, read.absent, past_only_from, read.new_data)
    if len(frame) == 0:  # every row dropped for its missing values
        raise spec_error(spec, "data", f"no rows left in {read.description} after data.start/data.end")
    return LoadedData(frame.astype(np.float64), read.description, notes, imputed=missing.loc[frame.index])


def _read_csv(spec: Spec, wanted: list, require_targets: bool) -> pd.DataFrame:
    path = spec.data_file
    try:
        header = list(pd.read_csv(path, nrows=0).columns)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as error:
        raise spec_error(spec, "data.path", f"cannot read {path} as CSV: {error}") from None
    if spec.data.time_column is not None and spec.data.time_column not in header:
        raise spec_error(spec, "data.time_column", f"in {spec.data.path}: " + _missing_column(spec.data.time_column, header))
    _check_columns(spec, header, spec.data.path, require_targets)
    try:
        return load_csv(path, time_column=spec.data.time_column, columns=wanted)
    except DataFileError as error:
        raise spec_error(spec, "data.path", str(error)) from None


def _missing_column(column: str, columns) -> str:
    columns = [str(c) for c in columns]
    close = difflib.get_close_matches(column, columns, n=1)
    hint = f"did you mean '{close[0]}'? " if close else ""
    return f"column {column!r} does not exist; {hint}the columns are: {', '.join(columns)}"


def _check_columns(spec: Spec, columns, description: str, require_targets: bool = True) -> None:
    keys = [("data.inputs", spec.data.inputs or [])]
    if require_targets or not spec.data.inputs:  # without explicit inputs the targets are the inputs
        keys.append(("data.targets", spec.data.targets))
    for key, wanted in keys:
        for column in wanted:
            if column not in columns:
                raise spec_error(spec, key, f"in {description}: " + _missing_column(column, columns))


def _cut(spec: Spec, frame: pd.DataFrame) -> pd.DataFrame:
    if spec.data.start is None and spec.data.end is None:
        return frame
    if not isinstance(frame.index, pd.DatetimeIndex):
        raise spec_error(spec, "data.start" if spec.data.start else "data.end",
                         "cutting by date needs data.time_column")
    return frame.loc[spec.data.start:spec.data.end]


def _apply_frequency(spec: Spec, frame: pd.DataFrame, notes: list[str]) -> tuple[pd.DataFrame, pd.Index]:
    """The frame on the frequency's full grid, and the timestamps that grid added (absent rows)."""
    if spec.data.frequency is None or len(frame) == 0:
        return frame, frame.index[:0]
    if not isinstance(frame.index, pd.DatetimeIndex):
        raise spec_error(spec, "data.frequency", "a frequency needs data.time_column")
    resources.check_grid_rows(spec, frame.index[0], frame.index[-1], len(frame))
    full = pd.date_range(frame.index[0], frame.index[-1], freq=spec.data.frequency, name=frame.index.name)
    off_grid = frame.index.difference(full)
    if len(off_grid):
        raise spec_error(spec, "data.frequency", f"{len(off_grid)} timestamps are not on the "
                                                 f"{spec.data.frequency!r} grid, the first {off_grid[0]}")
    absent = full.difference(frame.index)
    if len(absent):
        notes.append(f"{_absent_steps(spec, absent)} became missing values")
    return frame.reindex(full), absent


def _absent_steps(spec: Spec, absent: pd.Index) -> str:
    return f"{len(absent)} missing time steps at frequency {spec.data.frequency!r} (first: {_when(absent[0])})"


def _what_is_missing(spec: Spec, frame: pd.DataFrame, missing: pd.DataFrame, absent: pd.Index) -> str:
    # Rows the frequency added are absent time steps, not empty cells of the file: say which is which.
    observed = ~frame.index.isin(absent)
    empty = missing.to_numpy()[observed]
    parts = [_absent_steps(spec, absent)] if len(absent) else []
    if empty.any():
        first = frame.index[observed][empty.any(axis=1)][0]
        parts.append(f"{int(empty.sum())} missing values (first at {_when(first)})")
    return " and ".join(parts)


def _handle_missing(spec: Spec, frame: pd.DataFrame, notes: list[str], absent: pd.Index,
                    past_only_from: int = 0, new_data: bool = False) -> pd.DataFrame:
    missing = frame.isna()
    count = int(missing.to_numpy().sum())
    if count == 0:
        return frame
    policy = spec.data.missing
    if policy == "error":
        hint = "" if new_data else "; choose data.missing = 'drop', 'ffill' or 'interpolate'"
        raise spec_error(spec, "data.missing",
                         f"the data hold {_what_is_missing(spec, frame, missing, absent)}{hint}")
    if policy == "drop" and new_data and spec.data.frequency is not None:
        # Forecast times are counted in steps of the frequency: a dropped row would make a window
        # read across the gap and put every later forecast at the wrong time.
        raise spec_error(spec, "data.missing",
                         f"the data hold {_what_is_missing(spec, frame, missing, absent)}; data.missing = 'drop' "
                         "cannot apply to new data on a fixed frequency (a window would read across the gap)")
    if policy == "drop":
        notes.append(f"dropped {int(missing.any(axis=1).sum())} rows with missing values (data.missing = 'drop')")
        return frame.dropna()
    if policy == "ffill":
        filled = frame.ffill()
        notes.append(f"filled {count} missing values with the previous value (data.missing = 'ffill')")
    else:
        # Interpolating reads the value after a gap: the past for the rows the model trains on,
        # the future for a forecast. So only the train part interpolates (within itself); every
        # later gap takes the last value seen.
        method = "time" if isinstance(frame.index, pd.DatetimeIndex) else "linear"
        train_part = frame.iloc[:past_only_from].interpolate(method=method).ffill()
        filled = pd.concat([train_part, frame.ffill().iloc[past_only_from:]])
        how = ("with the previous value: new data are filled from the past only" if new_data else
               "by linear interpolation within the train part, with the previous value after it")
        notes.append(f"filled {count} missing values (data.missing = 'interpolate'): {how}, since a forecast "
                     "may not read past its origin")
    leading = int(filled.isna().any(axis=1).sum())
    if leading:
        notes.append(f"dropped {leading} leading rows that had no earlier value to fill from")
        filled = filled.dropna()
    return filled


def _when(stamp):
    """A timestamp as people write it: the date alone at midnight, the hour otherwise."""
    if isinstance(stamp, pd.Timestamp) and stamp == stamp.normalize():
        return stamp.date()
    return stamp
