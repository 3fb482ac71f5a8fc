"""A stand-in for the functional ``seqlab.Model`` until both land: a torch Module of two seqlab
Dense branches that implements exactly the interface the training code reads from a model of
several inputs and outputs (``nested_inputs``, ``input_names``/``output_names``,
``input_specs()``, ``output_structure``, forward on a tensor/list/dict, ``output_shape``...).

Inputs ``a`` (N, 3) and ``b`` (N, 2); outputs ``out_a = Dense(1)(a)`` and
``out_b = Dense(units_b, activation)(b)``, returned as a list, a dict or (``outputs=1``) the
tensor ``out_a`` alone. ``inputs=1`` gives a model of the one input ``a`` (``b`` is ``a[:, :2]``).
"""
from __future__ import annotations

import torch
from torch import nn

from seqlab.layers import Dense
from seqlab.training import loop
from seqlab.training.compile import compile_from_config, compile_model, get_compile_config


class TwoBranch(nn.Module):
    nested_inputs = True  # lists and dicts are structures of arrays, not one array

    def __init__(self, structure: str = "list", inputs: int = 2, outputs: int = 2, units_b: int = 2,
                 activation_b=None, name: str = "m"):
        super().__init__()
        self.name = name
        self.dense_a = Dense(1, name="out_a")
        self.dense_b = Dense(units_b, activation=activation_b, name="out_b")
        self.dense_a.build_from_shape((None, 3))
        self.dense_b.build_from_shape((None, 2))
        self.input_names = ["a", "b"][:inputs]
        self.output_names = ["out_a", "out_b"][:outputs]
        self.output_structure = "single" if outputs == 1 else structure
        self.built = True
        self.compiled = None
        self.stop_training = False
        self.history = None

    @property
    def layers(self):
        return [self.dense_a, self.dense_b][:len(self.output_names)]

    def input_specs(self):
        shapes = {"a": (None, 3), "b": (None, 2)}
        return [(name, shapes[name], torch.float32, False) for name in self.input_names]

    @property
    def output_shape(self):
        shapes = [(None, 1), (None, self.dense_b.units)][:len(self.output_names)]
        return shapes[0] if len(shapes) == 1 else shapes

    @property
    def device(self) -> torch.device:
        return next(self.parameters()).device

    def forward(self, inputs, training=None):
        if isinstance(inputs, dict):
            inputs = [inputs[name] for name in self.input_names]
        elif isinstance(inputs, torch.Tensor):
            inputs = [inputs]
        a = inputs[0]
        b = inputs[1] if len(inputs) > 1 else a[:, :2]
        out = [self.dense_a(a, training=training), self.dense_b(b, training=training)][:len(self.output_names)]
        if self.output_structure == "single":
            return out[0]
        if self.output_structure == "dict":
            return dict(zip(self.output_names, out))
        return out

    # ---- what Sequential delegates to seqlab.training, the same way -----------------------
    def compile(self, optimizer="rmsprop", loss=None, metrics=None, **kwargs):
        return compile_model(self, optimizer=optimizer, loss=loss, metrics=metrics, **kwargs)

    def get_compile_config(self):
        return get_compile_config(self)

    def compile_from_config(self, config, custom_objects=None):
        compile_from_config(self, config, custom_objects=custom_objects)

    @property
    def metrics_names(self):
        return [] if self.compiled is None else ["loss", *self.compiled.metric_names]

    def fit(self, x=None, y=None, **kwargs):
        return loop.fit(self, x, y, **kwargs)

    def evaluate(self, x=None, y=None, **kwargs):
        return loop.evaluate(self, x, y, **kwargs)

    def predict(self, x, **kwargs):
        return loop.predict(self, x, **kwargs)

    def train_on_batch(self, x, y, **kwargs):
        return loop.train_on_batch(self, x, y, **kwargs)

    def predict_on_batch(self, x):
        return loop.predict_on_batch(self, x)
