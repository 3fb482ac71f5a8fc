"""``Input``: declares the shape of one sample (and optionally a fixed batch size)."""
from __future__ import annotations

from seqlab.layers.base import Layer


class InputLayer(Layer):
    """Marks a model's input shape; the identity on data. ``Sequential`` does not list it in
    ``model.layers`` (as Keras 3), it only uses its shape to build the model at once."""

    def __init__(self, shape=None, batch_size=None, **kwargs):
        if shape is not None and "input_shape" not in kwargs and "batch_input_shape" not in kwargs:
            kwargs["input_shape"] = shape
        super().__init__(batch_size=batch_size, **kwargs)

    def call(self, inputs, training=False, mask=None):
        return inputs

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)


def Input(shape=None, batch_size=None, name=None, dtype=None, batch_shape=None) -> InputLayer:
    """Declare a model's input: ``Input(shape=(timesteps, features), batch_size=None)``.

    ``batch_shape`` (Keras 3) is the full shape including a fixed batch size.
    """
    if batch_shape is not None:
        return InputLayer(batch_input_shape=batch_shape, name=name, dtype=dtype)
    return InputLayer(shape=shape, batch_size=batch_size, name=name, dtype=dtype)
