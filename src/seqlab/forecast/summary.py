"""Saying plainly how a model did against the baselines: sentences and a table, as text (the
CLI's) or HTML (the report's, and a notebook's through :class:`MetricTable`).

Used by the CLI, the HTML report and notebooks, so they can never disagree.
"""
from __future__ import annotations

import html
import math
from dataclasses import dataclass, field

COLUMNS = {"mae": "MAE", "rmse": "RMSE", "mape": "MAPE %", "smape": "sMAPE %", "mase": "MASE",
           "skill": "skill vs persistence"}


def verdicts(metrics: dict, model: str = "model", labels: dict | None = None) -> list[str]:
    """One plain sentence per target: which baselines the model fails to beat, by MAE.

    Args:
        metrics: ``{target: {forecast_name: {"mae": ..., ...}}}`` as from ``score_by_target``.
        model: the name of the model's forecast.
        labels: readable names of the baselines (``{"seasonal_naive": "seasonal naive (5)"}``).

    >>> table = {"Close": {"model": {"mae": 2.0}, "persistence": {"mae": 1.5}, "drift": {"mae": 2.5}}}
    >>> verdicts(table)
    ['Close: the model (MAE 2) does NOT beat persistence (MAE 1.5, 25.0% lower error).']
    """
    labels = labels or {}
    sentences = []
    for target, table in metrics.items():
        baselines = [name for name in table if name != model and _finite(table[name].get("mae"))]
        if model not in table or not baselines:
            continue
        own = table[model]["mae"]
        if not _finite(own):
            reason = table[model].get("undefined", {}).get("mae", "it is not a finite number")
            sentences.append(f"{target}: the model's MAE is undefined ({reason}); it beats no baseline.")
            continue
        losses = [name for name in baselines if own >= table[name]["mae"]]
        if not losses:
            best = min(baselines, key=lambda name: table[name]["mae"])
            gain = 100.0 * (1.0 - own / table[best]["mae"]) if table[best]["mae"] > 0 else math.inf
            sentences.append(
                f"{target}: the model beats every baseline; MAE {own:.4g} vs {table[best]['mae']:.4g} "
                f"for the best of them ({labels.get(best, best)}), {gain:.1f}% lower."
            )
            continue
        parts = [f"{labels.get(name, name)} (MAE {table[name]['mae']:.4g}, "
                 f"{_lower_by(table[name]['mae'], own)})" for name in losses]
        sentences.append(f"{target}: the model (MAE {own:.4g}) does NOT beat {', '.join(parts)}.")
    return sentences


def _finite(value) -> bool:
    return value is not None and math.isfinite(value)


def _lower_by(baseline: float, own: float) -> str:
    # a tie (both exact) is not a win for the model either
    return f"{100.0 * (1.0 - baseline / own):.1f}% lower error" if own > 0 else "equally exact"


def beats_all(metrics: dict, model: str = "model") -> bool:
    """Whether the model's MAE is below every baseline's, for every target."""
    return all(
        _finite(table[model]["mae"]) and (not _finite(row["mae"]) or table[model]["mae"] < row["mae"])
        for table in metrics.values() for name, row in table.items() if name != model
    )


def format_number(value) -> str:
    """Four significant digits; whole numbers with separators up to 10^15, then ``1.234e+300``
    (a 300-digit number is not readable); ``n/a`` for an undefined metric.

    >>> format_number(0.123456), format_number(123456.7), format_number(8.129e298), format_number(None)
    ('0.1235', '123,457', '8.129e+298', 'n/a')
    """
    if value is None:
        return "n/a"
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if abs(value) < 1e5:
        return f"{value:,.4g}"
    return f"{value:,.0f}" if abs(value) < 1e15 else f"{value:.4g}"


def best_values(rows, columns) -> dict:
    """``{column: best value}`` over ``rows`` (dicts of metrics): the highest skill, the lowest of
    the others. Only finite values compete: an undefined (``None``) or overflowed (``inf``, NaN)
    value is never best. Both the text table and the HTML report mark the best with this."""
    best = {}
    for column in columns:
        values = [row.get(column) for row in rows
                  if row.get(column) is not None and math.isfinite(row.get(column))]
        if values:
            best[column] = max(values) if column == "skill" else min(values)
    return best


def _layout(table: dict, metrics, model: str):
    """The forecasts (the model first), the columns, and the best value of each column (marked
    only when there is something to compare: two forecasts or more)."""
    columns = list(metrics) + (["skill"] if any("skill" in row for row in table.values()) else [])
    names = [model] + [name for name in table if name != model] if model in table else list(table)
    best = best_values([table[name] for name in names], columns) if len(names) > 1 else {}
    return names, columns, best


def text_table(table: dict, metrics=("mae", "rmse", "mape", "smape", "mase"), labels: dict | None = None,
               model: str = "model") -> str:
    """A fixed-width table, one row per forecast (the model first), marking the best per column.

    >>> print(text_table({"model": {"mae": 1.0}, "persistence": {"mae": 2.0}}, metrics=("mae",)))
    forecast     MAE
    model          1*
    persistence    2
    """
    labels = labels or {}
    names, columns, best = _layout(table, metrics, model)
    rows = [["forecast"] + [COLUMNS.get(column, column) + " " for column in columns]]
    for name in names:
        cells = [labels.get(name, name)]
        for column in columns:
            value = table[name].get(column)
            mark = "*" if value is not None and value == best.get(column) else " "
            cells.append(format_number(value) + mark)
        rows.append(cells)
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    # names left-aligned, numbers right-aligned (a trailing '*' marks the best)
    return "\n".join(
        "  ".join(cell.ljust(width) if i == 0 else cell.rjust(width) for i, (cell, width) in enumerate(zip(row, widths))).rstrip()
        for row in rows
    )


def html_table(table: dict, metrics=("mae", "rmse", "mape", "smape", "mase"), labels: dict | None = None,
               model: str = "model") -> str:
    """The same table as HTML: the best of each column in bold (class ``best``), a negative
    skill marked ``neg``, the model's row ``model`` (the report's stylesheet colours them).

    >>> html_table({"model": {"mae": 1.0}, "persistence": {"mae": 2.0}}, metrics=("mae",))[:60]
    '<table><thead><tr><th>forecast</th><th>MAE</th></tr></thead>'
    """
    labels = labels or {}
    names, columns, best = _layout(table, metrics, model)
    head = "".join(f"<th>{html.escape(COLUMNS.get(c, c))}</th>" for c in columns)
    body = []
    for name in names:
        cells = []
        for column in columns:
            value = table[name].get(column)
            is_best = value is not None and value == best.get(column)
            negative = column == "skill" and value is not None and value < 0
            text = html.escape(format_number(value))
            classes = " ".join(c for c, on in (("best", is_best), ("neg", negative)) if on)
            cells.append(f'<td class="{classes}">' + (f"<strong>{text}</strong>" if is_best else text) + "</td>")
        body.append(f'<tr class="{"model" if name == model else ""}"><td>{html.escape(labels.get(name, name))}</td>'
                    f'{"".join(cells)}</tr>')
    return f"<table><thead><tr><th>forecast</th>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


@dataclass(frozen=True)
class MetricTable:
    """One target's metrics table: ``str()`` is the fixed-width text the CLI prints; in a
    notebook it shows as the report's HTML table (``_repr_html_``).

    >>> print(MetricTable({"model": {"mae": 1.0}, "persistence": {"mae": 2.0}}, metrics=("mae",)))
    forecast     MAE
    model          1*
    persistence    2
    """

    table: dict
    metrics: tuple = ("mae", "rmse", "mape", "smape", "mase")
    labels: dict = field(default_factory=dict)
    model: str = "model"

    def __str__(self) -> str:
        return text_table(self.table, self.metrics, self.labels, self.model)

    def _repr_pretty_(self, printer, cycle) -> None:
        printer.text(str(self))  # IPython's plain text: the table, not the fields

    def _repr_html_(self) -> str:
        return html_table(self.table, self.metrics, self.labels, self.model)
