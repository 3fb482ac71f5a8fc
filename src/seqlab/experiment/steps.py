"""A named step of a run, shared by every task's runner: logged, and a bad value inside it is a
:class:`RunError` naming the step."""
from __future__ import annotations

import contextlib

from seqlab.errors import SeqlabError


class RunError(SeqlabError):
    """A step of a run failed on a bad value (the message names the step)."""


@contextlib.contextmanager
def run_step(name: str, log):
    """A named step of a run: logged, and a bad value inside it is a :class:`RunError` naming it."""
    log(f"· {name}")
    try:
        yield
    except (ValueError, TypeError) as error:
        if isinstance(error, SeqlabError):
            raise
        raise RunError(f"while {name}: {error}") from error
