"""Wrappers: ``Bidirectional`` (a recurrent layer run both ways) and ``TimeDistributed``."""
from __future__ import annotations

import torch

from seqlab.errors import describe
from seqlab.layers import registry
from seqlab.layers.base import Layer

_MERGE_MODES = ("concat", "sum", "mul", "ave", None)


class _Wrapper(Layer):
    """Weights of wrapped layers, named ``<attribute>.<weight>``, in Keras's order."""

    _wrapped: tuple[str, ...] = ()

    def weight_names(self):
        return [f"{attr}.{name}" for attr in self._wrapped for name in getattr(self, attr).weight_names()]

    def keras_weight(self, name):
        attr, inner = name.split(".", 1)
        return getattr(self, attr).keras_weight(inner)

    def set_keras_weight(self, name, value):
        attr, inner = name.split(".", 1)
        getattr(self, attr).set_keras_weight(inner, value)

    def build_from_shape(self, input_shape):
        super().build_from_shape(input_shape)
        if not self.trainable:
            for parameter in self.parameters():
                parameter.requires_grad_(False)

    def reset_states(self, states=None):
        for attr in self._wrapped:
            getattr(self, attr).reset_states()

    def summary_note(self):
        notes = {getattr(getattr(self, attr), "summary_note", lambda: None)() for attr in self._wrapped}
        return "; ".join(sorted(n for n in notes if n)) or None


def _copy_layer(layer: Layer, name: str, **changes) -> Layer:
    spec = registry.serialize(layer)
    spec["config"].update(name=name, **changes)
    spec["config"].pop("batch_input_shape", None)
    # The regularizers themselves, not their configs: a user's function has no config.
    spec["config"].update(layer.regularizer_arguments())
    return registry.deserialize(spec)


class Bidirectional(_Wrapper):
    """Runs a recurrent layer forwards and a copy of it backwards, and merges the two outputs.

    Like Keras, the wrapped layer serves as a template: ``forward_layer`` and ``backward_layer``
    are fresh layers built from its config (named ``forward_<name>`` / ``backward_<name>``),
    the backward one with ``go_backwards`` flipped. With ``return_sequences`` the backward
    outputs are flipped back into input order before merging, so step ``t`` of the output sees
    the whole past (forward) and the whole future (backward) of input step ``t``; masked steps
    then output zeros (Keras forces ``zero_output_for_mask`` here).

    Input shape: ``(N, L, F)``. Output shape: the wrapped layer's, with ``2H`` units for
    ``'concat'``; a list ``[forward, backward]`` for ``merge_mode=None``; with
    ``return_state``, ``[output, *forward_states, *backward_states]``.

    Args:
        layer: a recurrent layer (SimpleRNN, LSTM, GRU).
        merge_mode: ``'concat'`` (default), ``'sum'``, ``'mul'``, ``'ave'`` or ``None``.
        backward_layer: an optional layer to use for the backward direction; it must have the
            opposite ``go_backwards`` and the same ``return_sequences``/``return_state``/
            ``stateful``.

    >>> import torch, seqlab
    >>> layer = seqlab.layers.Bidirectional(seqlab.layers.LSTM(4, return_sequences=True))
    >>> layer(torch.zeros(2, 5, 3)).shape, layer.count_params()
    (torch.Size([2, 5, 8]), 256)
    """

    supports_masking = True
    _wrapped = ("forward_layer", "backward_layer")
    input_ndim = 3  # (samples, timesteps, features), as the wrapped layer
    inputs_take_weight_dtype = False  # each direction casts the input to its own weights' dtype

    def __init__(self, layer, merge_mode="concat", backward_layer=None, **kwargs):
        if not isinstance(layer, Layer) or not hasattr(layer, "go_backwards"):
            raise TypeError(f"Bidirectional: `layer` must be a recurrent seqlab layer such as LSTM(...), "
                            f"got {describe(layer)}")
        if merge_mode not in _MERGE_MODES:
            raise ValueError(f"Bidirectional: `merge_mode` must be one of {list(_MERGE_MODES)}, "
                             f"got {merge_mode!r}")
        if layer.batch_input_shape is not None and "batch_input_shape" not in kwargs \
                and "input_shape" not in kwargs:
            kwargs["batch_input_shape"] = layer.batch_input_shape
        super().__init__(**kwargs)
        self.merge_mode = merge_mode
        if "dtype" in kwargs:  # Bidirectional(LSTM(4), dtype='float64') runs both in float64
            layer = _copy_layer(layer, layer.name, dtype=self.dtype_policy.name)
        # A layer rebuilt from a saved config is already named forward_<name>.
        stem = _strip(_strip(layer.name, "forward_"), "backward_")
        self.forward_layer = _copy_layer(layer, "forward_" + stem)
        if backward_layer is None:
            self.backward_layer = _copy_layer(layer, "backward_" + stem,
                                              go_backwards=not layer.go_backwards)
            self._custom_backward = False
        else:
            if not isinstance(backward_layer, Layer) or not hasattr(backward_layer, "go_backwards"):
                raise TypeError("Bidirectional: `backward_layer` must be a recurrent seqlab layer, "
                                f"got {describe(backward_layer)}")
            self.backward_layer = backward_layer
            self._custom_backward = True
        self._check_pair()
        for sub in (self.forward_layer, self.backward_layer):
            sub.zero_output_for_mask = sub.return_sequences
        self.return_sequences = self.forward_layer.return_sequences
        self.return_state = self.forward_layer.return_state
        self.stateful = self.forward_layer.stateful

    def _check_pair(self):
        forward, backward = self.forward_layer, self.backward_layer
        if forward.go_backwards == backward.go_backwards:
            raise ValueError(
                "Bidirectional: the forward and backward layers need different `go_backwards`, "
                f"got {forward.go_backwards} for both")
        for attribute in ("return_sequences", "return_state", "stateful"):
            a, b = getattr(forward, attribute), getattr(backward, attribute)
            if a != b:
                raise ValueError(f"Bidirectional: `{attribute}` must be the same in both directions, "
                                 f"got {a} (forward) and {b} (backward)")

    def rank_error(self, shape):
        return self.forward_layer.rank_error(shape)

    def validate_input_shape(self, input_shape):
        self.forward_layer.validate_input_shape(input_shape)

    def build(self, input_shape):
        for sub in (self.forward_layer, self.backward_layer):
            if not sub.built:
                sub.build_from_shape(input_shape)

    def call(self, inputs, training=False, mask=None, initial_state=None):
        forward_state = backward_state = None
        if initial_state is not None:
            half = len(initial_state) // 2
            forward_state, backward_state = initial_state[:half], initial_state[half:]
        y = self.forward_layer(inputs, training=training, mask=mask, initial_state=forward_state)
        y_rev = self.backward_layer(inputs, training=training, mask=mask, initial_state=backward_state)
        states = []
        if self.return_state:
            states = [*y[1:], *y_rev[1:]]
            y, y_rev = y[0], y_rev[0]
        if self.return_sequences:
            y_rev = y_rev.flip(1)
        output = merge(y, y_rev, self.merge_mode)
        if self.return_state:
            return [*output, *states] if self.merge_mode is None else [output, *states]
        return output

    def __repr__(self):
        parts = [repr(self.forward_layer)]
        if self.merge_mode != "concat":
            parts.append(f"merge_mode={self.merge_mode!r}")
        if self._custom_backward:
            parts.append(f"backward_layer={self.backward_layer!r}")
        return f"Bidirectional({', '.join(parts)})"

    def compute_output_shape(self, input_shape):
        shape = self.forward_layer.compute_output_shape(input_shape)
        if self.merge_mode == "concat":
            return (*shape[:-1], 2 * shape[-1])
        return shape

    def compute_mask(self, inputs, mask):
        return mask if self.return_sequences else None

    def get_config(self):
        config = {**super().get_config(), "layer": registry.serialize(self.forward_layer),
                  "merge_mode": self.merge_mode}
        if self._custom_backward:
            config["backward_layer"] = registry.serialize(self.backward_layer)
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["layer"] = registry.deserialize(config["layer"])
        if config.get("backward_layer") is not None:
            config["backward_layer"] = registry.deserialize(config["backward_layer"])
        return cls(**config)


def merge(y, y_rev, mode):
    if mode == "concat":
        return torch.cat([y, y_rev], dim=-1)
    if mode == "sum":
        return y + y_rev
    if mode == "mul":
        return y * y_rev
    if mode == "ave":
        return (y + y_rev) / 2
    return [y, y_rev]


def _strip(name: str, prefix: str) -> str:
    return name[len(prefix):] if name.startswith(prefix) else name


class TimeDistributed(_Wrapper):
    """Applies a layer to every timestep: ``(N, L, ...)`` → the layer on ``(N * L, ...)``.

    The usual use is a classifier on every output of a ``return_sequences`` recurrent layer:
    ``TimeDistributed(Dense(5, activation='softmax'))``. The weights are the wrapped layer's,
    shared across timesteps. A mask passes through unchanged.

    Input shape: ``(N, L, *inner)``. Output shape: ``(N, L, *layer_output)``.

    >>> import torch, seqlab
    >>> layer = seqlab.layers.TimeDistributed(seqlab.layers.Dense(5))
    >>> layer(torch.zeros(2, 7, 3)).shape
    torch.Size([2, 7, 5])
    """

    supports_masking = True
    _wrapped = ("layer",)
    input_min_ndim = 3  # (samples, timesteps, ...)

    def __init__(self, layer, **kwargs):
        if not isinstance(layer, Layer):
            raise TypeError(f"TimeDistributed: `layer` must be a seqlab layer, got {describe(layer)}")
        super().__init__(**kwargs)
        self.layer = layer

    def rank_error(self, shape):
        if self.built:
            return super().rank_error(shape)
        return ValueError(
            f"layer '{self.name}' (TimeDistributed) needs input of at least 3 dimensions "
            f"(samples, timesteps, ...), got shape {tuple(shape)}")

    def _inner_shape(self, input_shape):
        batch, steps = input_shape[:2]
        flat = batch * steps if batch is not None and steps is not None else None
        return (flat, *input_shape[2:])

    def build(self, input_shape):
        if not self.layer.built:
            self.layer.build_from_shape(self._inner_shape(input_shape))

    def call(self, inputs, training=False, mask=None):
        batch, steps = inputs.shape[:2]
        flat = inputs.reshape(batch * steps, *inputs.shape[2:])
        outputs = self.layer(flat, training=training)
        return outputs.reshape(batch, steps, *outputs.shape[1:])

    def __repr__(self):
        return f"TimeDistributed({self.layer!r})"

    def compute_output_shape(self, input_shape):
        inner = self.layer.compute_output_shape(self._inner_shape(input_shape))
        return (input_shape[0], input_shape[1], *inner[1:])

    def get_config(self):
        return {**super().get_config(), "layer": registry.serialize(self.layer)}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["layer"] = registry.deserialize(config["layer"])
        return cls(**config)
