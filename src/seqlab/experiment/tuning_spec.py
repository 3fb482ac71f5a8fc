"""A spec with search spaces, for ``seqlab tune``: checked whole before any training.

A trial's spec is the file's table with a value in place of each search space, checked by the
very function that checks every spec (:func:`~seqlab.experiment.validate.spec_from_dict`), so a
trial takes the road of ``seqlab run``. Before the first trial, that same check runs on every
choice and on both bounds of each range: a choice that is not valid for its key (a layer
``"GRUU"``, a learning rate of 0) is one error naming the key and the choice, not a failed
trial an hour later.

>>> import tempfile
>>> csv = tempfile.NamedTemporaryFile(suffix=".csv", delete=False).name
>>> tuning = tuning_spec_from_dict({
...     "data": {"path": csv, "targets": ["Close"]},
...     "model": {"layers": [{"type": {"choice": ["LSTM", "GRU"]}, "units": {"int": [4, 32], "log": True}},
...                          {"type": "Dense", "units": 1}]}}, base_dir=".")
>>> [space.path for space in tuning.spaces]
['model.layers[0].type', 'model.layers[0].units']
>>> tuning.trial_spec({"model.layers[0].type": "GRU", "model.layers[0].units": 8}).model.layers[0]
{'type': 'GRU', 'units': 8}
"""
from __future__ import annotations

import os
from dataclasses import dataclass

from seqlab.experiment.errors import SpecError, locate
from seqlab.experiment.load import line_index, read_spec_file
from seqlab.experiment.search_space import SearchSpace, find_search_spaces, parse_search_space, substitute
from seqlab.experiment.spec import Spec
from seqlab.experiment.validate import spec_from_dict

Problem = tuple  # (key path, line, message), as SpecError lists them


@dataclass
class TuningSpec:
    """A checked spec with search spaces.

    Attributes:
        table: the parsed TOML, search spaces in place.
        spaces: the search spaces, in the file's order.
        base: the spec with every space at its first candidate (its name, data, split, seed).
        text: the spec file's text, kept in the run folder so that a killed tuning resumes.
    """

    table: dict
    spaces: list[SearchSpace]
    base: Spec
    text: str = ""
    lines: dict | None = None
    source: str | None = None
    base_dir: str | None = None

    def trial_spec(self, values: dict) -> Spec:
        """The spec of one trial: ``values`` by key path (``"model.layers[0].units"``) in place of
        the search spaces, checked as every spec is (``SpecError`` naming the key and line)."""
        missing = [space.path for space in self.spaces if space.path not in values]
        if missing:
            raise ValueError(f"TuningSpec.trial_spec: `values` has no value for {', '.join(missing)}")
        table = substitute(self.table, {space.route: values[space.path] for space in self.spaces})
        return spec_from_dict(table, self.lines, self.source, self.base_dir)


def load_tuning_spec(path) -> TuningSpec:
    """Read a spec file with search spaces and check it (``SpecError`` listing every problem)."""
    path = os.fspath(path)
    data, text = read_spec_file(path)
    return tuning_spec_from_dict(data, line_index(text), path, os.path.dirname(os.path.abspath(path)), text)


def tuning_spec_from_dict(data: dict, lines: dict | None = None, source: str | None = None,
                          base_dir: str | None = None, text: str = "") -> TuningSpec:
    """Check a parsed spec with search spaces: their form, then the spec at every candidate value."""
    lines = dict(lines or {})
    problems: list[Problem] = []

    def fail(path: str, message: str) -> None:
        problems.append((path, locate(lines, path), message))

    if not isinstance(data, dict):
        raise SpecError([("", None, f"expected a table, got {data!r}")], source)
    if data.get("task", "forecast") != "forecast":
        # the trials, their objective and the final stage are the forecast runner's steps
        raise SpecError([("task", locate(lines, "task"), f"seqlab tune tunes task = 'forecast' specs, "
                                                         f"got task = {data.get('task')!r}")], source)
    found = find_search_spaces(data)
    if not found:
        fail("", "has no search space to tune; write one in place of a value, e.g. units = {int = [16, 128]} "
                 "or learning_rate = {float = [1e-4, 1e-2], log = true} (or train it with `seqlab run`)")
    spaces = [space for path, route, table in found
              if (space := parse_search_space(path, route, table, fail)) is not None]
    if problems:
        raise SpecError(problems, source)
    checked = _CandidateChecks(data, spaces, lines, source, base_dir)
    problems = checked.problems()
    if problems:
        raise SpecError(sorted(problems, key=lambda p: (p[1] is None, p[1] or 0, p[0], p[2])), source)
    base = checked.base_spec
    if base.task != "forecast":
        raise SpecError([("task", locate(lines, "task"), f"seqlab tune searches forecast specs only (for now), "
                                                         f"got task = {base.task!r}; run it with seqlab run")], source)
    if not _has_validation(base):
        key = "split.validation_start" if base.split.test_start else "split.validation"
        raise SpecError([(key, locate(lines, key), "tuning needs a validation part: its loss is what trials "
                                                   "are compared by (the test part is kept for the best trial); "
                                                   f"give {key} a value")], source)
    return TuningSpec(data, spaces, base, text, lines, source, base_dir)


def _has_validation(spec: Spec) -> bool:
    split = spec.split
    return split.validation_start is not None if split.test_start is not None else split.validation > 0


class _CandidateChecks:
    """The spec checked with each search space at each of its candidates, the others at their first.

    A problem that appears with every candidate of every space is the spec's own and is reported
    as is; one that comes and goes with a space's value is reported with that value (with each
    value it depends on, when several spaces are at their first value).
    """

    def __init__(self, data: dict, spaces: list[SearchSpace], lines: dict, source, base_dir):
        self.data, self.spaces, self.lines, self.source, self.base_dir = data, spaces, lines, source, base_dir
        self.first = {space.route: space.candidates()[0] for space in spaces}
        self.base_spec: Spec | None = None

    def _check(self, values: dict) -> set:
        try:
            spec = spec_from_dict(substitute(self.data, values), self.lines, self.source, self.base_dir)
        except SpecError as error:
            return set(error.problems)
        if values == self.first:
            self.base_spec = spec
        return set()

    def problems(self) -> list[Problem]:
        base = self._check(self.first)
        roles: dict[Problem, list[str]] = {}  # a problem of the first values -> the values it comes with
        found: set = set()
        for space in self.spaces:
            variants = [base if i == 0 else self._check({**self.first, space.route: value})
                        for i, value in enumerate(space.candidates())]
            common = set.intersection(*variants)
            for i, variant in enumerate(variants):
                for problem in variant - common - (base if i else set()):
                    where = "its search space" if problem[0] == space.path else f"the search space of {space.path}"
                    text = f"{space.candidate_role(i)} of {where}"
                    if i == 0:
                        roles.setdefault(problem, []).append(text)
                    else:
                        found.add((problem[0], problem[1], f"{problem[2]} ({text})"))
        for (path, line, message) in base:
            found.add((path, line, f"{message} ({'; '.join(roles[(path, line, message)])})"
                       if (path, line, message) in roles else message))
        return sorted(found, key=lambda p: (p[1] is None, p[1] or 0, p[0], p[2]))
