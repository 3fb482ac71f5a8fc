"""Models: ``Sequential`` and loading saved models."""
from seqlab.models.sequential import Sequential


def load_model(filepath, compile: bool = True):
    """Load a model saved with ``model.save`` (weights + JSON config; runs no stored code)."""
    from seqlab.models.saving import load_model as _load

    return _load(filepath, compile=compile)


__all__ = ["Sequential", "load_model"]
