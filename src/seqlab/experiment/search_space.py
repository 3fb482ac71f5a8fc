"""Search spaces in a spec, for ``seqlab tune``: a TOML inline table in place of a value.

::

    units = {int = [16, 128], log = true}            # an integer in [16, 128], sampled on a log scale
    learning_rate = {float = [1e-4, 1e-2], log = true}
    dropout = {float = [0.0, 0.5], step = 0.1}       # 0.0, 0.1, ... 0.5
    type = {choice = ["LSTM", "GRU"]}

A table holding ``int``, ``float`` or ``choice`` is a search space (no other table of a spec
has those keys). This module finds them, checks their form (bounds ordered, ``log`` only with
positive bounds, choices non-empty) and puts values in their place; whether each value is
valid *for its key* is the spec's own checks' job (:mod:`seqlab.experiment.tuning_spec` runs
them on every choice and both bounds). Only keys that leave the objective — the loss on the
same validation rows, on the same scale — comparable between trials may be searched.

>>> spaces = find_search_spaces({"training": {"learning_rate": {"float": [1e-4, 1e-2], "log": True}}})
>>> [(path, table) for path, _, table in spaces]
[('training.learning_rate', {'float': [0.0001, 0.01], 'log': True})]
"""
from __future__ import annotations

import copy
import math
import numbers
import re
from dataclasses import dataclass
from typing import Callable, Union

KINDS = ("int", "float", "choice")
_OPTIONS = {"int": ("log", "step"), "float": ("log", "step"), "choice": ()}
# The keys a trial may change: the model, the optimiser and how long and how it trains, the
# look-back of its windows. Not the data, the split, the scaling, the loss or the evaluation:
# they change the rows or the scale on which the objective (the validation loss) is measured.
_SEARCHABLE = re.compile(r"model\.layers\[\d+\]\.[^.\[\]]+|windows\.(look_back|stride)"
                         r"|training\.(epochs|batch_size|optimizer|learning_rate|shuffle)"
                         r"|training\.early_stopping\.(patience|min_delta)")
SEARCHABLE_KEYS = ("model.layers[i].<argument or type>", "windows.look_back", "windows.stride",
                   "training.epochs", "training.batch_size", "training.optimizer", "training.learning_rate",
                   "training.shuffle", "training.early_stopping.patience", "training.early_stopping.min_delta")

Key = Union[str, int]
Fail = Callable[[str, str], None]


@dataclass(frozen=True)
class SearchSpace:
    """One searched key: ``path`` as errors name it (``model.layers[0].units``), ``route`` the
    keys and list positions that reach it in the parsed TOML."""

    path: str
    route: tuple
    kind: str  # "int", "float" or "choice"
    low: float | int | None = None
    high: float | int | None = None
    log: bool = False
    step: float | int | None = None
    choices: tuple = ()

    def candidates(self) -> list:
        """The values the spec checks try before any training: both bounds, or every choice."""
        return list(self.choices) if self.kind == "choice" else [self.low, self.high]

    def candidate_role(self, index: int) -> str:
        """``"the choice 'GRU'"``, ``"the lower bound 16"``: what the spec checks tried."""
        if self.kind == "choice":
            return f"the choice {self.choices[index]!r}"
        return f"the {'lower' if index == 0 else 'upper'} bound {self.candidates()[index]!r}"


def describe_table(table: dict) -> str:
    """A search space as written in TOML: ``{int = [16, 128], log = true}``."""
    return "{" + ", ".join(f"{key} = {_toml(value)}" for key, value in table.items()) + "}"


def _toml(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    return f'"{value}"' if isinstance(value, str) else repr(value)


def is_search_space(value) -> bool:
    return isinstance(value, dict) and any(kind in value for kind in KINDS)


def find_search_spaces(data, route: tuple = ()) -> list[tuple[str, tuple, dict]]:
    """Every search space in a parsed spec, as ``(path, route, table)``, in the file's order."""
    if is_search_space(data):
        return [(path_of(route), route, data)]
    if isinstance(data, dict):
        items = data.items()
    elif isinstance(data, list):
        items = enumerate(data)
    else:
        return []
    return [found for key, value in items for found in find_search_spaces(value, route + (key,))]


def path_of(route: tuple) -> str:
    """``("model", "layers", 0, "units")`` → ``"model.layers[0].units"``."""
    text = ""
    for key in route:
        text += f"[{key}]" if isinstance(key, int) else (f".{key}" if text else str(key))
    return text


def parse_search_space(path: str, route: tuple, table: dict, fail: Fail) -> SearchSpace | None:
    """Check the form of one search space (``fail(path, message)`` for each mistake)."""
    if not _SEARCHABLE.fullmatch(path):
        fail(path, "cannot be searched: trials are compared by their loss on the same validation rows, on "
                   "the same scale, so the data, split, scaling, loss and evaluation stay fixed; searchable "
                   f"keys: {', '.join(SEARCHABLE_KEYS)}")
        return None
    kinds = [kind for kind in KINDS if kind in table]
    if len(kinds) > 1:
        fail(path, f"a search space gives one of int, float or choice, got {' and '.join(kinds)}")
        return None
    kind = kinds[0]
    allowed = _OPTIONS[kind]
    unknown = [key for key in table if key not in (kind,) + allowed]
    if unknown:
        known = f"with {' and '.join(allowed)}" if allowed else "alone"
        fail(path, f"unknown key {unknown[0]!r} in a search space; {kind} takes {known}")
        return None
    if kind == "choice":
        return _parse_choice(path, route, table["choice"], fail)
    return _parse_range(path, route, kind, table, fail)


def _parse_choice(path: str, route: tuple, choices, fail: Fail) -> SearchSpace | None:
    if not isinstance(choices, list) or not choices:
        fail(path, f"`choice` must be a non-empty list of values, got {choices!r}")
        return None
    for value in choices:
        # Optuna stores a choice as a plain value: a string, a number or a boolean
        if not isinstance(value, (str, bool, numbers.Real)):
            fail(path, f"each choice must be a string, number or boolean, got {value!r}")
            return None
    repeated = [value for i, value in enumerate(choices) if value in choices[:i]]
    if repeated:
        fail(path, f"`choice` lists {repeated[0]!r} more than once")
        return None
    return SearchSpace(path, route, "choice", choices=tuple(choices))


def _parse_range(path: str, route: tuple, kind: str, table: dict, fail: Fail) -> SearchSpace | None:
    bounds = table[kind]
    number = (lambda v: isinstance(v, int) and not isinstance(v, bool)) if kind == "int" else (
        lambda v: isinstance(v, numbers.Real) and not isinstance(v, bool) and math.isfinite(v))
    expected = "integers" if kind == "int" else "finite numbers"
    if not (isinstance(bounds, list) and len(bounds) == 2 and all(number(v) for v in bounds)):
        fail(path, f"`{kind}` must be [low, high], two {expected}, got {bounds!r}")
        return None
    low, high = bounds if kind == "int" else (float(bounds[0]), float(bounds[1]))
    if not low < high:
        fail(path, f"`{kind}` must be [low, high] with low < high, got [{bounds[0]}, {bounds[1]}]")
        return None
    log, step = table.get("log", False), table.get("step")
    if not isinstance(log, bool):
        fail(path, f"`log` must be true or false, got {log!r}")
        return None
    if log and low <= 0:
        fail(path, f"`log = true` needs bounds above 0, got [{bounds[0]}, {bounds[1]}]")
        return None
    if step is not None:
        if log:
            fail(path, "`step` and `log = true` cannot be combined (a log scale has no even step)")
            return None
        if not number(step) or step <= 0:
            fail(path, f"`step` must be a positive {'integer' if kind == 'int' else 'number'}, got {step!r}")
            return None
        count = (high - low) / step
        if abs(count - round(count)) > 1e-9 * max(1.0, abs(count)):
            fail(path, f"high - low = {high - low:g} must be a multiple of `step` = {step}")
            return None
    return SearchSpace(path, route, kind, low, high, log, step)


def substitute(data: dict, values: dict[tuple, object]) -> dict:
    """A deep copy of the parsed spec with each route's search space replaced by a value."""
    result = copy.deepcopy(data)
    for route, value in values.items():
        holder = result
        for key in route[:-1]:
            holder = holder[key]
        holder[route[-1]] = value
    return result
