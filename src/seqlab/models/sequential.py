"""``Sequential``: a stack of layers that is both a Keras-style model and a ``torch.nn.Module``.

The stack lives here (add, pop, build, forward, config); what every model has (weights, summary,
placement, the training and saving delegations to :mod:`seqlab.training` and
:mod:`seqlab.models.saving`) lives in its base, :class:`seqlab.models.model.Model`.
"""
from __future__ import annotations

from typing import Any

import torch
from torch import nn

from seqlab.checks import format_shape
from seqlab.errors import NotBuiltError, describe
from seqlab.layers import registry, symbolic
from seqlab.layers.base import OUTPUT_MASK, Layer
from seqlab.layers.shapes import Shape
from seqlab.layers.inputs import as_tensor_input
from seqlab.layers.input_layer import InputLayer
from seqlab.models.model import Model


class Sequential(Model):
    """A linear stack of layers.

    Input shape: whatever the first layer takes, e.g. ``(N, timesteps, features)``.
    Output shape: the last layer's output.

    >>> import seqlab
    >>> model = seqlab.models.Sequential([seqlab.layers.Input(shape=(7, 1)),
    ...                                   seqlab.layers.Dense(1)])
    >>> model.count_params()
    2
    """

    def __init__(self, layers=None, name: str | None = None, dtype=None):
        super().__init__(name=name or registry.unique_name("sequential"), dtype=dtype)
        self._layers = nn.ModuleList()
        self.input_spec: InputLayer | None = None
        for layer in layers or []:
            self.add(layer)

    # ---- structure --------------------------------------------------------------------
    @property
    def layers(self) -> list[Layer]:
        return list(self._layers)

    def add(self, layer: Layer) -> None:
        """Append a layer; the model is built as soon as its input shape is known."""
        if isinstance(layer, symbolic.SymbolicTensor) and isinstance(layer.layer, InputLayer):
            layer = layer.layer  # Keras 3: `add(Input(...))` adds the tensor's InputLayer
        if isinstance(layer, InputLayer):
            if self._layers or self.input_spec is not None:
                raise ValueError("an Input can only be the first entry of a Sequential model")
            self.input_spec = layer
            self.build()
            return
        if not isinstance(layer, Layer):
            raise TypeError(
                f"Sequential.add expects a seqlab layer, got {describe(layer)}; wrap torch "
                "modules in a seqlab layer or use them in plain PyTorch code"
            )
        if any(existing.name == layer.name for existing in self._layers):
            raise ValueError(f"a layer named {layer.name!r} is already in model '{self.name}'")
        if layer.batch_input_shape is not None and (self._layers or self.input_spec):
            raise ValueError(
                f"layer '{layer.name}' declares an input shape but is not the first layer"
            )
        self.apply_dtype_policy([layer])
        self._layers.append(layer)
        self.built = False
        if self.declared_input_shape() is not None:
            self.build()

    def pop(self) -> Layer:
        if not self._layers:
            raise ValueError(f"model '{self.name}' has no layers to pop")
        layer = self._layers[-1]
        del self._layers[-1]
        self.output_shapes = self.output_shapes[: len(self._layers)]
        return layer

    def keyed_layers(self) -> list:
        """``(layer name, layer)``: a graph's weights are keyed by layer names, as in Keras."""
        return [(layer.name, layer) for layer in self.layers]

    def declared_input_shape(self) -> Shape | None:
        if self.input_spec is not None:
            return self.input_spec.batch_input_shape
        if self._layers and self._layers[0].batch_input_shape is not None:
            return self._layers[0].batch_input_shape
        return None

    @property
    def input_shape(self) -> Shape | None:
        return self.declared_input_shape() or (self._layers[0].input_shape_ if self.built else None)

    @property
    def output_shape(self) -> Shape | None:
        return self.output_shapes[-1] if self.output_shapes else None

    # ---- build and run ----------------------------------------------------------------
    def build(self, input_shape: Shape | None = None) -> None:
        """Create every layer's weights for inputs of ``input_shape`` (batch axis included)."""
        shape = tuple(input_shape) if input_shape is not None else self.declared_input_shape()
        if shape is None:
            raise NotBuiltError(
                f"model '{self.name}' cannot be built: its input shape is unknown. Give the "
                "first layer an input_shape=..., start with Input(shape=...), or call fit() / "
                "build((None, timesteps, features))"
            )
        self.output_shapes = []
        device = self.device
        for index, layer in enumerate(self._layers):
            if not layer.built:
                try:
                    layer.build_from_shape(shape)
                except ValueError:
                    self._explain_lost_timesteps(index, shape)
                    raise
                layer.to(device)
            shape = tuple(layer.compute_output_shape(shape))
            self.output_shapes.append(shape)
        self.built = bool(self._layers)

    def _explain_lost_timesteps(self, index: int, shape: Shape) -> None:
        # The notes' stacked LSTMs: a recurrent layer without return_sequences=True passes on
        # only its last output, so the next sequence layer gets 2-D input. Say which layer to fix.
        previous = self._layers[index - 1] if index else None
        if len(shape) == 2 and getattr(previous, "return_sequences", None) is False:
            layer = self._layers[index]
            raise ValueError(
                f"layer '{layer.name}' ({type(layer).__name__}) gets the output of '{previous.name}' "
                f"({type(previous).__name__}) of shape {format_shape(shape)}: only its last timestep. "
                f"Give '{previous.name}' return_sequences=True to pass every timestep on"
            ) from None

    def forward(self, inputs: torch.Tensor, training: bool | None = None, mask=None):
        if not self._layers:
            raise NotBuiltError(f"model '{self.name}' has no layers")
        inputs = as_tensor_input(inputs, self)
        if not self.built:
            self.build((None, *tuple(inputs.shape[1:])))
            if self._placement is None and self.device != inputs.device:
                self.to(inputs.device)  # like torch's lazy modules: the first input decides
        outputs = inputs
        for layer in self._layers:
            new_outputs = layer(outputs, training=training, mask=mask)
            mask = layer.compute_mask(outputs, mask)
            outputs = new_outputs
        if mask is not None and isinstance(outputs, torch.Tensor):
            # Keras's convention: a sequence output carries its timestep mask.
            setattr(outputs, OUTPUT_MASK, mask)
        return outputs

    # ---- config -----------------------------------------------------------------------
    def get_config(self) -> dict[str, Any]:
        layers = [registry.serialize(layer) for layer in self._layers]
        if self.input_spec is not None:
            layers.insert(0, registry.serialize(self.input_spec))
        return {"name": self.name, "layers": layers}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> "Sequential":
        return cls([registry.deserialize(spec) for spec in config["layers"]], name=config.get("name"))

    def __repr__(self) -> str:
        inner = ",\n".join(f"  {layer!r}" for layer in self._layers)
        return f"Sequential(name={self.name!r}, layers=[\n{inner}\n])"
