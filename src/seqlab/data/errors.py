"""The data pipeline's own failures.

Both derive from :class:`seqlab.errors.SeqlabError` (the library's failures, caught in one place
by the CLI) and from ``ValueError`` (what a caller catching bad values expects).
"""
from seqlab.errors import SeqlabError


class LeakageError(SeqlabError, ValueError):
    """Data from the validation or test part was about to inform training (e.g. a scaler's fit)."""


class DataFileError(SeqlabError, ValueError):
    """A data file is empty, lacks a column, holds a bad value or has unusable timestamps."""
