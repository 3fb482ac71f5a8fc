"""Lambda: any callable as a layer, saved by its registered name only (never as code)."""
from __future__ import annotations

import inspect
import json

from seqlab.errors import SeqlabError, describe
from seqlab.layers.base import Layer
from seqlab.layers.serializable import get_registered_name, get_registered_object


class UnregisteredFunctionError(SeqlabError, ValueError):
    """A layer holding a function was asked for a config (to be saved) but the function has
    no registered name, and seqlab stores no code."""


class Lambda(Layer):
    """Wraps a function of the input tensor (or of a list of tensors) as a layer.

    The function may take ``training`` and ``mask`` keywords; they are passed when it does, as
    in Keras. To save a model holding a Lambda, register the function first with
    ``@seqlab.layers.register_keras_serializable()``: its config stores only that name, and
    saving an unregistered function (a Python ``lambda`` included) is refused with
    :class:`UnregisteredFunctionError`. Keras marshals the bytecode instead; seqlab never stores code.

    Args:
        function: the callable; its first argument is the input.
        output_shape: the output shape without the batch axis, or a registered function of the
            full input shape; inferred by running the layer on zeros when omitted.
        arguments: keyword arguments passed to ``function`` on every call (JSON values).

    Input shape: any. Output shape: what ``function`` returns.

    >>> import torch, seqlab
    >>> seqlab.layers.Lambda(lambda x: x ** 2)(torch.full((1, 2), 3.0)).tolist()
    [[9.0, 9.0]]
    """

    def __init__(self, function, output_shape=None, arguments=None, **kwargs):
        super().__init__(**kwargs)
        if not callable(function):
            raise TypeError(f"Lambda: `function` must be callable, got {describe(function)}")
        if arguments is not None and not isinstance(arguments, dict):
            raise TypeError(f"Lambda: `arguments` must be a dict of keyword arguments, got {describe(arguments)}")
        if output_shape is not None and not callable(output_shape):
            try:
                output_shape = tuple(None if s is None else int(s) for s in output_shape)
            except (TypeError, ValueError):
                raise TypeError(f"Lambda: `output_shape` must be a tuple of sizes (no batch axis) or a "
                                f"function of the input shape, got {describe(output_shape)}") from None
        self.function = function
        self.output_shape_argument = output_shape
        self.arguments = dict(arguments or {})
        parameters = _parameter_names(function)
        self._takes_training = "training" in parameters
        self._takes_mask = "mask" in parameters

    def forward(self, inputs, training=None, mask=None, **kwargs):
        # A Lambda takes whatever its function takes: a list of tensors makes it a layer of
        # several inputs (each converted and rank-checked), decided by its first call.
        if not self.built:
            self.takes_input_list = isinstance(inputs, (list, tuple))
        return super().forward(inputs, training=training, mask=mask, **kwargs)

    def check_rank(self, shape):
        """Any rank: the function decides what it accepts."""

    def check_built_sizes(self, shape):
        """Any sizes: the layer has no weights."""

    def call(self, inputs, training=False, mask=None):
        extra = dict(self.arguments)
        if self._takes_training:
            extra["training"] = training
        if self._takes_mask:
            extra["mask"] = mask
        return self.function(inputs, **extra)

    def compute_output_shape(self, input_shape):
        if self.output_shape_argument is None:
            return super().compute_output_shape(input_shape)
        if callable(self.output_shape_argument):
            return tuple(self.output_shape_argument(input_shape))
        batch = input_shape[0][0] if isinstance(input_shape, list) else input_shape[0]
        return (batch, *self.output_shape_argument)

    def get_config(self):
        config = {**super().get_config(), "function": self._function_name(self.function, "function")}
        shape = self.output_shape_argument
        if shape is not None:
            config["output_shape"] = self._function_name(shape, "output_shape") if callable(shape) else list(shape)
        try:
            json.dumps(self.arguments)
        except TypeError:
            raise UnregisteredFunctionError(
                f"Lambda layer '{self.name}': its `arguments` {describe(self.arguments)} are not plain JSON "
                "values, and seqlab stores no Python objects in a model file") from None
        config["arguments"] = dict(self.arguments)
        return config

    def _function_name(self, function, argument: str) -> str:
        name = get_registered_name(function)
        if name is None:
            own = getattr(function, "__name__", type(function).__name__)
            hint = ("a Python lambda has no name to store: define it with def, then register it"
                    if own == "<lambda>" else f"register it with @seqlab.layers.register_keras_serializable() "
                    f"(stored as 'Custom>{own}')")
            raise UnregisteredFunctionError(
                f"Lambda layer '{self.name}' cannot be saved: its `{argument}` {own!r} is not a registered "
                f"function, and seqlab stores functions by name only (never pickled or marshalled); {hint}, "
                "or write a Layer subclass with get_config")
        return name

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["function"] = _lookup(config["function"], "function")
        if isinstance(config.get("output_shape"), str):
            config["output_shape"] = _lookup(config["output_shape"], "output_shape")
        return cls(**config)

    def __repr__(self):
        # get_config refuses unregistered functions; a repr must never fail.
        return f"Lambda({getattr(self.function, '__name__', type(self.function).__name__)})"


def _lookup(name, argument: str):
    function = get_registered_object(name) if isinstance(name, str) else None
    if function is None:
        raise ValueError(f"Lambda: the `{argument}` {describe(name)} is not registered in this program; "
                         "import the module that registers it (@seqlab.layers.register_keras_serializable) "
                         "before loading")
    return function


def _parameter_names(function) -> set[str]:
    try:
        return set(inspect.signature(function).parameters)
    except (TypeError, ValueError):  # some builtins have no signature: pass nothing extra
        return set()
