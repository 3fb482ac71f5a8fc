"""The exceptions seqlab raises for its own failures.

Bad argument values raise ``ValueError`` and bad types ``TypeError`` (as Python does);
everything that is seqlab's own failure (a corrupt model file, a model used before it was
compiled, an invalid experiment spec) derives from :class:`SeqlabError`, so a caller (and the
CLI) can catch the library's failures in one place.
"""


class SeqlabError(Exception):
    """Base class of every failure that seqlab itself reports."""


class NotBuiltError(SeqlabError):
    """A model or layer was used in a way that needs weights before it had any."""


class NotCompiledError(SeqlabError):
    """``fit``/``evaluate`` was called on a model that was never compiled."""


class ModelFileError(SeqlabError):
    """A model file is missing, truncated, foreign or corrupted."""


def describe(value, limit: int = 60) -> str:
    """A short, readable rendering of a received value for error messages."""
    shape = getattr(value, "shape", None)
    if shape is not None and not isinstance(value, (int, float)):
        return f"{type(value).__name__} of shape {tuple(shape)}"
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."
