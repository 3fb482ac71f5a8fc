"""Models: ``Model`` (functional graphs and subclasses), ``Sequential``, and loading saved models."""
from seqlab.models import saving
from seqlab.models.functional import Functional
from seqlab.models.model import Model
from seqlab.models.sequential import Sequential

# The classes a model file may name (its model.json "class_name"); a new model class saves and
# loads through the same code by adding itself here. A user's subclass of Model is named by
# the caller through `custom_objects`, as in Keras.
MODEL_CLASSES = {"Sequential": Sequential, "Functional": Functional, "Model": Functional}


def load_model(filepath, custom_objects=None, compile: bool = True):
    """Load a model saved with ``model.save`` (weights + JSON config; runs no stored code).

    ``custom_objects={'rmse': rmse}`` supplies user loss, metric and regularizer functions saved
    by name, and ``{'MyModel': MyModel}`` a subclassed model's class.
    """
    classes = dict(MODEL_CLASSES)
    for name, value in (custom_objects or {}).items():
        if isinstance(value, type) and issubclass(value, Model):
            classes[name] = value
    return saving.load_model(filepath, classes, custom_objects=custom_objects, compile=compile)


__all__ = ["Model", "Functional", "Sequential", "load_model"]
