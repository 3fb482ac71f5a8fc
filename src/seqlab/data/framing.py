"""Shift framing (the notes' ``series_to_supervised``): one row per time ``t`` with lagged and led copies.

Each column ``c`` becomes ``c(t-n_in) .. c(t-1)`` (inputs, made with ``shift(k)``) followed by
``c(t) .. c(t+n_out-1)`` (outputs, made with ``shift(-k)``). Rows at the ends lack some lags or
leads and hold NaN; ``dropnan`` chooses whether to keep them. For model inputs of shape
``(samples, timesteps, features)`` use :func:`seqlab.data.make_windows`, which needs no copies.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from seqlab.checks import check_int
from seqlab.data._checks import check_data


def series_to_supervised(data, n_in: int = 1, n_out: int = 1, dropnan: bool = True) -> pd.DataFrame:
    """Frame a series as a supervised table with pandas ``shift``.

    Args:
        data: ``(timesteps,)``/``(timesteps, features)`` array, a Series or a DataFrame. Unnamed
            columns are called ``var1``, ``var2`` ... as in the classic recipe.
        n_in: lags as inputs (``t-n_in`` ... ``t-1``); 0 for none.
        n_out: steps as outputs (``t`` ... ``t+n_out-1``); at least 1.
        dropnan: drop the rows holding NaN from the shifts (True) or keep them.

    Returns:
        DataFrame of ``(n_in + n_out) * features`` columns, with the data's index.

    >>> series_to_supervised(pd.Series(range(4), name="t"), n_in=1, n_out=2, dropnan=False)
       t(t-1)  t(t)  t(t+1)
    0     NaN     0     1.0
    1     0.0     1     2.0
    2     1.0     2     3.0
    3     2.0     3     NaN
    """
    where = "series_to_supervised"
    data = check_data(where, data)
    n_in = check_int(where, "n_in", n_in, minimum=0)
    n_out = check_int(where, "n_out", n_out)
    frame = _frame(data)
    columns, names = [], []
    for lag in range(n_in, 0, -1):
        columns.append(frame.shift(lag))
        names += [f"{c}(t-{lag})" for c in frame.columns]
    for lead in range(n_out):
        columns.append(frame.shift(-lead))
        names += [f"{c}(t)" if lead == 0 else f"{c}(t+{lead})" for c in frame.columns]
    table = pd.concat(columns, axis=1)
    table.columns = names
    return table.dropna() if dropnan else table


def _frame(data) -> pd.DataFrame:
    if isinstance(data, pd.DataFrame):
        return data
    if isinstance(data, pd.Series):
        return data.to_frame(name=data.name if data.name is not None else "var1")
    values = np.asarray(data)
    values = values[:, None] if values.ndim == 1 else values
    return pd.DataFrame(values, columns=[f"var{j + 1}" for j in range(values.shape[1])])
