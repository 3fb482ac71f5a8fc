"""Finding interpretable units: the ones that switch on over a span you point at
(:func:`find_units`, the contract the HTML explorer's search shares) and the ones that follow a
signal you name (:func:`correlate_units`, as Karpathy et al.'s quote and line-length cells)."""
from __future__ import annotations

import math
import numbers
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np
import pandas as pd

from seqlab.errors import describe
from seqlab.inspect.activations import activations


class Match(NamedTuple):
    """A run ``[start, end)`` of sample ``sample`` where every selected unit is on."""

    sample: int
    start: int
    end: int
    score: float  # the mean activation over the run and the selected units


@dataclass
class UnitSearch:
    """What :func:`find_units` found.

    Attributes:
        units: the selected units, best first.
        unit_scores: each selected unit's mean inside the span minus its mean outside it.
        matches: the other runs where all selected units are on, best first.
    """

    units: list[int] = field(default_factory=list)
    unit_scores: list[float] = field(default_factory=list)
    matches: list[Match] = field(default_factory=list)


def find_units(trace_or_array, span, threshold: float, sample: int = 0, state: str = "hidden") -> UnitSearch:
    """The units on (``>= threshold``) all through ``span`` of ``sample``, and where else they are.

    Follows the unit-pattern contract the explorer's JavaScript implements too:

    1. *Selected units*: every unit ``u`` with ``A[sample, t, u] >= threshold`` for all ``t`` in
       ``[start, end)``, ranked by (its mean over the span) − (its mean over the other steps of
       that sample, 0 if there are none), descending; ties by unit index.
    2. *Matches*: every maximal run ``[s, e)`` of consecutive steps of any sample where all
       selected units are on, except the run of ``sample`` holding the span itself; scored by
       the mean of ``A`` over the run and the selected units; ranked by how far the run's length
       is from the span's, then score (descending), then ``(sample, s)``.
    3. No unit selected: an empty result. Masks are not applied (the contract reads ``A`` as it
       is; at a masked step the state was carried over).

    Args:
        trace_or_array: a :class:`~seqlab.inspect.Trace` or an ``(N, L, H)`` array.
        span: ``(start, end)``, timesteps ``start .. end - 1`` of ``sample``.
        threshold: a unit is *on* where its activation is ``>= threshold``.
        sample: the sample the span is in.
        state: which array of a Trace: ``'hidden'``, ``'cell'`` or a gate's name.

    Returns:
        A :class:`UnitSearch` with ``units``, ``unit_scores`` and ``matches``
        (:class:`Match` ``(sample, start, end, score)`` tuples).

    >>> import numpy as np, seqlab
    >>> a = np.zeros((1, 8, 2)); a[0, 1:3, 1] = a[0, 5:7, 1] = 0.9
    >>> found = seqlab.inspect.find_units(a, span=(1, 3), threshold=0.5)
    >>> found.units, [tuple(m[:3]) for m in found.matches]
    ([1], [(0, 5, 7)])
    """
    values, _ = activations("find_units", trace_or_array, state)
    start, end, sample, threshold = _check_query(values.shape, span, threshold, sample)
    on = values >= threshold                                       # (N, L, H)
    selected = np.flatnonzero(on[sample, start:end].all(axis=0))
    if selected.size == 0:
        return UnitSearch()
    inside = values[sample, start:end][:, selected].mean(axis=0)
    outside_steps = np.r_[0:start, end:values.shape[1]]
    outside = values[sample, outside_steps][:, selected].mean(axis=0) if outside_steps.size else 0.0
    unit_scores = inside - outside
    order = sorted(range(selected.size), key=lambda i: (-unit_scores[i], selected[i]))
    units = [int(selected[i]) for i in order]
    matches = _matches(values[:, :, units], on[:, :, units].all(axis=-1), sample, start, end)
    return UnitSearch(units, [float(unit_scores[i]) for i in order], matches)


def _matches(values: np.ndarray, all_on: np.ndarray, sample: int, start: int, end: int) -> list[Match]:
    """Every maximal run of ``all_on`` ``(N, L)`` but the query's, scored and ranked."""
    found = []
    for m in range(all_on.shape[0]):
        for s, e in _runs(all_on[m]):
            if m == sample and s <= start and end <= e:
                continue  # the query run itself
            found.append(Match(m, s, e, float(values[m, s:e].mean())))
    length = end - start
    return sorted(found, key=lambda match: (abs((match.end - match.start) - length), -match.score,
                                            match.sample, match.start))


def _runs(flags: np.ndarray) -> list[tuple[int, int]]:
    """The maximal runs ``[s, e)`` of True in a 1-D boolean array."""
    edges = np.diff(np.concatenate([[0], flags.astype(np.int8), [0]]))
    return list(zip(np.flatnonzero(edges == 1).tolist(), np.flatnonzero(edges == -1).tolist()))


def _check_query(shape, span, threshold, sample):
    samples, steps, _ = shape
    if isinstance(sample, bool) or not isinstance(sample, numbers.Integral):
        raise TypeError(f"find_units: `sample` must be an integer, got {describe(sample)}")
    if not 0 <= sample < samples:
        raise ValueError(f"find_units: `sample` must be in [0, {samples}) for {samples} samples, got {sample}")
    try:
        start, end = span
    except (TypeError, ValueError):
        raise TypeError(f"find_units: `span` must be a pair (start, end), got {describe(span)}") from None
    if any(isinstance(v, bool) or not isinstance(v, numbers.Integral) for v in (start, end)):
        raise TypeError(f"find_units: `span` must be a pair of integers (start, end), got {describe(span)}")
    if start >= end:
        raise ValueError(f"find_units: `span` must have start < end, got ({start}, {end})")
    if not 0 <= start < end <= steps:
        raise ValueError(f"find_units: `span` must lie within the sequence, 0 <= start < end <= {steps}, "
                         f"got ({start}, {end})")
    if isinstance(threshold, bool) or not isinstance(threshold, numbers.Real) or not math.isfinite(threshold):
        raise ValueError(f"find_units: `threshold` must be a finite number, got {threshold!r}")
    return int(start), int(end), int(sample), float(threshold)


def correlate_units(trace_or_array, signals: dict, state: str = "hidden") -> pd.DataFrame:
    """Pearson correlation of every unit's activation with every named signal, over all counted steps.

    Args:
        trace_or_array: a :class:`~seqlab.inspect.Trace` (masked steps are left out) or an
            ``(N, L, H)`` array.
        signals: ``{name: (N, L) array}``, e.g. position in the line, inside quotes, upper
            case; for a series its level, trend or day of week.
        state: which array of a Trace: ``'hidden'``, ``'cell'`` or a gate's name.

    Returns:
        A DataFrame, one row per unit (index ``unit``), one column per signal. A unit or
        signal that does not vary over the counted steps has no correlation: NaN.

    >>> import numpy as np, seqlab
    >>> a = np.stack([np.arange(6.0), -np.arange(6.0)], axis=-1)[None]   # (1, 6, 2)
    >>> seqlab.inspect.correlate_units(a, {"position": np.arange(6)[None]}).round(3).to_dict()
    {'position': {0: 1.0, 1: -1.0}}
    """
    values, counted = activations("correlate_units", trace_or_array, state)
    if not isinstance(signals, dict) or not signals:
        raise TypeError(f"correlate_units: `signals` must be a non-empty dict of name -> (N, L) array, "
                        f"got {describe(signals)}")
    units = values[counted]                                        # (counted steps, H)
    columns = {}
    for name, signal in signals.items():
        signal = np.asarray(signal, dtype="float64")
        if signal.shape != values.shape[:2]:
            raise ValueError(f"correlate_units: signal {name!r} must have shape (samples, timesteps) = "
                             f"{values.shape[:2]}, got {signal.shape}")
        columns[name] = _pearson(units, signal[counted])
    table = pd.DataFrame(columns)
    table.index.name = "unit"
    return table


def _pearson(units: np.ndarray, signal: np.ndarray) -> np.ndarray:
    """The correlation of each column of ``units`` with ``signal``; NaN where either is constant."""
    u = units - units.mean(axis=0)
    s = signal - signal.mean()
    spread = np.sqrt((u ** 2).sum(axis=0) * (s ** 2).sum())
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(spread > 0, (u * s[:, None]).sum(axis=0) / spread, np.nan)


def top_units(correlations: pd.DataFrame, k: int = 5) -> dict:
    """``{signal: Series}``: the ``k`` units most correlated with each signal (by ``|r|``,
    largest first; NaN last), their signed correlations as values, the unit as the index."""
    if isinstance(k, bool) or not isinstance(k, numbers.Integral) or k < 1:
        raise ValueError(f"top_units: `k` must be a positive integer, got {k!r}")
    return {name: column.reindex(column.abs().sort_values(ascending=False, kind="stable").index)[:k]
            for name, column in correlations.items()}


def top_units_table(correlations: dict, k: int = 3) -> pd.DataFrame:
    """The ``k`` best units per signal of several states in one long table.

    Args:
        correlations: ``{state: DataFrame}``, e.g. ``{'hidden': correlate_units(t, s),
            'cell': correlate_units(t, s, 'cell')}``.
        k: units per signal and state.

    Returns:
        Columns ``signal, state, rank, unit, r`` (rank 1 the largest ``|r|``, as :func:`top_units`),
        sorted by signal, state and rank.
    """
    rows = []
    for state, table in correlations.items():
        for signal, column in top_units(table, k).items():
            rows += [(signal, state, rank, int(unit), float(r)) for rank, (unit, r) in enumerate(column.items(), 1)]
    return pd.DataFrame(rows, columns=["signal", "state", "rank", "unit", "r"]).sort_values(
        ["signal", "state", "rank"], ignore_index=True)
