"""``Model``: what every seqlab model has, whatever builds its graph.

Three kinds of model share this one base (Keras 3's layout, keras/src/models/model.py, without
its trainer mixins): ``Sequential`` (a stack), the functional graph
(:mod:`seqlab.models.functional`, what ``Model(inputs, outputs)`` returns, as Keras's
``Model.__new__`` returns a ``Functional``) and a user's subclass with ``__init__`` + ``call``.
Each defines how it is built and run and its ``layers``; weights, training, saving, summary,
device placement and ``trainable`` live here once and delegate to :mod:`seqlab.training` and
:mod:`seqlab.models.saving`.

>>> import torch, seqlab
>>> class TwoLayers(seqlab.Model):
...     def __init__(self):
...         super().__init__()
...         self.hidden = seqlab.layers.Dense(4, activation='relu', name='hidden')
...         self.out = seqlab.layers.Dense(1, name='out')
...     def call(self, inputs, training=None):
...         return self.out(self.hidden(inputs))
>>> model = TwoLayers()
>>> model(torch.zeros(2, 3)).shape
torch.Size([2, 1])
>>> [layer.name for layer in model.layers], model.count_params()
(['hidden', 'out'], 21)
"""
from __future__ import annotations

from typing import Any

import torch
from torch import nn

from seqlab.errors import NotBuiltError
from seqlab.layers import penalties, registry, symbolic
from seqlab.layers import dtype_policy as policies
from seqlab.layers.base import Layer
from seqlab.models import export, saving
from seqlab.models.summary import summarize
from seqlab.notebook import display, in_notebook
from seqlab.training import loop
from seqlab.training.compile import compile_from_config, compile_model, get_compile_config


class Model(nn.Module):
    """A model: ``Model(inputs, outputs)`` for a functional graph, or a base class to subclass.

    Subclass it with ``__init__`` (create layers as attributes: they become torch submodules)
    and ``call(inputs, training=None)``; the model is built on its first call.

    Input shape: whatever ``call`` takes. Output shape: what it returns.
    """

    def __new__(cls, *args, **kwargs):
        # Keras: `Model(inputs, outputs)` is a functional model; `Model()` in a subclass is not.
        # The graph class is the subclass that says it is built from tensors (models/functional.py,
        # loaded with seqlab.models), found without importing it here: it imports this module.
        if cls is Model and (args or "inputs" in kwargs or "outputs" in kwargs):
            graph = next(sub for sub in Model.__subclasses__() if sub.__dict__.get("built_from_tensors"))
            return super().__new__(graph)
        return super().__new__(cls)

    def __init__(self, *, name: str | None = None, trainable: bool = True, dtype=None):
        super().__init__()
        self.name = name or registry.unique_name(registry.snake_case(type(self).__name__))
        # `dtype=`: the policy of the model's layers that were not given their own (each layer's
        # config then records it, so the model's config needs no key of its own).
        self._model_policy = None if dtype is None else policies.get(dtype)
        self.built = False
        self.stop_training = False
        self.compiled = None  # set by compile(): seqlab.training.compile.CompiledSetup
        self.history = None
        self.output_shapes: list = []
        # Where .to()/.cuda() asked the model to live before its weights existed (Keras
        # models build lazily); build() creates the weights there.
        self._placement: torch.device | None = None
        self._build_input_shape = None
        self._trainable_at_build = bool(trainable)  # a subclass's layers exist only once built

    def __call__(self, *args, **kwargs):
        # Called on symbolic tensors, a model is a layer of a functional graph (a nested model).
        if args and not isinstance(args[0], torch.Tensor) and symbolic.holds_symbolic(args[0]):
            return symbolic.call_layer(self, args[0], kwargs)
        return super().__call__(*args, **kwargs)

    @property
    def dtype_policy(self) -> policies.DTypePolicy:
        """The policy given as ``dtype=``, else the global one."""
        return self._model_policy or policies.global_policy()

    @property
    def compute_dtype(self) -> str:
        return self.dtype_policy.compute_dtype

    @property
    def variable_dtype(self) -> str:
        return self.dtype_policy.variable_dtype

    def apply_dtype_policy(self, layers) -> None:
        """Give the model's ``dtype=`` policy to each of ``layers`` that has none of its own."""
        if self._model_policy is None:
            return
        for layer in layers:
            if isinstance(layer, Layer) and not layer._dtype_given:
                layer.dtype_policy = self._model_policy

    # ---- a subclassed model: call() is the graph ---------------------------------------
    def call(self, inputs, training=None):
        raise NotImplementedError(
            f"model '{self.name}' ({type(self).__name__}) defines no `call(inputs, training=None)`; "
            "subclass seqlab.Model with __init__ and call, or build Model(inputs=..., outputs=...)"
        )

    def forward(self, inputs, training: bool | None = None, mask=None):
        outputs = self.call(inputs, training=self.training if training is None else training)
        if not self.built:
            self.built = True
            self.output_shapes = [_shape_with_free_batch(outputs)]
            if isinstance(inputs, torch.Tensor):  # saved with the model, to build it again on load
                self._build_input_shape = (None, *inputs.shape[1:])
            if not self._trainable_at_build:
                self.trainable = False
        return outputs

    def build(self, input_shape) -> None:
        """Build a subclassed model by running ``call`` once on zeros of ``input_shape``."""
        if self.built:
            return
        shape = tuple(input_shape)
        zeros = torch.zeros((shape[0] or 1, *(1 if s is None else s for s in shape[1:])),
                            device=self._placement or torch.device("cpu"))
        was_training = self.training
        self.eval()
        with torch.no_grad():
            self(zeros)
        self.train(was_training)
        self.reset_states()

    @property
    def layers(self) -> list:
        """The layers (and models) held as attributes, in the order they were assigned."""
        return [layer for _, layer in _tracked_layers(self, "")]

    def keyed_layers(self) -> list[tuple[str, Any]]:
        """``(key, layer)`` pairs that name each layer's weights in a file: a subclass's
        attribute paths (``"encoder"``, ``"blocks.0"``), stable whatever names the layers got."""
        return list(_tracked_layers(self, ""))

    def declared_input_shape(self):
        return None

    @property
    def input_shape(self):
        return self._build_input_shape

    @property
    def output_shape(self):
        return self.output_shapes[-1] if self.output_shapes else None

    def get_layer(self, name: str | None = None, index: int | None = None):
        """A layer by name or by index in ``layers``."""
        layers = self.layers
        if index is not None:
            if not -len(layers) <= index < len(layers):
                raise ValueError(f"model '{self.name}' has {len(layers)} layers, got index={index}")
            return layers[index]
        for layer in layers:
            if layer.name == name:
                return layer
        raise ValueError(f"no layer named {name!r} in model '{self.name}'; its layers are "
                         f"{[layer.name for layer in layers]}")

    @property
    def torch_dtype(self) -> torch.dtype:
        """The weights' dtype; before they exist, the dtype the first layer was declared with."""
        parameter = next(self.parameters(), None)
        if parameter is not None:
            return parameter.dtype
        layers = self.layers
        return layers[0].torch_dtype if layers else torch.get_default_dtype()

    @property
    def trainable(self) -> bool:
        """True while any layer trains; setting it sets every layer's (Keras's ``model.trainable``)."""
        return any(layer.trainable for layer in self.layers)

    @trainable.setter
    def trainable(self, value) -> None:
        for layer in self.layers:
            layer.trainable = value

    @property
    def losses(self) -> list[torch.Tensor]:
        """Regularization penalties as scalar tensors: every weight penalty from the current
        weights, and the activity penalties of the last forward pass (Keras's ``model.losses``).
        Training adds their sum to the loss."""
        return penalties.collect(m for m in self.modules() if isinstance(m, Layer))

    def reset_states(self) -> None:
        """Forget the state carried by every stateful layer."""
        for layer in self.layers:
            layer.reset_states()

    def reset_state(self) -> None:
        self.reset_states()

    # ---- device -----------------------------------------------------------------------
    @property
    def device(self) -> torch.device:
        parameter = next(self.parameters(), None)
        if parameter is not None:
            return parameter.device
        return self._placement or torch.device("cpu")

    def to(self, *args, **kwargs):
        device = torch._C._nn._parse_to(*args, **kwargs)[0]
        if device is not None:
            self._placement = device
        return super().to(*args, **kwargs)

    def cuda(self, device=None):
        if device is None:
            device = "cuda"
        elif isinstance(device, int):
            device = torch.device("cuda", device)
        return self.to(device)

    def cpu(self):
        return self.to("cpu")

    # ---- weights ----------------------------------------------------------------------
    def _require_built(self, what: str) -> None:
        if not self.built:
            raise NotBuiltError(
                f"model '{self.name}' has not been built yet, so `{what}` has nothing to show. "
                "Give the first layer an input_shape, start with Input(shape=...), or call "
                "fit()/build() first"
            )

    def count_params(self) -> int:
        self._require_built("count_params")
        return sum(layer.count_params() for layer in self.layers)

    def weight_names(self) -> list[str]:
        """``"<layer>/<weight>"`` for every weight, in ``get_weights()`` order (a nested model's
        weights are keyed this way inside its parent's file)."""
        return [f"{key}/{name}" for key, layer in self.keyed_layers() if layer.built for name in layer.weight_names()]

    def get_weights(self) -> list:
        self._require_built("get_weights")
        return [w for layer in self.layers if layer.built for w in layer.get_weights()]

    def set_weights(self, weights) -> None:
        self._require_built("set_weights")
        weights = list(weights)
        layers = [layer for layer in self.layers if layer.built]
        expected = sum(len(layer.weight_names()) for layer in layers)
        if len(weights) != expected:
            raise ValueError(f"model '{self.name}' has {expected} weight arrays, got a list of {len(weights)}")
        for layer in layers:
            count = len(layer.weight_names())
            layer.set_weights(weights[:count])
            weights = weights[count:]

    def summary(self, print_fn=print, line_length: int | None = None) -> str | None:
        """Print the layer table in Keras's format (and return it when ``print_fn`` is None).

        In a Jupyter notebook the default (``print_fn=print``) shows the table as HTML instead,
        with the text as its plain fallback; ``seqlab.models.summary.summarize(model)`` gives the
        table itself (``str()`` the text, ``_repr_html_`` the HTML).
        """
        self._require_built("summary")
        table = summarize(self, line_length)
        if print_fn is None:
            return str(table)
        if print_fn is print and in_notebook():
            display(table)
        else:
            print_fn(str(table))
        return None

    # ---- config -----------------------------------------------------------------------
    def get_config(self) -> dict[str, Any]:
        """A subclass that takes arguments overrides this (and ``from_config``) to be saved whole."""
        return {"name": self.name, "trainable": self.trainable if self.built else self._trainable_at_build}

    @classmethod
    def from_config(cls, config: dict[str, Any]):
        try:
            return cls(**config)
        except TypeError as error:
            raise TypeError(
                f"{cls.__name__}.from_config cannot rebuild the model from {config} ({error}): a "
                "subclassed model whose __init__ takes arguments defines get_config() and "
                "from_config() to be saved and loaded whole (as in Keras)"
            ) from None

    # ---- training and saving (delegated) ----------------------------------------------
    def compile(self, optimizer="rmsprop", loss=None, metrics=None, **kwargs):
        return compile_model(self, optimizer=optimizer, loss=loss, metrics=metrics, **kwargs)

    def get_compile_config(self) -> dict | None:
        """The compile settings as JSON, or None before ``compile`` (Keras's method)."""
        return get_compile_config(self)

    def compile_from_config(self, config: dict, custom_objects: dict | None = None) -> None:
        """Compile from :meth:`get_compile_config`'s JSON; user functions come from ``custom_objects``."""
        compile_from_config(self, config, custom_objects=custom_objects)

    @property
    def metrics_names(self) -> list[str]:
        """``['loss', <metric>...]``: what ``evaluate`` returns, in order (empty before compile)."""
        return [] if self.compiled is None else ["loss", *self.compiled.metric_names]

    def fit(self, x=None, y=None, **kwargs):
        return loop.fit(self, x, y, **kwargs)

    def evaluate(self, x=None, y=None, **kwargs):
        return loop.evaluate(self, x, y, **kwargs)

    def predict(self, x, **kwargs):
        return loop.predict(self, x, **kwargs)

    def save(self, filepath, include_optimizer: bool = True) -> None:
        saving.save_model(self, filepath, include_optimizer=include_optimizer)

    def export(self, filepath, format=None, verbose=None, input_signature=None, **kwargs) -> str:
        """Write the inference graph for serving without seqlab (Keras 3's ``Model.export``).

        Args:
            filepath: the file to write.
            format: ``"onnx"`` (an ONNX file for onnxruntime; needs ``seqlab[export]``) or
                ``"torch"`` (a ``torch.export`` program, a ``.pt2`` file for
                ``torch.export.load``); None takes it from the suffix ``.onnx`` / ``.pt2``.
            verbose: print where the file went (default True).
            input_signature: the input shape(s) with the batch axis, ``None`` for a free size,
                e.g. ``(None, 30, 3)``; by default the model's input shape(s).
            **kwargs: ``opset_version`` (ONNX), ``strict`` (torch.export).

        Returns the path written. See :mod:`seqlab.models.export` for what stays free.

        >>> import os, tempfile, torch, seqlab
        >>> model = seqlab.models.Sequential([seqlab.layers.Input(shape=(3,)), seqlab.layers.Dense(1)])
        >>> path = model.export(os.path.join(tempfile.mkdtemp(), "model.pt2"), verbose=False)
        >>> torch.export.load(path).module()(torch.ones(4, 3)).shape
        torch.Size([4, 1])
        """
        return export.export_model(self, filepath, format=format, verbose=verbose,
                                   input_signature=input_signature, **kwargs)

    def save_weights(self, filepath) -> None:
        saving.save_weights(self, filepath)

    def load_weights(self, filepath) -> None:
        saving.load_weights(self, filepath)

    def train_on_batch(self, x, y, **kwargs):
        return loop.train_on_batch(self, x, y, **kwargs)

    def test_on_batch(self, x, y, **kwargs):
        return loop.test_on_batch(self, x, y, **kwargs)

    def predict_on_batch(self, x):
        return loop.predict_on_batch(self, x)


def _tracked_layers(module: nn.Module, prefix: str):
    """``(attribute path, layer)`` for the top-most seqlab layers and models under ``module``
    (through lists and dicts of them)."""
    for name, child in module.named_children():
        path = f"{prefix}{name}"
        if isinstance(child, (Layer, Model)):
            yield path, child
        else:
            yield from _tracked_layers(child, f"{path}.")


def _shape_with_free_batch(outputs):
    if isinstance(outputs, torch.Tensor):
        return (None, *outputs.shape[1:])
    if isinstance(outputs, (list, tuple)):
        return [(None, *o.shape[1:]) for o in outputs]
    return None
