"""The error of a spec that cannot be run, at the bottom of ``seqlab.experiment``: every other
module of the package raises it, and it imports none of them.

A problem is ``(key_path, line, message)``; the line is looked up in the spec file's key index
(``Spec.lines``, written by :mod:`seqlab.experiment.load`), so an error found long after
loading (a missing column, a too short train part) still names the line to edit.
"""
from __future__ import annotations

import re

from seqlab.errors import SeqlabError


class SpecError(SeqlabError):
    """An experiment spec that cannot be run; ``problems`` lists ``(key_path, line, message)``."""

    def __init__(self, problems: list[tuple[str, int | None, str]], source: str | None = None):
        self.problems = list(problems)
        self.source = source
        where = f"{source}: " if source else ""
        lines = [_format(path, line, message) for path, line, message in self.problems]
        if len(lines) == 1:
            text = f"invalid spec {where}{lines[0]}"
        else:
            text = f"invalid spec {where}{len(lines)} problems:\n" + "\n".join(f"  {entry}" for entry in lines)
        super().__init__(text)


def _format(path: str, line: int | None, message: str) -> str:
    location = f"line {line}: " if line else ""
    return f"{location}{path}: {message}" if path else f"{location}{message}"


def locate(lines: dict[str, int], path: str) -> int | None:
    """The line of ``path`` or of its nearest written parent."""
    while path:
        if path in lines:
            return lines[path]
        last = re.search(r"(\[\d+\]|\.[^.\[\]]+)$", path)  # "[3]" or ".key"
        path = path[: last.start()] if last else ""
    return None


def spec_error(spec, path: str, message: str) -> SpecError:
    """A :class:`SpecError` about ``path`` of an already loaded spec (its ``lines`` and ``source``)."""
    return SpecError([(path, locate(spec.lines, path), message)], spec.source)
