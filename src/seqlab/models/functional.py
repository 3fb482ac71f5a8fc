"""The functional model: ``Model(inputs, outputs)``, a graph of layer calls (Keras 3's
``Functional``, keras/src/models/functional.py).

Construction walks the recorded nodes (:mod:`seqlab.layers.symbolic`) from the outputs back to
the inputs once and keeps them in topological order; running the graph is a loop over that
list. Every layer, shared ones once, is a torch submodule. The config is Keras 3's: each layer
with its ``inbound_nodes`` (the call's arguments, tensors as ``keras_history`` =
``[layer name, node index, tensor index]``) plus ``input_layers`` and ``output_layers``.
"""
from __future__ import annotations

from typing import Any

import torch
from torch import nn

from seqlab.errors import describe
from seqlab.layers import registry
from seqlab.layers.base import OUTPUT_MASK
from seqlab.layers.input_layer import InputLayer
from seqlab.layers.inputs import as_tensor_input
from seqlab.layers.symbolic import Node, SymbolicTensor, map_structure
from seqlab.models.model import Model
from seqlab.models.sequential import Sequential

# The models a functional config may nest, beside the registered layers.
NESTED_MODELS: dict[str, type] = {"Sequential": Sequential}


class Functional(Model):
    """A model defined by its input and output symbolic tensors (made by ``seqlab.Model``).

    Args:
        inputs: one symbolic tensor from ``seqlab.Input``, or a list or dict of them.
        outputs: symbolic tensors computed from ``inputs``: one, a list, or a dict.
        name: the model's name (``'functional'`` by default, as Keras 3).

    Input shape: the ``Input`` shapes; called with one tensor, a list in ``input_names`` order
    or a dict keyed by ``input_names``. Output shape: the outputs', in their structure.

    >>> import torch, seqlab
    >>> x = seqlab.Input(shape=(7, 1))
    >>> y = seqlab.layers.Dense(1)(seqlab.layers.LSTM(4)(x))
    >>> model = seqlab.Model(inputs=x, outputs=y)
    >>> model.output_shape, model(torch.zeros(2, 7, 1)).shape
    ((None, 1), torch.Size([2, 1]))
    """

    built_from_tensors = True  # what Model(inputs, outputs) returns (see Model.__new__)
    nested_inputs = True  # lists and dicts are structures of inputs/outputs for the training road

    def __init__(self, inputs, outputs, name: str | None = None, trainable: bool = True, dtype=None):
        super().__init__(name=name or registry.unique_name("functional"), dtype=dtype)
        self._inputs, self.input_structure = _flat(inputs, "inputs", self.name)
        self._outputs, self.output_structure = _flat(outputs, "outputs", self.name)
        self._output_keys = list(outputs) if isinstance(outputs, dict) else None
        for index, tensor in enumerate(self._inputs):
            if not isinstance(tensor.layer, InputLayer):
                raise ValueError(
                    f"model '{self.name}': `inputs` must come from seqlab.Input(...); input {index} "
                    f"is the output of layer '{tensor.layer.name}' ({type(tensor.layer).__name__})"
                )
        self._nodes = _topological_nodes(self._inputs, self._outputs, self.name)
        self._graph_layers = nn.ModuleList(_unique_layers(self._inputs, self._nodes, self.name))
        self.apply_dtype_policy(self._graph_layers)
        self.input_names = [tensor.layer.name for tensor in self._inputs]
        self.output_names = self._output_keys or _output_names(self._outputs)
        self.output_shapes = [tensor.shape for tensor in self._outputs]
        self.built = True
        if not trainable:
            self.trainable = False

    # ---- structure --------------------------------------------------------------------
    @property
    def layers(self) -> list:
        """Every layer once, InputLayers first, in topological order (Keras 3's ``layers``)."""
        return list(self._graph_layers)

    def keyed_layers(self) -> list:
        """``(layer name, layer)``: a graph's weights are keyed by layer names, as in Keras."""
        return [(layer.name, layer) for layer in self.layers]

    @property
    def inputs(self) -> list[SymbolicTensor]:
        return list(self._inputs)

    @property
    def outputs(self) -> list[SymbolicTensor]:
        return list(self._outputs)

    def input_specs(self) -> list[tuple[str, tuple, torch.dtype, bool]]:
        """``(name, batch shape, dtype, integer_inputs)`` per input, in ``input_names`` order."""
        return [(t.layer.name, t.shape, t.dtype, t.layer.integer_inputs) for t in self._inputs]

    def declared_input_shape(self):
        return self._inputs[0].shape if len(self._inputs) == 1 else None

    @property
    def input_shape(self):
        shapes = [tensor.shape for tensor in self._inputs]
        return shapes[0] if self.input_structure == "single" else shapes

    @property
    def output_shape(self):
        return self.output_shapes[0] if self.output_structure == "single" else list(self.output_shapes)

    def nodes_of(self, layer) -> list[Node]:
        """The calls of ``layer`` inside this model, in running order (index = node index)."""
        return [node for node in self._nodes if node.layer is layer]

    def build(self, input_shape=None) -> None:
        """A functional model is built at construction; nothing to do."""

    # ---- running ----------------------------------------------------------------------
    def forward(self, inputs, training: bool | None = None, mask=None):
        values = self._bind(inputs)
        masks: dict = {}
        if mask is not None and len(self._inputs) == 1:
            masks[id(self._inputs[0])] = mask
        training = self.training if training is None else training
        for node in self._nodes:
            node.run(values, masks, training)
        results = []
        for tensor in self._outputs:
            value = values[id(tensor)]
            if id(tensor) in masks and isinstance(value, torch.Tensor):
                setattr(value, OUTPUT_MASK, masks[id(tensor)])  # Keras: a sequence output carries its mask
            results.append(value)
        if self.output_structure == "single":
            return results[0]
        if self.output_structure == "dict":
            return dict(zip(self.output_names, results))
        return results

    def _bind(self, inputs) -> dict:
        count = len(self._inputs)
        if isinstance(inputs, dict):
            unknown = [key for key in inputs if key not in self.input_names]
            missing = [name for name in self.input_names if name not in inputs]
            if unknown or missing:
                raise ValueError(f"model '{self.name}' takes inputs named {self.input_names}, got a dict "
                                 f"with keys {list(inputs)}" + (f"; unknown: {unknown}" if unknown else "")
                                 + (f"; missing: {missing}" if missing else ""))
            given = [inputs[name] for name in self.input_names]
        elif isinstance(inputs, (list, tuple)) and count > 1:
            if len(inputs) != count:
                raise ValueError(f"model '{self.name}' takes {count} inputs {self.input_names}, got a "
                                 f"{type(inputs).__name__} of {len(inputs)}")
            given = list(inputs)
        elif count == 1:
            given = [inputs[0] if isinstance(inputs, (list, tuple)) and len(inputs) == 1 else inputs]
        else:
            raise TypeError(f"model '{self.name}' takes {count} inputs {self.input_names}: pass a list "
                            f"in that order or a dict keyed by those names, got {describe(inputs)}")
        return {id(tensor): as_tensor_input(value, self) for tensor, value in zip(self._inputs, given)}

    # ---- config -----------------------------------------------------------------------
    def get_config(self) -> dict[str, Any]:
        history = {}  # id(symbolic tensor) -> [layer name, node index, tensor index]
        for tensor in self._inputs:
            history[id(tensor)] = [tensor.layer.name, 0, 0]
        layers = []
        for layer in self.layers:
            spec = {**registry.serialize(layer), "name": layer.name, "inbound_nodes": []}
            for index, node in enumerate(self.nodes_of(layer)):
                for tensor in node.outputs:
                    history[id(tensor)] = [layer.name, index, tensor.index]
                spec["inbound_nodes"].append({
                    "args": [map_structure(lambda t: _tensor_config(t, history), node.arguments)],
                    "kwargs": {key: map_structure(lambda t: _tensor_config(t, history), value)
                               for key, value in node.kwargs.items()},
                })
            layers.append(spec)
        return {"name": self.name, "trainable": self.trainable, "layers": layers,
                "input_layers": _structure_config(self._inputs, self.input_structure, self.input_names, history),
                "output_layers": _structure_config(self._outputs, self.output_structure, self._output_keys, history)}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> "Functional":
        created, tensors, pending = {}, {}, []
        for spec in config["layers"]:
            layer = _deserialize(spec)
            created[spec["name"]] = layer
            if isinstance(layer, InputLayer):
                tensors[(layer.name, 0, 0)] = layer.output
            pending += [(layer, index, node) for index, node in enumerate(spec.get("inbound_nodes", []))]
        # A shared layer's later call may read layers listed after it: run the nodes whose
        # inputs exist until none is left (Keras's from_config does the same).
        while pending:
            ready = [entry for entry in pending if all(_history(a) in tensors for a in _tensor_configs(entry[2]))]
            if not ready:
                raise ValueError(f"functional config '{config.get('name')}': the nodes of layers "
                                 f"{sorted({e[0].name for e in pending})} read tensors no layer makes")
            for layer, index, node in ready:
                pending.remove((layer, index, node))
                lookup = lambda value: _revive(value, tensors)  # noqa: E731
                arguments = lookup(node["args"][0])
                outputs = layer(arguments, **{k: lookup(v) for k, v in node.get("kwargs", {}).items()})
                for position, tensor in enumerate(outputs if isinstance(outputs, list) else [outputs]):
                    tensors[(layer.name, index, position)] = tensor
        inputs = _revive_structure(config["input_layers"], tensors)
        outputs = _revive_structure(config["output_layers"], tensors)
        return cls(inputs, outputs, name=config.get("name"), trainable=config.get("trainable", True))

    def __repr__(self) -> str:
        return f"Functional(name={self.name!r}, inputs={self.input_names}, outputs={self.output_names})"


# ---- construction ------------------------------------------------------------------------------
def _flat(structure, what: str, model: str) -> tuple[list[SymbolicTensor], str]:
    if isinstance(structure, dict):
        kind, tensors = "dict", list(structure.values())
    elif isinstance(structure, (list, tuple)):
        kind, tensors = "list", list(structure)
    else:
        kind, tensors = "single", [structure]
    if not tensors:
        raise ValueError(f"model '{model}': `{what}` is empty")
    for index, tensor in enumerate(tensors):
        if not isinstance(tensor, SymbolicTensor):
            where = what if kind == "single" else f"{what}[{index}]"
            raise TypeError(f"model '{model}': `{where}` must be a symbolic tensor (from seqlab.Input(...) "
                            f"or a layer called on one), got {describe(tensor)}")
    return tensors, kind


def _topological_nodes(inputs, outputs, model: str) -> list[Node]:
    """The nodes between ``inputs`` and ``outputs``, each after the nodes it reads."""
    given = {id(tensor) for tensor in inputs}
    order, done, used = [], set(), set()

    def visit(tensor, output):
        node = tensor.node
        if id(tensor) in given:
            used.add(id(tensor))
            return
        if isinstance(node.layer, InputLayer):
            raise ValueError(
                f"model '{model}': graph disconnected: output '{output.name}' needs input "
                f"'{node.layer.name}' (shape {tensor.shape}), which is not in `inputs` "
                f"{[t.layer.name for t in inputs]}; add it to `inputs`"
            )
        if id(node) in done:
            return
        for parent in node.inputs:
            visit(parent, output)
        done.add(id(node))
        order.append(node)

    for tensor in outputs:
        visit(tensor, tensor)
    unused = [t.layer.name for t in inputs if id(t) not in used]
    if unused:
        raise ValueError(f"model '{model}': the outputs {[t.name for t in outputs]} do not depend on "
                         f"input(s) {unused}; remove them from `inputs` or use them")
    return order


def _unique_layers(inputs, nodes, model: str) -> list:
    layers, seen, names = [], set(), {}
    for layer in [t.layer for t in inputs] + [node.layer for node in nodes]:
        if id(layer) in seen:
            continue
        if layer.name in names:
            raise ValueError(f"model '{model}': two different layers are named '{layer.name}' "
                             f"({type(names[layer.name]).__name__} and {type(layer).__name__}); "
                             "layer names must be unique within a model")
        seen.add(id(layer))
        names[layer.name] = layer
        layers.append(layer)
    return layers


def _output_names(outputs) -> list[str]:
    names = []
    for tensor in outputs:
        name = tensor.layer.name
        names.append(name if name not in names else f"{name}_{len(names)}")
    return names


# ---- config ------------------------------------------------------------------------------------
def _tensor_config(tensor: SymbolicTensor, history: dict) -> dict:
    dtype = str(tensor.dtype).replace("torch.", "")
    return {"class_name": "__keras_tensor__",
            "config": {"shape": list(tensor.shape), "dtype": dtype, "keras_history": history[id(tensor)]}}


def _structure_config(tensors, kind: str, keys, history: dict):
    entries = [history[id(tensor)] for tensor in tensors]
    if kind == "dict":
        return dict(zip(keys, entries))
    return entries[0] if kind == "single" else entries


def _deserialize(spec: dict):
    cls = NESTED_MODELS.get(spec["class_name"])
    if cls is None and spec["class_name"] == "Functional":
        cls = Functional
    if cls is not None:
        return cls.from_config(dict(spec["config"]))
    return registry.deserialize(spec)


def _history(value: dict) -> tuple:
    return tuple(value["config"]["keras_history"])


def _tensor_configs(node: dict) -> list[dict]:
    found = []

    def walk(value):
        if isinstance(value, dict) and value.get("class_name") == "__keras_tensor__":
            found.append(value)
        elif isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)
    walk(node.get("args", []))
    walk(node.get("kwargs", {}))
    return found


def _revive(value, tensors: dict):
    if isinstance(value, dict) and value.get("class_name") == "__keras_tensor__":
        return tensors[_history(value)]
    if isinstance(value, dict):
        return {key: _revive(item, tensors) for key, item in value.items()}
    if isinstance(value, list):
        return [_revive(item, tensors) for item in value]
    return value


def _revive_structure(value, tensors: dict):
    if isinstance(value, dict):
        return {key: tensors[tuple(entry)] for key, entry in value.items()}
    if value and isinstance(value[0], list):
        return [tensors[tuple(entry)] for entry in value]
    return tensors[tuple(value)]


__all__ = ["Functional"]
