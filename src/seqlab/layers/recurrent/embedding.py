"""``Embedding``: integer token ids → dense vectors, optionally masking id 0 as padding."""
from __future__ import annotations

import torch
import torch.nn.functional as F

from seqlab import initializers
from seqlab.checks import check_bool, check_int
from seqlab.layers.base import Layer
from seqlab.layers.inputs import capturing_graph
from seqlab.layers.penalties import check_regularizer


class Embedding(Layer):
    """Looks up a learned vector for every integer id: ``output[n, t] = embeddings[ids[n, t]]``.

    With ``mask_zero=True`` id 0 is reserved for padding (as ``pad_sequences`` produces): the
    layer emits a mask ``ids != 0`` that recurrent layers follow, so ``input_dim`` must count the
    padding id too (vocabulary size + 1).

    Input shape: ``(N, L)`` integer ids (floats holding whole numbers are accepted).
    Output shape: ``(N, L, output_dim)``.

    Args:
        input_dim: number of ids, the largest id + 1.
        output_dim: size of each vector.
        embeddings_initializer: uniform in [-0.05, 0.05] by default (Keras's ``'uniform'``).
        embeddings_regularizer / activity_regularizer: penalties on the vectors table and on the
            output, added to the loss (see :mod:`seqlab.regularizers`).
        mask_zero: treat id 0 as padding and emit a mask.
        input_length: Keras 2's way to declare ``input_shape=(input_length,)``.

    >>> import torch, seqlab
    >>> layer = seqlab.layers.Embedding(5, 3, mask_zero=True)
    >>> ids = torch.tensor([[0, 1, 4]])
    >>> layer(ids).shape, layer.compute_mask(ids, None).tolist()
    (torch.Size([1, 3, 3]), [[False, True, True]])
    """

    inputs_take_weight_dtype = False  # ids stay ids: 16777217 must not become the float32 16777216

    weight_regularizer_arguments = {"embeddings": "embeddings_regularizer"}

    def __init__(self, input_dim, output_dim, embeddings_initializer="random_uniform",
                 embeddings_regularizer=None, activity_regularizer=None, mask_zero=False,
                 input_length=None, **kwargs):
        if input_length is not None and "input_shape" not in kwargs and "batch_input_shape" not in kwargs:
            kwargs["input_shape"] = (input_length,)
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self.input_dim = check_int("Embedding", "input_dim", input_dim)
        self.output_dim = check_int("Embedding", "output_dim", output_dim)
        self.embeddings_initializer = initializers.get(embeddings_initializer)
        self.embeddings_regularizer = check_regularizer("Embedding", "embeddings_regularizer",
                                                        embeddings_regularizer)
        self.mask_zero = check_bool("Embedding", "mask_zero", mask_zero)
        self.input_length = input_length

    def build(self, input_shape):
        self.add_weight("embeddings", (self.input_dim, self.output_dim), self.embeddings_initializer)

    def check_built_sizes(self, shape):
        """Sequences of any length may follow the first one; only the rank must stay."""

    def call(self, inputs, training=False, mask=None):
        return F.embedding(self._ids(inputs), self.embeddings)

    def _ids(self, inputs: torch.Tensor) -> torch.Tensor:
        if capturing_graph():  # values are unknown while a graph is captured (see capturing_graph)
            return inputs.long()
        if inputs.is_floating_point():
            if not torch.equal(inputs, inputs.trunc()):
                raise ValueError(f"layer '{self.name}' (Embedding) needs integer ids, got "
                                 f"non-integer values such as {inputs[inputs != inputs.trunc()][0].item()}")
        elif inputs.dtype == torch.bool or inputs.is_complex():
            raise TypeError(f"layer '{self.name}' (Embedding) needs integer ids, got dtype {inputs.dtype}")
        ids = inputs.long()
        if ids.numel():
            low, high = int(ids.min()), int(ids.max())
            if low < 0 or high >= self.input_dim:
                bad = low if low < 0 else high
                raise ValueError(
                    f"layer '{self.name}' (Embedding) has input_dim={self.input_dim}, so ids must "
                    f"be in [0, {self.input_dim - 1}], got {bad}")
        return ids

    def compute_mask(self, inputs, mask):
        if not self.mask_zero:
            return None
        return torch.as_tensor(inputs) != 0

    def compute_output_shape(self, input_shape):
        return (*tuple(input_shape), self.output_dim)

    def get_config(self):
        config = {**super().get_config(), "input_dim": self.input_dim, "output_dim": self.output_dim,
                  "embeddings_initializer": initializers.serialize(self.embeddings_initializer),
                  **self.regularizer_config(), "mask_zero": self.mask_zero}
        if self.input_length is not None:
            config["input_length"] = self.input_length
        return config
