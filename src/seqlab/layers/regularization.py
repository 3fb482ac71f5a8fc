"""Dropout: zeroes a fraction of the inputs while training, scaling the rest up."""
from __future__ import annotations

from seqlab.checks import check_rate, check_seed
from seqlab.layers.base import Layer
from seqlab.layers.seeded import SeededDraws


class Dropout(Layer):
    """Randomly sets a fraction ``rate`` of inputs to 0 while training (inverted dropout).

    ``noise_shape`` is not supported; the mask is drawn per element. At inference the layer is
    the identity. With ``seed`` the masks come from the layer's own generator (they repeat run
    after run whatever else draws random numbers).

    >>> import torch, seqlab
    >>> seqlab.layers.Dropout(0.5).eval()(torch.ones(2, 3)).sum().item()
    6.0
    """

    supports_masking = True

    def __init__(self, rate: float, seed: int | None = None, **kwargs):
        super().__init__(**kwargs)
        self.rate = check_rate("Dropout", "rate", rate)
        self.seed = check_seed("Dropout", "seed", seed)
        self.draws = SeededDraws(self.seed)

    def call(self, inputs, training=False, mask=None):
        if not training or self.rate == 0.0:
            return inputs
        return self.draws.dropout(inputs, self.rate)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "rate": self.rate, "seed": self.seed}
