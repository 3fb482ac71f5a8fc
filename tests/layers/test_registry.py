"""The layer registry: class names, automatic names, and Keras 3's serialize / deserialize / get."""
import ast
import inspect

import pytest
import torch

import seqlab
from seqlab.layers import LSTM, Dense, Layer, registry
from seqlab.layers.registry import snake_case, unique_name


def test_snake_case_follows_keras_naming():
    assert snake_case("MaxPooling1D") == "max_pooling1d"
    assert snake_case("LSTM") == "lstm"
    assert snake_case("SimpleRNN") == "simple_rnn"
    assert snake_case("GlobalAveragePooling2D") == "global_average_pooling2d"


def test_unique_names_count_up_per_prefix():
    first = unique_name("probe_layer")
    assert first == "probe_layer"
    assert unique_name("probe_layer") == "probe_layer_1"
    assert unique_name("probe_layer") == "probe_layer_2"


def test_keras_3_names_serialize_deserialize_and_get():
    layer = LSTM(4, return_sequences=True, name="encoder")
    spec = seqlab.layers.serialize(layer)
    assert spec == {"class_name": "LSTM", "config": layer.get_config()}
    twin = seqlab.layers.deserialize(spec)
    assert type(twin) is LSTM and twin.name == "encoder" and twin.return_sequences
    assert seqlab.layers.get("LSTM") is LSTM
    assert seqlab.layers.get_class("Dense") is Dense


def test_unknown_names_and_bad_specs_are_named():
    with pytest.raises(ValueError, match=r"unknown layer class 'LTSM'; known layers: \[.*'LSTM'"):
        seqlab.layers.get("LTSM")
    with pytest.raises(ValueError, match=r"a layer spec needs 'class_name' and 'config', got"):
        seqlab.layers.deserialize(["Dense"])


def test_a_user_layer_is_registered_when_defined_and_round_trips():
    class Scale(Layer):
        def __init__(self, factor=2.0, **kwargs):
            super().__init__(**kwargs)
            self.factor = factor

        def call(self, inputs, training=False, mask=None):
            return inputs * self.factor

        def get_config(self):
            return {**super().get_config(), "factor": self.factor}

    assert registry.registered()["Scale"] is Scale
    twin = seqlab.layers.deserialize(seqlab.layers.serialize(Scale(3.0)))
    assert twin(torch.ones(1, 2)).tolist() == [[3.0, 3.0]]


def test_the_registry_is_the_lower_floor_it_imports_nothing_of_base():
    # base.py imports registry.py (Layer.__init_subclass__ registers); the other way would be a circle.
    tree = ast.parse(inspect.getsource(registry))
    imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    imported |= {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    assert not any(name.startswith("seqlab.layers") for name in imported), imported
