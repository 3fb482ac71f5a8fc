"""Load a time series from a CSV file, or say exactly what is wrong with it.

Every error names the file, and where it applies the line (as numbered in the file, the header
being line 1), the column and the value: a missing column (listing those that exist), a value
that is not a number or is infinite (``inf``, ``-inf``, ``1e999``), a timestamp that cannot be
parsed, duplicate timestamps, an empty file.
Missing values (empty cells, ``NA``, ``NaN``, ``null``) are not errors: they load as NaN and
are handled by :mod:`seqlab.data.missing`. Empty lines are skipped.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from seqlab.data.errors import DataFileError
from seqlab.errors import describe

MISSING = frozenset({"", "NA", "N/A", "#N/A", "NaN", "nan", "null", "NULL", "None"})


def load_csv(path, time_column=None, columns=None, *, date_format=None, sort: bool = True,
             sep: str = ",") -> pd.DataFrame:
    """Read numeric columns of a CSV file, indexed by parsed and sorted timestamps.

    Args:
        path: the file (``.csv``, or compressed such as ``.csv.gz``).
        time_column: the column of timestamps, which becomes the index (a DatetimeIndex);
            ``None``: no time column, rows keep their order under a RangeIndex.
        columns: the columns to load (all must be numeric); default every other column.
        date_format: a ``strftime`` format for the timestamps, ``"ISO8601"`` or ``"mixed"``;
            default: inferred from the first row.
        sort: sort rows by time when they are not in order (``False``: refuse unsorted files).
        sep: the field separator.

    Returns:
        DataFrame of float64 columns; ``attrs["source"]`` holds the path and ``attrs["sorted"]``
        whether the rows had to be reordered.

    Raises:
        FileNotFoundError: no such file.
        DataFileError: the file is empty or its content is unusable (message says where).

    >>> import tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "prices.csv")
    >>> _ = open(path, "w").write("Date,Close\\n2024-01-03,3.5\\n2024-01-02,2.5\\n")
    >>> load_csv(path, time_column="Date")["Close"].tolist()
    [2.5, 3.5]
    """
    path = Path(path)
    name = f"file '{path}'"
    if not path.is_file():
        raise FileNotFoundError(f"load_csv: {name} does not exist")
    try:
        raw = pd.read_csv(path, sep=sep, dtype=str, keep_default_na=False, skip_blank_lines=False)
    except pd.errors.EmptyDataError:
        raise DataFileError(f"load_csv: {name} is empty") from None
    except (pd.errors.ParserError, UnicodeDecodeError) as error:
        raise DataFileError(f"load_csv: {name} cannot be read as CSV: {error}") from None
    if not isinstance(raw.index, pd.RangeIndex):
        # pandas takes a first data line longer than the header as "row labels + values" and
        # silently shifts every column: refuse instead.
        raise DataFileError(f"load_csv: {name}, line 2: more fields than the header's {len(raw.columns)} "
                            f"columns ({', '.join(map(repr, raw.columns))}); a trailing {sep!r} or a value "
                            f"holding {sep!r} without quotes?")
    # Line numbers as in the file: the header is line 1, so data row i is line i + 2.
    lines = np.arange(len(raw)) + 2
    # Empty lines, and lines of empty fields only, carry nothing: skipped (their numbers are kept).
    blank = (raw.fillna("").apply(lambda column: column.str.strip()) == "").all(axis=1).to_numpy()
    raw, lines = raw.loc[~blank], lines[~blank]
    if raw.empty:
        raise DataFileError(f"load_csv: {name} has a header but no data rows")

    existing = list(raw.columns)
    wanted = [c for c in existing if c != time_column] if columns is None else _as_list(columns)
    for argument, column in [("time_column", time_column)] * (time_column is not None) + \
            [("columns", c) for c in wanted]:
        if column not in existing:
            raise DataFileError(f"load_csv: {name} has no column {column!r} (asked as `{argument}`); "
                                f"its columns are: {', '.join(map(repr, existing))}")

    values = {column: _numbers(name, raw[column], column, lines) for column in wanted}
    frame = pd.DataFrame(values, index=raw.index)
    if time_column is None:
        frame.index = pd.RangeIndex(len(frame))
        frame.attrs.update(source=str(path), sorted=False)
        return frame
    times = _timestamps(name, raw[time_column], time_column, lines, date_format)
    _refuse_duplicates(name, times, time_column, lines)
    frame.index = pd.DatetimeIndex(times, name=time_column)
    reordered = not frame.index.is_monotonic_increasing
    if reordered:
        if not sort:
            k = int(np.flatnonzero(np.diff(frame.index.asi8) < 0)[0]) + 1
            raise DataFileError(f"load_csv: {name}, line {lines[k]}: column {time_column!r} goes back in time "
                                f"({frame.index[k]} after {frame.index[k - 1]}); pass sort=True to sort")
        frame = frame.sort_index(kind="stable")
    frame.attrs.update(source=str(path), sorted=reordered)
    return frame


def _as_list(columns):
    if isinstance(columns, (list, tuple)):
        return list(columns)
    if isinstance(columns, str):
        return [columns]
    raise TypeError(f"load_csv: `columns` must be a column name or a list of names, got {describe(columns)}")


def _numbers(name, text: pd.Series, column, lines) -> np.ndarray:
    text = text.fillna("").str.strip()
    numbers = pd.to_numeric(text.where(~text.isin(MISSING)), errors="coerce").to_numpy(dtype=np.float64)
    bad = np.flatnonzero(np.isnan(numbers) & ~text.isin(MISSING).to_numpy())
    if bad.size:
        k = bad[0]
        raise DataFileError(f"load_csv: {name}, line {lines[k]}, column {column!r}: {text.iat[k]!r} is not a "
                            f"number ({bad.size} such values in this column)")
    # 'inf', '-Infinity' or '1e999' parse as numbers, but no scaler or loss survives them.
    infinite = np.flatnonzero(np.isinf(numbers))
    if infinite.size:
        k = infinite[0]
        raise DataFileError(f"load_csv: {name}, line {lines[k]}, column {column!r}: {text.iat[k]!r} is infinite "
                            f"({infinite.size} such values in this column); only finite numbers or missing "
                            "values (empty, NA, NaN) are allowed")
    return numbers


def _timestamps(name, text: pd.Series, column, lines, date_format) -> pd.Series:
    text = text.fillna("").str.strip()
    empty = np.flatnonzero((text == "").to_numpy())
    if empty.size:
        raise DataFileError(f"load_csv: {name}, line {lines[empty[0]]}, column {column!r}: the timestamp is missing")
    try:
        times = pd.to_datetime(text, format=date_format, errors="coerce")
    except (ValueError, TypeError) as error:
        raise DataFileError(f"load_csv: {name}, column {column!r}: cannot parse timestamps ({error})") from None
    bad = np.flatnonzero(times.isna().to_numpy())
    if bad.size:
        k = bad[0]
        hint = "" if date_format else (f" in the format of the first row {text.iat[0]!r} "
                                       "(pass `date_format=` for another format, or 'mixed')")
        raise DataFileError(f"load_csv: {name}, line {lines[k]}, column {column!r}: {text.iat[k]!r} is not a "
                            f"timestamp{hint}")
    return times


def _refuse_duplicates(name, times: pd.Series, column, lines):
    repeated = times.duplicated(keep=False).to_numpy()
    if repeated.any():
        first = times.iloc[int(np.flatnonzero(repeated)[0])]
        where = lines[(times == first).to_numpy()]
        raise DataFileError(f"load_csv: {name}, column {column!r}: timestamp {first} appears "
                            f"{where.size} times (lines {', '.join(map(str, where.tolist()))}); "
                            "timestamps must be unique (to combine them, read the file with pandas and use "
                            "seqlab.data.regularize)")
