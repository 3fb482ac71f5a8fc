"""seqlab: a workbench for neural sequence models.

A Keras-style API on PyTorch, so the lecture notes' listings run with only their imports
changed (``import seqlab as keras`` serves ``keras.layers.LSTM``, ``keras.utils.to_categorical``
...; ``import seqlab as tf`` serves ``tf.keras.layers.LSTM``), while every model is also a plain
``torch.nn.Module``.
"""
from __future__ import annotations

import importlib
import sys

__version__ = "0.1.0"

_SUBMODULES = {
    "activations", "callbacks", "cli", "data", "datasets", "dtype_policies", "errors", "experiment", "forecast",
    "initializers", "inspect", "layers", "losses", "metrics", "mixed_precision", "models", "notebook", "optimizers",
    "preprocessing", "regularizers", "report", "stopping", "training", "tuning", "utils",
}
_NAMES = {
    "Sequential": "seqlab.models",
    "Model": "seqlab.models",
    "load_model": "seqlab.models",
    "Input": "seqlab.layers",
    "SeqlabError": "seqlab.errors",
}


def __getattr__(name: str):
    # Submodules load on first use: `import seqlab` stays cheap and free of import cycles.
    if name in _SUBMODULES:
        return importlib.import_module(f"seqlab.{name}")
    if name in _NAMES:
        return getattr(importlib.import_module(_NAMES[name]), name)
    if name == "keras":  # `import seqlab as tf` serves the notes' `tf.keras.layers.LSTM` listings
        return sys.modules[__name__]
    raise AttributeError(f"module 'seqlab' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | _SUBMODULES | set(_NAMES) | {"keras"})
