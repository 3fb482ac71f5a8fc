"""What every preprocessing layer shares: learned state that is not trained, and ``adapt``'s data.

A preprocessing layer learns from data with ``adapt`` (a vocabulary, a mean and variance, bin
boundaries), never from gradients. What it learns travels with the model file as JSON in its
config (vocabularies, boundaries: short lists Keras also keeps in its config) or as
non-trainable weights (``Normalization``'s mean and variance, as Keras). The weights are
buffers, not parameters: the optimizer never sees them and ``trainable = True`` cannot make
them trainable, yet ``get_weights()`` returns them in Keras's order, so they are saved in the
safetensors file beside the others.
"""
from __future__ import annotations

import numpy as np
import torch

from seqlab.errors import describe
from seqlab.layers import allocation
from seqlab.layers.base import Layer


class PreprocessingLayer(Layer):
    """Base class of the preprocessing layers (not instantiated on its own)."""

    # Inputs are ids, text or raw values: the layer decides their dtype, not its weights.
    inputs_take_weight_dtype = False
    # TextVectorization and StringLookup say True: the layer input rule and the training road
    # then pass text through as a NumPy array of str (see seqlab.layers.inputs.takes_strings).
    takes_strings = False

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._state_names: list[str] = []
        # Where outputs are made: follows the model's `.to(device)` though the layer may have no weights.
        self.register_buffer("_anchor", torch.empty(0), persistent=False)

    @property
    def device(self) -> torch.device:
        return self._anchor.device

    def add_state(self, name: str, value) -> torch.Tensor:
        """A non-trainable weight (Keras's ``add_weight(..., trainable=False)``), kept as a buffer."""
        tensor = torch.as_tensor(value)
        if name in self._state_names:
            getattr(self, name).data = tensor.to(self.device)
        else:
            allocation.charge_weight(self, name, tuple(tensor.shape))  # a model rebuilt from a file: bounded by it
            self.register_buffer(name, tensor.to(self.device))
            self._state_names.append(name)
        return getattr(self, name)

    def weight_names(self) -> list[str]:
        return list(self._state_names)

    def count_params(self) -> int:
        # Keras counts non-trainable weights too (Normalization on 3 features: 3 + 3 + 1 = 7).
        self._require_built("count_params")
        return sum(getattr(self, name).numel() for name in self._state_names)

    def build_on_call(self, inputs) -> None:
        # Text arrives as a NumPy array: build for its shape, move nothing (the base moves the
        # layer to the input's device, and a NumPy array's device is always the CPU).
        shape = tuple(inputs.shape)
        self.check_rank(shape)
        self.validate_input_shape(shape)
        self.build_from_shape((None, *shape[1:]))
        if torch.is_tensor(inputs):
            self.to(inputs.device)

    def check_built_sizes(self, shape) -> None:
        """Nothing ties these layers to a size on the last axis (Normalization overrides)."""

    def describe_self(self) -> str:
        return f"{type(self).__name__} '{self.name}'"

    def __repr__(self) -> str:
        # A learned vocabulary (or its TF-IDF weights) would fill a model's printout: the repr
        # shows the settings and the vocabulary's size, the config keeps the whole list.
        config = self.get_config()
        long = {k: v for k, v in config.items() if isinstance(v, list) and len(v) > 8}
        if not long:
            return super().__repr__()
        get_config = self.get_config
        try:
            self.__dict__["get_config"] = lambda: {**get_config(), **{k: None for k in long}}
            text = super().__repr__()
        finally:
            del self.__dict__["get_config"]
        sizes = ", ".join(f"{k}=<{len(v)} entries>" for k, v in long.items())
        return f"{text[:-1]}{', ' if not text.endswith('()') else ''}{sizes})"


def adapt_batches(layer: PreprocessingLayer, data, learns: str) -> list[np.ndarray]:
    """``adapt``'s data as NumPy batches: one array (NumPy, a list, a tensor) is one batch; an
    iterable of batches (a DataLoader, a generator, seqlab's datasets) gives one each, taking
    ``x`` from ``(x, y)`` batches as Keras does. An empty data set is refused, naming the layer."""
    if torch.is_tensor(data):
        batches = [data.detach().cpu().numpy()]
    elif isinstance(data, np.ndarray):
        batches = [data]
    elif isinstance(data, (list, tuple)) and _one_array(data) is not None:
        batches = [_one_array(data)]
    elif isinstance(data, (str, bytes, dict)) or not hasattr(data, "__iter__"):
        raise TypeError(f"{layer.describe_self()}: `adapt` takes a NumPy array, a list, a tensor or an "
                        f"iterable of batches, got {describe(data)}")
    else:
        batches = []
        for batch in data:
            if isinstance(batch, tuple) and batch:
                batch = batch[0]  # (x, y) or (x, y, sample_weight): adapt learns from x
            if torch.is_tensor(batch):
                batch = batch.detach().cpu().numpy()
            batches.append(np.asarray(batch))
    batches = [b if b.ndim else b.reshape(1) for b in batches]
    if sum(len(b) for b in batches) == 0:
        given = describe(data) if isinstance(data, (np.ndarray, list, tuple)) or torch.is_tensor(data) \
            else f"a {type(data).__name__} that yielded no samples"
        raise ValueError(f"{layer.describe_self()}: `adapt` got an empty data set ({given}); it "
                         f"learns {learns} from the training data and needs at least one sample")
    return batches


def _one_array(data):
    """A list that is one array (of numbers or strings, equal lengths), else None."""
    try:
        array = np.asarray(data)
    except ValueError:  # ragged: a list of batches of different sizes
        return None
    return None if array.dtype == object else array
