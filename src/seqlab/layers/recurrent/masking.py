"""``Masking``: marks timesteps whose features all equal ``mask_value`` as padding."""
from __future__ import annotations

import torch

from seqlab.errors import describe
from seqlab.layers.base import Layer


class Masking(Layer):
    """Skips padded timesteps in the layers that follow.

    A timestep whose features all equal ``mask_value`` is masked: its output is zeroed and the
    mask ``(N, L)`` (True where a timestep counts) travels with the data, so recurrent layers
    carry their state over masked steps and a padded batch gives each sequence the result it
    gets alone.

    Input shape: ``(N, L, F)``. Output shape: the same.

    >>> import torch, seqlab
    >>> x = torch.tensor([[[1.0], [2.0], [0.0]]])
    >>> seqlab.layers.Masking(0.0).compute_mask(x, None).tolist()
    [[True, True, False]]
    """

    supports_masking = True
    input_min_ndim = 3  # (samples, timesteps, features)

    def __init__(self, mask_value=0.0, **kwargs):
        super().__init__(**kwargs)
        if isinstance(mask_value, bool) or not isinstance(mask_value, (int, float)):
            raise TypeError(f"Masking: `mask_value` must be a number, got {describe(mask_value)}")
        self.mask_value = float(mask_value)

    def rank_error(self, shape):
        if self.built:
            return super().rank_error(shape)
        return ValueError(
            f"layer '{self.name}' (Masking) expects input (samples, timesteps, features), got "
            f"shape {tuple(shape)}; for integer token ids use Embedding(..., mask_zero=True) instead")

    def call(self, inputs, training=False, mask=None):
        keep = (inputs != self.mask_value).any(dim=-1, keepdim=True)
        return inputs * keep.to(inputs.dtype)

    def compute_mask(self, inputs, mask):
        return (torch.as_tensor(inputs) != self.mask_value).any(dim=-1)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "mask_value": self.mask_value}
