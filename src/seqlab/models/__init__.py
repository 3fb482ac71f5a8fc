"""Models: ``Sequential`` and loading saved models."""
from seqlab.models.sequential import Sequential


def load_model(filepath, custom_objects=None, compile: bool = True):
    """Load a model saved with ``model.save`` (weights + JSON config; runs no stored code).

    ``custom_objects={'rmse': rmse}`` supplies user loss, metric and regularizer functions saved
    by name.
    """
    from seqlab.models.saving import load_model as _load

    return _load(filepath, custom_objects=custom_objects, compile=compile)


__all__ = ["Sequential", "load_model"]
