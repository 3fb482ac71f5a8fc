"""The layer contract every seqlab layer follows (Keras's life cycle on a ``torch.nn.Module``).

``__init__`` stores and validates settings → ``build(input_shape)`` creates the weights once
the input's shape is known → ``call(inputs, training, mask, **kwargs)`` computes. ``forward``
(what ``layer(x)`` runs) is the one road into ``call``: it converts the input, checks its rank
against the layer's declared rule (``input_ndim`` / ``input_min_ndim``, Keras's ``InputSpec``),
builds on the first call and passes any extra call arguments (``initial_state``...) through.
``get_config()`` gives a JSON dict from which ``from_config`` rebuilds the layer; every subclass
is registered by class name (:mod:`seqlab.layers.registry`) so a saved model can be rebuilt
without running pickled code.

Shapes passed to ``build``/``compute_output_shape`` include the batch axis, with ``None`` for
sizes not fixed in advance: ``(None, timesteps, features)``.
"""
from __future__ import annotations

import inspect
from typing import Any

import torch
from torch import nn

from seqlab import initializers, regularizers
from seqlab.checks import format_shape
from seqlab.errors import NotBuiltError, describe
from seqlab.layers import allocation, penalties, registry, symbolic
from seqlab.layers import dtype_policy as policies
from seqlab.layers.inputs import as_tensor_input, in_layer_dtype
from seqlab.layers.shapes import (Shape, any_batch, declared_batch_shape, each_shape, first_input, known_sizes,
                                  probe_output_shape, shape_of)

# Keras's attribute name for the (N, T) timestep mask a model's output carries; losses and
# metrics read it to leave padded timesteps out.
OUTPUT_MASK = "_keras_mask"

# Devices with an autocast region a layer may be called in ('meta' tensors, for one, have none).
_AUTOCAST_DEVICES = ("cpu", "cuda")


class Layer(nn.Module):
    """Base class of all seqlab layers.

    Args:
        name: unique name within a model; derived from the class name when omitted.
        input_shape: shape of one sample, without the batch axis, e.g. ``(timesteps, features)``.
        batch_input_shape: the full shape including a fixed batch size (stateful models).
        batch_size: a fixed batch size, combined with ``input_shape``.
        input_dim: shorthand for ``input_shape=(input_dim,)`` (Keras 2).
        trainable: whether the weights are updated by ``fit``.
        dtype: the layer's dtype policy (:mod:`seqlab.layers.dtype_policy`): a name —
            ``'float32'``, ``'float64'``, ``'bfloat16'``, ``'mixed_bfloat16'``,
            ``'mixed_float16'`` (CUDA) — or a ``DTypePolicy``; None takes the global policy
            (``seqlab.mixed_precision.set_global_policy``), float32 unless set.
        activity_regularizer: a penalty on the layer's output, added to the loss (see
            :mod:`seqlab.regularizers`); every layer takes it, as in Keras 3.
    """

    supports_masking = False
    # Inputs are cast to the weights' dtype before ``call``; False for inputs that are ids (Embedding).
    inputs_take_weight_dtype = True
    # Keras weight name -> the argument holding its regularizer ({"kernel": "kernel_regularizer"})
    weight_regularizer_arguments: dict[str, str] = {}
    # The rank rule (axes, batch included), Keras's InputSpec(ndim=..., min_ndim=...): exactly
    # `input_ndim` axes when set, else at least `input_min_ndim`. `check_rank` is the one check
    # that reads it; building fixes `input_ndim` to the rank built for, as Keras's layers do.
    # Override `rank_error` for a message that names the layer's layout and the usual fix.
    input_ndim: int | None = None
    input_min_ndim: int = 1
    # Layers of several inputs (merging, attention) take a list of tensors, Keras's form: each
    # is converted and rank-checked as a single input is, and `build`, `validate_input_shape`,
    # `check_built_sizes` and `compute_output_shape` receive the list of their shapes.
    takes_input_list = False

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        registry.register(cls)

    def __init__(
        self,
        *,
        name: str | None = None,
        input_shape=None,
        batch_input_shape=None,
        batch_size: int | None = None,
        input_dim: int | None = None,
        trainable: bool = True,
        dtype: str | None = None,
        activity_regularizer=None,
    ):
        super().__init__()
        if name is not None and (not isinstance(name, str) or not name or "/" in name or "." in name):
            raise ValueError(f"layer `name` must be a non-empty string without '/' or '.', got {name!r}")
        self.name = name or registry.unique_name(registry.snake_case(type(self).__name__))
        self.batch_input_shape = declared_batch_shape(
            self.name, input_shape, batch_input_shape, batch_size, input_dim
        )
        self.trainable = bool(trainable)
        self._dtype_given = dtype is not None  # a model's dtype= applies to layers without their own
        self.dtype_policy = _check_dtype(self.name, dtype)
        self.built = False
        self.input_shape_: Shape | None = None
        self._activity_hooked = False
        self.activity_regularizer = activity_regularizer

    # ---- life cycle -------------------------------------------------------------------
    def build(self, input_shape: Shape) -> None:
        """Create the weights for inputs of ``input_shape`` (batch axis included)."""

    def call(self, inputs, training: bool = False, mask=None, **kwargs):
        """Compute the output; ``kwargs`` are the extra call arguments a layer takes
        (``initial_state`` for recurrent layers), passed through by ``forward``."""
        raise NotImplementedError

    def forward(self, inputs, training: bool | None = None, mask=None, **kwargs):
        # The hot path (fit calls it on every batch): one conversion, one rank check and one
        # check of the built sizes, then `call`. Extra call arguments go to `call` untouched.
        # One test sends everything but a single tensor (lists, arrays, symbolic tensors) aside.
        if self.takes_input_list or not isinstance(inputs, torch.Tensor):
            return self._forward_other(inputs, training, mask, kwargs)
        return self._forward_one(as_tensor_input(inputs, self), training, mask, kwargs)

    def _forward_one(self, inputs, training, mask, kwargs):
        """One input, already a tensor (or, for a layer that takes text, a NumPy array of str)."""
        if self.built:
            shape = inputs.shape
            self.check_rank(shape)
            self.check_built_sizes(shape)
        else:
            self.build_on_call(inputs)
        if training is None:
            training = self.training
        return self._call_in_policy(in_layer_dtype(self, inputs), training, mask, kwargs)

    def _forward_other(self, inputs, training, mask, kwargs):
        """What is not one tensor: symbolic tensors (a functional graph is being built: record the
        call, compute nothing), arrays or lists to convert, or the list of a layer of several inputs."""
        if symbolic.holds_symbolic(inputs):
            return symbolic.call_layer(self, inputs, kwargs)
        if not self.takes_input_list:
            return self._forward_one(as_tensor_input(inputs, self), training, mask, kwargs)
        if not isinstance(inputs, (list, tuple)) or not inputs:
            raise TypeError(f"layer '{self.name}' ({type(self).__name__}) takes a list of tensors, "
                            f"e.g. {type(self).__name__}()([a, b]), got {describe(inputs)}")
        tensors = [as_tensor_input(tensor, self) for tensor in inputs]
        if self.built:
            for tensor in tensors:
                self.check_rank(tensor.shape)
            self.check_built_sizes([known_sizes(tensor.shape) for tensor in tensors])
        else:
            self.build_on_call(tensors)
        if training is None:
            training = self.training
        return self._call_in_policy([in_layer_dtype(self, t) for t in tensors], training, mask, kwargs)

    def _call_in_policy(self, inputs, training, mask, kwargs):
        """``call`` under the layer's policy: a mixed layer runs under ``torch.autocast`` in its
        compute dtype and returns its floating outputs in it (Keras's mixed layers do); any other
        layer turns off an autocast region it is called in (a float32 head of a mixed model, a
        layer inside a mixed wrapper), so it computes in its own dtype."""
        first = first_input(inputs)
        device = first.device.type if isinstance(first, torch.Tensor) else "cpu"  # text: a NumPy array
        if self._autocast_dtype is None:
            if device not in _AUTOCAST_DEVICES or not torch.is_autocast_enabled(device):
                return self.call(inputs, training=training, mask=mask, **kwargs)
            with torch.autocast(device, enabled=False):
                return self.call(inputs, training=training, mask=mask, **kwargs)
        with torch.autocast(device, dtype=self._autocast_dtype):
            outputs = self.call(inputs, training=training, mask=mask, **kwargs)
        return policies.in_compute_dtype(outputs, self._autocast_dtype)

    def build_on_call(self, inputs) -> None:
        """The first call builds the layer for its input, for any batch size, on its device."""
        shape = shape_of(inputs)
        # Checked on the shape received first, so an error shows the batch size given
        # ("got shape (60000, 28, 28)"); the weights are then built for any batch size.
        for each in each_shape(shape):
            self.check_rank(each)
        self.validate_input_shape(shape)
        self.build_from_shape(any_batch(shape))
        self.to(first_input(inputs).device)  # like torch's lazy modules: the first input decides

    def build_from_shape(self, input_shape: Shape) -> None:
        """Validate ``input_shape``, create the weights and remember the shape."""
        input_shape = [tuple(s) for s in input_shape] if self.takes_input_list else tuple(input_shape)
        for each in each_shape(input_shape):
            self.check_rank(each)
        self.validate_input_shape(input_shape)
        self.build(input_shape)
        self.input_shape_ = input_shape
        if not self.takes_input_list:
            self.input_ndim = len(input_shape)  # built for this rank: every later call must match
        self.built = True
        if not self.trainable:
            for parameter in self.parameters(recurse=False):
                parameter.requires_grad_(False)

    # ---- input checks -----------------------------------------------------------------
    def check_rank(self, shape: Shape) -> None:
        """The one rank check: ``shape`` (batch axis included) against the declared rule."""
        ndim = len(shape)
        if (ndim != self.input_ndim) if self.input_ndim is not None else (ndim < self.input_min_ndim):
            raise self.rank_error(tuple(shape))

    def rank_error(self, shape: Shape) -> ValueError:
        """The error for input with the wrong number of axes (override to name the layout)."""
        if self.input_shape_ is not None and not self.takes_input_list:
            return ValueError(
                f"layer '{self.name}' expects {len(self.input_shape_)}-D input with shape "
                f"{format_shape(self.input_shape_)}, got shape {tuple(shape)}"
            )
        expected = f"ndim={self.input_ndim}" if self.input_ndim is not None else f"min_ndim={self.input_min_ndim}"
        return ValueError(
            f"layer '{self.name}' ({type(self).__name__}) expected {expected}, found ndim={len(shape)}. "
            f"Full shape received: {format_shape(tuple(shape))}"
        )

    def validate_input_shape(self, input_shape: Shape) -> None:
        """Raise a clear ``ValueError`` for inputs this layer cannot build for, beyond the rank
        (override; called once, before ``build``)."""

    def check_built_sizes(self, shape) -> None:
        """Every call after build: the sizes the weights were made for (the last axis) must not
        change (override for layers whose weights follow another axis, or none). A layer of
        several inputs gets the list of shapes, and checks nothing unless it overrides this."""
        if self.takes_input_list:
            return
        want = self.input_shape_[-1]
        if want is not None and shape[-1] != want:
            raise ValueError(
                f"layer '{self.name}' was built for {want} features on its last axis, "
                f"got input of shape {tuple(shape)}; expected {format_shape(self.input_shape_)}"
            )

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        """Output shape for ``input_shape``; the default probes the layer with zeros."""
        return probe_output_shape(self, input_shape)

    def compute_mask(self, inputs, mask):
        """The mask that follows this layer's output (Keras semantics)."""
        return mask if self.supports_masking else None

    def reset_states(self) -> None:
        """Stateful layers forget their carried state; other layers do nothing."""

    def reset_state(self) -> None:
        """Keras 3's name for :meth:`reset_states`."""
        self.reset_states()

    # ---- weights ----------------------------------------------------------------------
    def add_weight(self, name: str, shape, initializer="glorot_uniform", transpose: bool = False,
                   trainable: bool = True):
        """Create, initialise and register a parameter.

        ``shape`` is in Keras's layout (so fans match Keras); with ``transpose=True`` the stored
        tensor is its transpose, the layout torch's fused kernels take. ``trainable=False`` makes
        a weight that the layer updates itself (BatchNormalization's moving statistics): saved
        and counted as Keras's non-trainable params, never given a gradient, whatever
        ``layer.trainable`` is set to later.
        """
        init = initializers.get(initializer)
        # A model rebuilt from a file: bounded by the file, and the stored values follow.
        values_follow = allocation.charge_weight(self, name, shape)
        value = torch.zeros(tuple(shape), dtype=self.torch_dtype) if values_follow \
            else init(tuple(shape), dtype=self.torch_dtype)
        if transpose:
            value = value.t().contiguous()
        parameter = nn.Parameter(value, requires_grad=self.trainable and trainable)
        self.register_parameter(name, parameter)
        if not trainable:
            self._non_trainable_weights = {*getattr(self, "_non_trainable_weights", ()), name}
        return parameter

    @property
    def torch_dtype(self) -> torch.dtype:
        """The weights' dtype (the policy's variable dtype)."""
        return policies.TORCH_DTYPES[self.dtype_policy.variable_dtype]

    # ---- dtype policy (Keras 3's names) ------------------------------------------------
    @property
    def dtype_policy(self) -> policies.DTypePolicy:
        return self._dtype_policy

    @dtype_policy.setter
    def dtype_policy(self, value) -> None:
        policy = policies.get(value)
        if getattr(self, "built", False) and policy.variable_dtype != self._dtype_policy.variable_dtype:
            raise ValueError(f"layer '{self.name}': cannot change the policy of a built layer from "
                             f"{self._dtype_policy.name!r} to {policy.name!r}: its weights are "
                             f"{self._dtype_policy.variable_dtype}")
        self._dtype_policy = policy
        # What `_call_in_policy` reads on every call: the autocast dtype of a mixed policy.
        self._autocast_dtype = policies.TORCH_DTYPES[policy.compute_dtype] if policy.is_mixed else None

    @property
    def dtype_name(self) -> str:
        """The weights' dtype name (``'float32'``...), as before policies."""
        return self._dtype_policy.variable_dtype

    @property
    def dtype(self) -> str:
        """Keras 3: the dtype of the layer's weights (alias of ``variable_dtype``)."""
        return self._dtype_policy.variable_dtype

    @property
    def variable_dtype(self) -> str:
        return self._dtype_policy.variable_dtype

    @property
    def compute_dtype(self) -> str:
        """The dtype the layer computes in (``'bfloat16'`` under ``'mixed_bfloat16'``)."""
        return self._dtype_policy.compute_dtype

    def weight_names(self) -> list[str]:
        """Parameter names in Keras's ``get_weights()`` order (override to reorder)."""
        return [name for name, _ in self.named_parameters(recurse=False)]

    def keras_weight(self, name: str) -> torch.Tensor:
        """A parameter as Keras lays it out (override when stored transposed)."""
        return getattr(self, name)

    def set_keras_weight(self, name: str, value: torch.Tensor) -> None:
        getattr(self, name).data.copy_(value)

    def get_weights(self) -> list:
        self._require_built("get_weights")
        return [self.keras_weight(n).detach().cpu().numpy().copy() for n in self.weight_names()]

    def set_weights(self, weights) -> None:
        self._require_built("set_weights")
        names = self.weight_names()
        if len(weights) != len(names):
            raise ValueError(
                f"layer '{self.name}' has {len(names)} weights {names}, got a list of {len(weights)}"
            )
        for name, value in zip(names, weights):
            current = self.keras_weight(name)
            value = torch.as_tensor(value, dtype=current.dtype)
            if tuple(value.shape) != tuple(current.shape):
                raise ValueError(
                    f"layer '{self.name}': weight '{name}' has shape {tuple(current.shape)}, "
                    f"got an array of shape {tuple(value.shape)}"
                )
            with torch.no_grad():
                self.set_keras_weight(name, value.to(current.device))

    @property
    def trainable(self) -> bool:
        return self._trainable

    @trainable.setter
    def trainable(self, value) -> None:
        # As in Keras: freezing a built layer freezes its weights and the layers inside it, so
        # `model.layers[0].trainable = False` before the next fit really leaves them alone.
        self._trainable = bool(value)
        for module in self.modules():
            if isinstance(module, Layer):
                module._trainable = self._trainable
            frozen = getattr(module, "_non_trainable_weights", ())  # add_weight(trainable=False)
            for name, parameter in module.named_parameters(recurse=False):
                parameter.requires_grad_(self._trainable and name not in frozen)

    # ---- regularization ---------------------------------------------------------------
    @property
    def activity_regularizer(self):
        return self._activity_regularizer

    @activity_regularizer.setter
    def activity_regularizer(self, value):
        self._activity_regularizer = penalties.check_regularizer(type(self).__name__, "activity_regularizer", value)
        self._activity_losses: list[torch.Tensor] = []
        penalties.watch_activity(self)

    @property
    def losses(self) -> list[torch.Tensor]:
        """Scalar penalties of this layer and the layers inside it: the weights' now, the
        activity's of the last call (Keras's ``layer.losses``)."""
        return penalties.collect(m for m in self.modules() if isinstance(m, Layer))

    def regularizer_arguments(self) -> dict[str, Any]:
        """Every regularizer argument the layer takes, as live objects (None where unset)."""
        arguments = [*self.weight_regularizer_arguments.values(), "activity_regularizer"]
        return {name: getattr(self, name) for name in arguments}

    def regularizer_config(self) -> dict[str, Any]:
        """The same, serialized for ``get_config`` (Keras's keys and form)."""
        return {name: regularizers.serialize(value) for name, value in self.regularizer_arguments().items()}

    def count_params(self) -> int:
        self._require_built("count_params")
        return sum(p.numel() for p in self.parameters())

    def _require_built(self, what: str) -> None:
        if not self.built:
            raise NotBuiltError(
                f"layer '{self.name}' has no weights yet: call `{what}` after the layer is built "
                "(give the first layer an input_shape, or call the model on data first)"
            )

    # ---- config -----------------------------------------------------------------------
    def get_config(self) -> dict[str, Any]:
        config: dict[str, Any] = {"name": self.name, "trainable": self.trainable}
        if self._dtype_given or self.dtype_policy.name != "float32":  # a policy name, as Keras 3 accepts
            config["dtype"] = self.dtype_policy.name
        if self.batch_input_shape is not None:
            config["batch_input_shape"] = list(self.batch_input_shape)
        if self.activity_regularizer is not None:  # else left out: most layers' configs never had it
            config["activity_regularizer"] = regularizers.serialize(self.activity_regularizer)
        return config

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> "Layer":
        return cls(**config)

    def __repr__(self) -> str:
        # Only the settings that differ from the defaults: LSTM(32, return_sequences=True).
        config = self.get_config()
        parameters = inspect.signature(type(self).__init__).parameters
        parts = []
        for key, param in parameters.items():
            if key in ("self", "kwargs", "name", "trainable") or key not in config:
                continue
            value = config[key]
            if param.kind is param.POSITIONAL_OR_KEYWORD and param.default is param.empty:
                parts.append(repr(value))
            elif param.default is None and value in (None, "linear"):
                continue
            elif param.default is param.empty or value != _plain(param.default):
                parts.append(f"{key}={value!r}")
        return f"{type(self).__name__}({', '.join(parts)})"

    def extra_repr(self) -> str:  # torch prints __repr__ of children; keep this short
        return ""


def _plain(value):
    if isinstance(value, tuple):
        return list(value)
    return value


def _check_dtype(name: str, dtype) -> policies.DTypePolicy:
    try:
        return policies.get(dtype)
    except (TypeError, ValueError) as error:
        raise type(error)(f"layer '{name}': `dtype`: {error}") from None
