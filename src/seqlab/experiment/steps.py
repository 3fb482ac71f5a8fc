"""A named step of a run, shared by every task's runner (forecast, generate ...).

A bad value inside a step becomes a :class:`RunError` that names the step, so a failed run
folder says what it was doing.
"""
from __future__ import annotations

import contextlib

from seqlab import stopping
from seqlab.errors import SeqlabError


class RunError(SeqlabError):
    """A step of a run failed on a bad value (the message names the step)."""


@contextlib.contextmanager
def run_step(name: str, log):
    """A named step of a run: logged, and a bad value inside it is a :class:`RunError` naming it.
    Its start and end are the runner's safe points for a stop signal (fit's are its batches)."""
    stopping.check()
    log(f"· {name}")
    try:
        yield
    except (ValueError, TypeError) as error:
        if isinstance(error, SeqlabError):
            raise
        raise RunError(f"while {name}: {error}") from error
    stopping.check()
