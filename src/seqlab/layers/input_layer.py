"""``Input``: declares the shape of one sample (and optionally a fixed batch size).

``Input(...)`` returns a :class:`~seqlab.layers.symbolic.SymbolicTensor` (Keras's KerasTensor)
made by an :class:`InputLayer`: calling layers on it builds a functional graph, and
``Sequential([Input(shape=(7, 1)), ...])`` takes it as the stack's input shape (as Keras 3's
``Sequential.add`` does, through the tensor's layer).
"""
from __future__ import annotations

import torch

from seqlab.layers import symbolic
from seqlab.layers.base import Layer

_DTYPES = {"float32": torch.float32, "float64": torch.float64, "int32": torch.int64, "int64": torch.int64,
           "int": torch.int64, "bool": torch.bool}


class InputLayer(Layer):
    """Marks a model's input shape; the identity on data. ``Sequential`` does not list it in
    ``model.layers`` (as Keras 3); a functional model does (Keras 3's ``Functional.layers``).

    Integer inputs (``dtype='int32'``, token ids for an ``Embedding``) stay integers: torch
    indexes with int64, so both integer names give int64 tensors.
    """

    def __init__(self, shape=None, batch_size=None, dtype=None, sparse=False, **kwargs):
        name = kwargs.get("name") or "input_layer"
        if sparse:
            raise ValueError(f"Input '{name}': `sparse=True` is not supported (seqlab has no sparse "
                             "tensors); pass dense arrays with sparse=False")
        if dtype is not None and dtype not in _DTYPES and dtype not in _DTYPES.values():
            raise ValueError(f"Input '{name}': `dtype` must be one of {sorted(_DTYPES)}, got {dtype!r}")
        self.input_dtype_name = _dtype_name(dtype)
        if shape is not None and "input_shape" not in kwargs and "batch_input_shape" not in kwargs:
            kwargs["input_shape"] = shape
        floating = self.input_dtype_name in ("float32", "float64") or dtype is None
        super().__init__(batch_size=batch_size, dtype=dtype if floating else None, **kwargs)
        if self.batch_input_shape is None:
            raise ValueError(f"Input '{self.name}': give `shape` (one sample's shape, e.g. (timesteps, "
                             "features)) or `batch_shape`")
        self.input_shape_ = self.batch_input_shape
        self.built = True
        dtype = _DTYPES[self.input_dtype_name] if not floating else self.torch_dtype
        self.output = symbolic.input_node(self, self.batch_input_shape, dtype)

    @property
    def integer_inputs(self) -> bool:
        """True for token ids: the training road keeps such inputs integers."""
        return self.input_dtype_name not in ("float32", "float64")

    def call(self, inputs, training=False, mask=None):
        return inputs

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config.pop("dtype", None)  # the input's dtype, not a policy: float32 unless said
        if self.integer_inputs or self.input_dtype_name != "float32":
            config["dtype"] = self.input_dtype_name
        return config


def _dtype_name(dtype) -> str:
    if dtype is None:
        return "float64" if torch.get_default_dtype() == torch.float64 else "float32"
    if isinstance(dtype, str):
        return dtype
    return {torch.float32: "float32", torch.float64: "float64", torch.int64: "int64", torch.bool: "bool"}[dtype]


def Input(shape=None, batch_size=None, dtype=None, name=None, sparse=False, batch_shape=None):
    """Declare a model's input; returns a symbolic tensor (Keras's ``keras.Input``).

    Args:
        shape: one sample's shape, without the batch axis: ``(timesteps, features)``.
        batch_size: a fixed batch size (stateful models).
        dtype: ``'float32'`` (default), ``'float64'``, or ``'int32'``/``'int64'`` for token ids.
        name: the input's name (its ``InputLayer``'s), the key of a dict of inputs.
        sparse: only False (seqlab has no sparse tensors).
        batch_shape: the full shape including a fixed batch size (Keras 3).

    Output shape: ``(batch_size, *shape)``, ``None`` for a free batch size.

    >>> import seqlab
    >>> x = seqlab.Input(shape=(7, 1))
    >>> x.shape
    (None, 7, 1)
    """
    if batch_shape is not None:
        layer = InputLayer(batch_input_shape=batch_shape, name=name, dtype=dtype, sparse=sparse)
    else:
        layer = InputLayer(shape=shape, batch_size=batch_size, name=name, dtype=dtype, sparse=sparse)
    return layer.output
