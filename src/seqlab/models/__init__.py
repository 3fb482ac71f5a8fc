"""Models: ``Sequential`` and loading saved models."""
from seqlab.models import saving
from seqlab.models.sequential import Sequential

# The classes a model file may name (its model.json "class_name"); a new model class saves and
# loads through the same code by adding itself here.
MODEL_CLASSES = {"Sequential": Sequential}


def load_model(filepath, custom_objects=None, compile: bool = True):
    """Load a model saved with ``model.save`` (weights + JSON config; runs no stored code).

    ``custom_objects={'rmse': rmse}`` supplies user loss, metric and regularizer functions saved
    by name.
    """
    return saving.load_model(filepath, MODEL_CLASSES, custom_objects=custom_objects, compile=compile)


__all__ = ["Sequential", "load_model"]
