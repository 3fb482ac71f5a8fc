"""Random draws of the layers that take a ``seed``: Dropout, the noise and the attention layers.

With a seed, a layer draws from a generator of its own, seeded once with it (Keras's
``SeedGenerator``), so its masks and noise repeat whatever else draws random numbers; without
one it draws from torch's global generator, which ``seqlab.utils.set_random_seed`` seeds.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F


class SeededDraws:
    """One generator per device, made on first use from ``seed`` (None: torch's global one)."""

    def __init__(self, seed: int | None):
        self.seed = seed
        self._generators: dict[torch.device, torch.Generator] = {}

    def generator(self, device) -> torch.Generator | None:
        if self.seed is None:
            return None
        if device not in self._generators:
            self._generators[device] = torch.Generator(device=device).manual_seed(self.seed)
        return self._generators[device]

    def states(self) -> dict:
        """``{device: state}`` of the generators made so far (saved with a training state)."""
        return {str(device): generator.get_state() for device, generator in self._generators.items()}

    def set_states(self, states: dict) -> None:
        """Put the generators back to ``states`` (from :meth:`states`); those of other devices
        start afresh from the seed on first use, as they would have."""
        self._generators = {}
        for device, state in states.items():
            device = torch.device(device)
            if device.type == "cuda" and not torch.cuda.is_available():
                continue
            self._generators[device] = torch.Generator(device=device)
            self._generators[device].set_state(state)

    def dropout(self, x: torch.Tensor, rate: float) -> torch.Tensor:
        """Inverted dropout of ``x`` at ``rate`` (training mode)."""
        if self.seed is None:
            return F.dropout(x, rate, training=True)  # torch's fused kernel, global generator
        keep = torch.rand(x.shape, generator=self.generator(x.device), device=x.device, dtype=x.dtype) >= rate
        return x * keep / (1.0 - rate)

    def rand(self, shape, like: torch.Tensor) -> torch.Tensor:
        return torch.rand(shape, generator=self.generator(like.device), device=like.device, dtype=like.dtype)

    def randn(self, shape, like: torch.Tensor) -> torch.Tensor:
        return torch.randn(shape, generator=self.generator(like.device), device=like.device, dtype=like.dtype)
