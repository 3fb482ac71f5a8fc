"""Dense and Activation: the feed-forward layers of the notes."""
from __future__ import annotations

from seqlab import activations, initializers
from seqlab.checks import check_bool, check_int
from seqlab.layers.base import Layer
from seqlab.layers.penalties import check_regularizer


class Dense(Layer):
    """Fully connected layer: ``activation(inputs @ kernel + bias)``.

    Applied to an input of more than two axes, it works on the last axis, as in Keras.

    Input shape: ``(N, ..., features)``. Output shape: ``(N, ..., units)``.

    Args:
        units: number of outputs.
        activation: a name from :mod:`seqlab.activations` or a callable; default linear.
        use_bias: whether to add a bias.
        kernel_initializer / bias_initializer: names or initialisers.
        kernel_regularizer / bias_regularizer / activity_regularizer: penalties on the kernel,
            the bias and the output, added to the loss (see :mod:`seqlab.regularizers`).

    >>> import torch, seqlab
    >>> layer = seqlab.layers.Dense(3, activation='relu')
    >>> layer(torch.ones(2, 4)).shape
    torch.Size([2, 3])
    """

    supports_masking = True
    weight_regularizer_arguments = {"kernel": "kernel_regularizer", "bias": "bias_regularizer"}
    input_min_ndim = 2  # (batch, ..., features)

    def __init__(
        self,
        units: int,
        activation=None,
        use_bias: bool = True,
        kernel_initializer="glorot_uniform",
        bias_initializer="zeros",
        kernel_regularizer=None,
        bias_regularizer=None,
        activity_regularizer=None,
        **kwargs,
    ):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self.units = check_int("Dense", "units", units)
        self.activation = activations.get(activation)
        self.use_bias = check_bool("Dense", "use_bias", use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = check_regularizer("Dense", "kernel_regularizer", kernel_regularizer)
        self.bias_regularizer = check_regularizer("Dense", "bias_regularizer", bias_regularizer)

    def rank_error(self, shape):
        if self.built:
            return super().rank_error(shape)
        return self._features_error(shape)

    def validate_input_shape(self, input_shape):
        if input_shape[-1] is None:
            raise self._features_error(input_shape)

    def _features_error(self, shape):
        return ValueError(f"layer '{self.name}' (Dense) needs inputs whose last axis has a fixed size, "
                          f"got shape {tuple(shape)}")

    def build(self, input_shape):
        features = input_shape[-1]
        self.add_weight("kernel", (features, self.units), self.kernel_initializer)
        if self.use_bias:
            self.add_weight("bias", (self.units,), self.bias_initializer)

    def call(self, inputs, training=False, mask=None):
        outputs = inputs @ self.kernel
        if self.use_bias:
            outputs = outputs + self.bias
        return self.activation(outputs)

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], self.units)

    def get_config(self):
        return {
            **super().get_config(),
            "units": self.units,
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            **self.regularizer_config(),
        }


class Activation(Layer):
    """Applies an activation function by name, e.g. ``Activation('relu')``."""

    supports_masking = True

    def __init__(self, activation, **kwargs):
        super().__init__(**kwargs)
        self.activation = activations.get(activation)

    def call(self, inputs, training=False, mask=None):
        return self.activation(inputs)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "activation": activations.serialize(self.activation)}
