"""The state a recurrent layer starts from, and the one a stateful layer carries between batches.

A stateful layer (``stateful=True``) keeps, for the sample at row ``i`` of a batch, the final
state as the initial state of row ``i`` of the next batch — in ``fit``, ``evaluate`` and
``predict`` alike — until ``reset_states()``. The carried state is detached from the graph, so
backpropagation through time stops at the batch boundary (truncated BPTT, as in Keras). Because
rows are matched across batches, every batch must have the batch size the layer was declared
with (``batch_input_shape=(10, 5, 1)`` or ``Input(shape=(5, 1), batch_size=10)``); without a
declaration, the first batch's size is taken.
"""
from __future__ import annotations

import torch

from seqlab.errors import describe


class StateKeeper:
    """Initial and carried states of one recurrent layer (a helper of ``RecurrentLayer``)."""

    def __init__(self, layer):
        self.layer = layer
        self.batch_size: int | None = None
        self.states: tuple | None = None

    def built(self, batch_size: int | None) -> None:
        self.batch_size = batch_size

    def initial_states(self, x: torch.Tensor, initial_state=None) -> tuple:
        """The states to start from for inputs ``x`` of shape ``(N, L, F)`` (``(N, L, ...)``:
        the layer's ``state_shape`` says what shape each state has)."""
        layer, batch = self.layer, x.shape[0]
        if layer.stateful:
            self._check_batch(batch)
        if initial_state is not None:
            return self._given(initial_state, layer.state_shape(tuple(x.shape)), x)
        if layer.stateful and self.states is not None:
            return tuple(s.to(device=x.device, dtype=x.dtype) for s in self.states)
        zeros = x.new_zeros(layer.state_shape(tuple(x.shape)))
        return (zeros,) * layer.cell.num_states

    def carry(self, finals: tuple) -> None:
        if self.layer.stateful:
            self.states = tuple(s.detach() for s in finals)

    def reset(self, states=None) -> None:
        layer = self.layer
        if states is None:
            self.states = None
            return
        if not layer.stateful:
            raise ValueError(f"layer '{layer.name}' is not stateful: it carries no states to set")
        if self.batch_size is None:
            raise ValueError(f"layer '{layer.name}' has no batch size yet: states can be set "
                             "after it was built with batch_input_shape or called once")
        reference = layer.weight_ih
        shape = layer.state_shape((self.batch_size, *layer.input_shape_[1:]))
        self.states = self._given(states, shape, reference)

    def current(self):
        return None if self.states is None else [s.clone() for s in self.states]

    def _check_batch(self, batch: int) -> None:
        if self.batch_size is None:
            self.batch_size = batch
        elif batch != self.batch_size:
            layer = self.layer
            raise ValueError(
                f"layer '{layer.name}' is stateful with batch size {self.batch_size} (declared by "
                f"batch_input_shape / Input(batch_size=...) or taken from its first batch), got "
                f"a batch of {batch} samples. A stateful layer carries row i of one batch into "
                f"row i of the next, so every batch in fit, evaluate and predict must hold "
                f"{self.batch_size} samples: pass batch_size={self.batch_size} and a number of "
                f"samples divisible by it"
            )

    def _given(self, states, shape: tuple, like: torch.Tensor) -> tuple:
        layer = self.layer
        count = layer.cell.num_states
        if torch.is_tensor(states) or not isinstance(states, (list, tuple)):
            states = [states]
        if len(states) != count:
            raise ValueError(
                f"layer '{layer.name}' ({type(layer).__name__}) has {count} state tensor(s), "
                f"got {len(states)} initial states"
            )
        result = []
        for state in states:
            tensor = torch.as_tensor(state, dtype=like.dtype, device=like.device)
            if tuple(tensor.shape) != tuple(shape):
                raise ValueError(
                    f"layer '{layer.name}': each initial state must have shape "
                    f"{layer.state_layout()} = {tuple(shape)}, got {describe(state)}"
                )
            result.append(tensor)
        return tuple(result)
