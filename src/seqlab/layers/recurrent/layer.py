"""``RecurrentLayer``: what SimpleRNN, LSTM and GRU share — settings, weights in torch's layout
with Keras's ``get_weights()``, masks, dropout, stateful states; how a prepared call then runs
(which path, which kernel, which backward) is :mod:`.execution`'s.

The public layers (:mod:`.lstm`, :mod:`.gru`, :mod:`.simple_rnn`) only name their cell and
their bias layout.
"""
from __future__ import annotations

import logging

import torch
import torch.nn.functional as F

from seqlab import activations, initializers
from seqlab.checks import check_bool, check_int, check_rate, check_seed, format_shape
from seqlab.layers.base import Layer
from seqlab.layers.inputs import capturing_graph
from seqlab.layers.penalties import check_regularizer
from seqlab.layers.recurrent import execution, fused
from seqlab.layers.recurrent.cells import Cell, inverse_order, reorder_blocks
from seqlab.layers.recurrent.paths import Path
from seqlab.layers.recurrent.state import StateKeeper
from seqlab.layers.seeded import SeededDraws

logger = logging.getLogger("seqlab.layers.recurrent")

# Measured with benchmarks/bench_recurrent.py on a 2-core CPU (see docs/recurrent.md).
_LOOP_COST = "up to about 2x slower to train than the fused path"


def check_activation(layer: str, argument: str, value):
    try:
        return activations.get(value)
    except (ValueError, TypeError) as error:
        raise type(error)(f"{layer}: `{argument}`: {error}") from None


class RecurrentLayer(Layer):
    """Base of the recurrent layers (see :class:`seqlab.layers.LSTM` for the arguments).

    Input shape: ``(N, L, F)`` — samples, timesteps, features.
    Output shape: ``(N, L, H)`` with ``return_sequences``, else ``(N, H)``; with
    ``return_state`` a list ``[output, *final_states]``.
    """

    supports_masking = True
    input_ndim = 3  # (samples, timesteps, features)
    # Regularizers see the weights in Keras's layout (`keras_weight`), not the stored torch one.
    weight_regularizer_arguments = {"kernel": "kernel_regularizer", "recurrent_kernel": "recurrent_regularizer",
                                    "bias": "bias_regularizer"}

    def __init__(self, units, *, activation="tanh", recurrent_activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", kernel_regularizer=None, recurrent_regularizer=None,
                 bias_regularizer=None, activity_regularizer=None, dropout=0.0, recurrent_dropout=0.0,
                 return_sequences=False, return_state=False, go_backwards=False, stateful=False,
                 unroll=False, use_cudnn="auto", seed=None, zero_output_for_mask=False, **kwargs):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        cls = type(self).__name__
        self.units = check_int(cls, "units", units)
        self.activation = check_activation(cls, "activation", activation)
        self.recurrent_activation = (None if recurrent_activation is None else
                                     check_activation(cls, "recurrent_activation", recurrent_activation))
        self.use_bias = check_bool(cls, "use_bias", use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.recurrent_initializer = initializers.get(recurrent_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = check_regularizer(cls, "kernel_regularizer", kernel_regularizer)
        self.recurrent_regularizer = check_regularizer(cls, "recurrent_regularizer", recurrent_regularizer)
        self.bias_regularizer = check_regularizer(cls, "bias_regularizer", bias_regularizer)
        self.dropout = check_rate(cls, "dropout", dropout)
        self.recurrent_dropout = check_rate(cls, "recurrent_dropout", recurrent_dropout)
        self.return_sequences = check_bool(cls, "return_sequences", return_sequences)
        self.return_state = check_bool(cls, "return_state", return_state)
        self.go_backwards = check_bool(cls, "go_backwards", go_backwards)
        self.stateful = check_bool(cls, "stateful", stateful)
        self.unroll = check_bool(cls, "unroll", unroll)  # accepted for Keras; changes nothing
        self.zero_output_for_mask = check_bool(cls, "zero_output_for_mask", zero_output_for_mask)
        if use_cudnn not in ("auto", True, False):
            raise ValueError(f"{cls}: `use_cudnn` must be 'auto', True or False, got {use_cudnn!r}")
        self.use_cudnn = use_cudnn
        self.seed = check_seed(cls, "seed", seed)
        self.cell: Cell = self.make_cell()
        self.kernel_name = fused.kernel_name(self.cell.kind, self.activation, self.recurrent_activation)
        if use_cudnn is True and (self.kernel_name is None or self.recurrent_dropout > 0):
            raise ValueError(
                f"{cls}: `use_cudnn=True` needs settings the fused kernels support "
                f"({self._fused_requirements()}), got {self._loop_reasons(True)[0]}"
            )
        self.keeper = StateKeeper(self)
        self._recorder = None  # set by seqlab.inspect while tracing
        self.path: Path | None = None  # the path of the last call, and why (see .paths)
        self._loop_announced = False
        self.draws = SeededDraws(self.seed)  # recurrent dropout's masks, with a seed

    # ---- per-layer specifics (overridden by LSTM, GRU, SimpleRNN) -------------------------
    def make_cell(self) -> Cell:
        raise NotImplementedError

    def keras_bias_shape(self) -> tuple[int, ...]:
        return (self.cell.num_blocks * self.units,)

    def initial_bias(self, shape) -> torch.Tensor:
        return self.bias_initializer(shape, dtype=self.torch_dtype)

    def split_bias(self):
        """``(bias_ih, bias_hh)`` in torch's layout; a single Keras bias goes on the input side."""
        return (self.bias if self.use_bias else None), None

    def project_inputs(self, x, bias_ih):
        """The input's contribution to every gate, for all timesteps at once (before the loop)."""
        return F.linear(x, self.weight_ih, bias_ih)  # (N, L, blocks * H)

    def state_shape(self, input_shape) -> tuple:
        """The shape of each carried state for an input of ``input_shape`` (batch included)."""
        return (input_shape[0], self.units)

    def state_layout(self) -> str:
        """``state_shape``'s axes by name, for messages."""
        return "(batch, units)"

    def _fused_requirements(self) -> str:
        return "activation='tanh', recurrent_activation='sigmoid', recurrent_dropout=0"

    # ---- shapes ------------------------------------------------------------------------
    def rank_error(self, shape) -> ValueError:
        hint = ""
        declared = self.batch_input_shape is not None and tuple(shape) == tuple(self.batch_input_shape)
        if declared and len(shape) == 2:
            hint = (f": its input_shape={format_shape(shape[1:])} gives each sample one axis. Declare "
                    f"input_shape=(timesteps, features), e.g. input_shape=({shape[1]}, 1), and reshape "
                    "X to match: X = X.reshape((X.shape[0], X.shape[1], 1))")
        elif len(shape) == 2:
            hint = (". A 2-D array X of shape (samples, timesteps) holds one feature per "
                    "timestep: reshape it with X = X.reshape((X.shape[0], X.shape[1], 1)); "
                    "after another recurrent layer, give that layer return_sequences=True")
        return ValueError(
            f"layer '{self.name}' ({type(self).__name__}) expects 3-D input (samples, timesteps, "
            f"features), got shape {tuple(shape)}{hint}"
        )

    def validate_input_shape(self, input_shape):
        if input_shape[-1] is None:
            raise ValueError(f"layer '{self.name}' needs a fixed number of features, got shape "
                             f"{format_shape(input_shape)}")

    def compute_output_shape(self, input_shape):
        if self.return_sequences:
            return (input_shape[0], input_shape[1], self.units)
        return (input_shape[0], self.units)

    def compute_mask(self, inputs, mask):
        return mask if self.return_sequences else None

    # ---- weights: torch layout stored, Keras layout shown ----------------------------------
    def build(self, input_shape):
        features, width = input_shape[-1], self.cell.num_blocks * self.units
        order = self.cell.keras_order
        w_ih = self.add_weight("weight_ih", (features, width), self.kernel_initializer, transpose=True)
        w_hh = self.add_weight("weight_hh", (self.units, width), self.recurrent_initializer,
                               transpose=True)
        with torch.no_grad():
            w_ih.copy_(reorder_blocks(w_ih.detach().clone(), order, 0))
            w_hh.copy_(reorder_blocks(w_hh.detach().clone(), order, 0))
        if self.use_bias:
            shape = self.keras_bias_shape()
            bias = self.add_weight("bias", shape, "zeros")
            with torch.no_grad():
                bias.copy_(reorder_blocks(self.initial_bias(shape), order, -1))
        self.keeper.built(input_shape[0])

    def weight_names(self):
        return ["kernel", "recurrent_kernel", "bias"] if self.use_bias else ["kernel", "recurrent_kernel"]

    def keras_weight(self, name):
        back = inverse_order(self.cell.keras_order)
        if name == "bias":
            return reorder_blocks(self.bias, back, -1)
        stored = self.weight_ih if name == "kernel" else self.weight_hh
        return reorder_blocks(stored, back, 0).t()

    def set_keras_weight(self, name, value):
        order = self.cell.keras_order
        if name == "bias":
            self.bias.data.copy_(reorder_blocks(value, order, -1))
        else:
            stored = self.weight_ih if name == "kernel" else self.weight_hh
            stored.data.copy_(reorder_blocks(value.t(), order, 0))

    @property
    def kernel(self) -> torch.Tensor:
        """The input weights in Keras's layout ``(features, gates * units)``."""
        return self.keras_weight("kernel")

    @property
    def recurrent_kernel(self) -> torch.Tensor:
        """The recurrent weights in Keras's layout ``(units, gates * units)``."""
        return self.keras_weight("recurrent_kernel")

    # ---- running -----------------------------------------------------------------------
    def call(self, inputs, training=False, mask=None, initial_state=None):
        # `Layer.forward` has converted, checked and cast `inputs`: (N, L, F) in the weights' dtype.
        x = inputs
        batch, steps = x.shape[:2]
        if steps == 0:
            raise ValueError(f"layer '{self.name}' got a sequence of 0 timesteps, shape {tuple(x.shape)}")
        states = self.keeper.initial_states(x, initial_state)
        mask = self._check_mask(mask, batch, steps, x.device)
        if self.go_backwards:
            x = x.flip(1)
            mask = None if mask is None else mask.flip(1)
        if training and self.dropout > 0:
            x = x * self._dropout_mask((batch, 1, *x.shape[2:]), self.dropout, x)
        recurrent_mask = None
        if training and self.recurrent_dropout > 0:
            recurrent_mask = self._dropout_mask(tuple(states[0].shape), self.recurrent_dropout, x)
        outputs, finals = execution.run(self, x, states, mask, recurrent_mask, training)
        self.keeper.carry(finals)
        if self.return_state:
            return [outputs, *finals]
        return outputs

    def _check_mask(self, mask, batch, steps, device):
        if mask is None:
            return None
        mask = torch.as_tensor(mask, device=device)
        if tuple(mask.shape) != (batch, steps):
            raise ValueError(
                f"layer '{self.name}': `mask` must have shape (samples, timesteps) = "
                f"({batch}, {steps}), got shape {tuple(mask.shape)}"
            )
        mask = mask if mask.dtype == torch.bool else mask != 0
        if capturing_graph():  # an exported graph takes any mask: no shortcut on its values
            return mask
        # A mask that hides nothing changes nothing: take the plain (faster) path.
        return None if bool(mask.all()) else mask

    def _dropout_mask(self, shape, rate, like):
        # One mask per sequence, the same at every timestep (Keras), scaled so the expected
        # value is unchanged (inverted dropout).
        keep = torch.empty(shape, dtype=like.dtype, device=like.device)
        return keep.bernoulli_(1.0 - rate, generator=self.draws.generator(like.device)) / (1.0 - rate)

    # ---- execution path ----------------------------------------------------------------
    def _loop_reasons(self, training: bool) -> list[str]:
        reasons = []
        if self.kernel_name is None and self.cell.kind == "gru_reset_before":
            reasons.append("reset_after=False (Keras 2's GRU) has no fused kernel")
        elif self.kernel_name is None and self.cell.kind not in ("lstm", "gru", "rnn"):
            reasons.append(f"{type(self).__name__} has no fused kernel")
        elif self.kernel_name is None:
            names = f"activation={activations.serialize(self.activation)!r}"
            if self.recurrent_activation is not None:
                names += f", recurrent_activation={activations.serialize(self.recurrent_activation)!r}"
            reasons.append(f"{names} has no fused kernel")
        if self.use_cudnn is False:
            reasons.append("use_cudnn=False")
        if training and self.recurrent_dropout > 0:
            reasons.append(f"recurrent_dropout={self.recurrent_dropout} has no fused kernel "
                           "(used while training only; inference runs fused)")
        return reasons

    def execution_path(self, training: bool = True) -> str:
        """``'fused'`` when the fused kernel can compute a call with ``training`` (without
        tracing), else ``'loop'``. Which path a call actually took, and why, is
        :attr:`path` (see :mod:`seqlab.layers.recurrent.paths`)."""
        return "loop" if self._loop_reasons(training) else "fused"

    def summary_note(self) -> str | None:
        reasons = self._loop_reasons(training=True)
        notes = [f"step loop ({_LOOP_COST}): " + "; ".join(reasons)] if reasons else []
        if self.path is not None and (self.path.name, self.path.kernel) != ("fused", "torch") and not reasons:
            notes.append(f"last call on the {self.path}")
        return "; ".join(notes) or None

    def _announce_loop(self, training):
        if self._loop_announced:
            return
        reasons = self._loop_reasons(training)
        if reasons:
            self._loop_announced = True
            logger.info("layer '%s' runs on the step loop (%s): %s", self.name, _LOOP_COST,
                        "; ".join(reasons))

    # ---- stateful ----------------------------------------------------------------------
    def reset_states(self, states=None) -> None:
        """Forget the carried state (stateful layers), or set it to ``states``."""
        self.keeper.reset(states)

    @property
    def states(self):
        """The carried states (stateful layers), a list of ``(batch, units)`` tensors or None."""
        return self.keeper.current()

    # ---- config ------------------------------------------------------------------------
    def get_config(self):
        config = {
            **super().get_config(),
            "units": self.units,
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "recurrent_initializer": initializers.serialize(self.recurrent_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            **self.regularizer_config(),
            "dropout": self.dropout,
            "recurrent_dropout": self.recurrent_dropout,
            "return_sequences": self.return_sequences,
            "return_state": self.return_state,
            "go_backwards": self.go_backwards,
            "stateful": self.stateful,
            "unroll": self.unroll,
            "use_cudnn": self.use_cudnn,
            "seed": self.seed,
            "zero_output_for_mask": self.zero_output_for_mask,
        }
        if self.recurrent_activation is not None:
            config["recurrent_activation"] = activations.serialize(self.recurrent_activation)
        return config
