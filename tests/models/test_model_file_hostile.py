"""Loading hostile or corrupt model files: every failure is a clear error naming the file.

The crafted files are built with zipfile/json/struct directly (``crafted_model_files``): the
members of a real small saved model, with one thing changed. Each test asserts the message.
"""
import json
import os
import subprocess
import sys
import time
import zipfile

import numpy as np
import pytest
import torch

from crafted_model_files import (
    flip_central_compression, layer_config, patch_central_directory, read_members, save_small_model,
    with_json, with_raw, without, write_members,
)
from seqlab.errors import ModelFileError
from seqlab.layers import Dropout, Input, Normalization
from seqlab.models import Model, Sequential, load_model


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    return save_small_model(tmp_path_factory.mktemp("hostile") / "small.seqlab")


def _load_fails(path, pattern, error=ModelFileError):
    with pytest.raises(error, match=pattern) as caught:
        load_model(path)
    assert os.path.basename(path) in str(caught.value)  # the file is named
    return caught.value


# ---- 1. the config cannot make the loader allocate beyond what the file stores ----------------
def test_lstm_units_beyond_the_stored_weights_are_refused_before_any_allocation(saved, tmp_path):
    def huge(value):
        layer_config(value, 0)["units"] = 20000
    # The file was 4.6 KB: without the training state (10 KB of generator words, which
    # the attack does not need) this one is as small.
    small = without(without(saved, tmp_path / "nostate.seqlab", "training_state.json"),
                    tmp_path / "nostate2.seqlab", "training_state.safetensors")
    path = with_json(small, tmp_path / "lstm20000.seqlab", "model.json", huge)
    assert os.path.getsize(path) < 6000
    started = time.perf_counter()
    _load_fails(path, r"'.*lstm20000.seqlab': its model config does not match its stored weights: layer "
                      r"'lstm' \(LSTM\) asks for a weight 'weight_ih' of shape \(2, 80000\) \(160,000 values\), "
                      r"beyond the 117 values .*model.weights.safetensors\) holds in all")
    assert time.perf_counter() - started < 1.0  # before: 6.4 GB of weights initialised first


def test_dense_units_and_input_features_beyond_the_stored_weights_are_refused(saved, tmp_path):
    def dense(value):
        layer_config(value, 1)["units"] = 10**11
    _load_fails(with_json(saved, tmp_path / "dense.seqlab", "model.json", dense),
                r"layer 'out' \(Dense\) asks for a weight 'kernel' of shape \(4, 100000000000\)")

    def features(value):
        layer_config(value, 0)["batch_input_shape"] = [None, 5, 10**10]
        value["build_input_shape"] = [None, 5, 10**10]
    _load_fails(with_json(saved, tmp_path / "features.seqlab", "model.json", features),
                r"layer 'lstm' \(LSTM\) asks for a weight 'weight_ih' of shape \(10000000000, 16\)")


def test_weights_of_another_shape_name_the_file_the_weight_and_both_shapes(saved, tmp_path):
    def one_feature(value):  # fewer values than stored: passes the bound, then the shapes differ
        layer_config(value, 0)["batch_input_shape"] = [None, 5, 1]
        value["build_input_shape"] = [None, 5, 1]
    _load_fails(with_json(saved, tmp_path / "narrow.seqlab", "model.json", one_feature),
                r"model file '.*narrow.seqlab': layer 'lstm': weight 'kernel' has shape \(1, 16\), "
                r"got an array of shape \(2, 16\)")


def test_a_huge_shape_probe_of_a_layer_without_weights_is_refused(tmp_path):
    # A functional model runs each layer on zeros to learn its output shape.
    path = str(tmp_path / "dropout.seqlab")
    inputs = Input((3,))
    Model(inputs, Dropout(0.1)(inputs)).save(path)

    def wide(value):
        layer_config(value, 0)["batch_input_shape"] = [None, 10**10]
        value["build_input_shape"] = [None, 10**10]
    _load_fails(with_json(path, tmp_path / "wide.seqlab", "model.json", wide),
                r"does not match its stored weights: building needs a tensor of shape \(1, 10000000000\) "
                r"\(40,000,000,000 bytes\), beyond the 67,108,864 bytes allowed")


def test_huge_preprocessing_statistics_are_refused(tmp_path):
    path = str(tmp_path / "normalization.seqlab")
    layer = Normalization(input_shape=(3,))
    layer.adapt(np.arange(12, dtype=np.float32).reshape(4, 3))
    Sequential([layer]).save(path)

    def wide(value):
        layer_config(value, 0)["batch_input_shape"] = [None, 10**10]
        value["build_input_shape"] = [None, 10**10]
    _load_fails(with_json(path, tmp_path / "wide.seqlab", "model.json", wide),
                r"building needs a tensor of shape \(10000000000,\) \(40,000,000,000 bytes\)")


def test_the_bound_costs_nothing_on_a_good_file(saved):
    # The guard is a torch-function mode: a dispatch mode would import torch._dynamo (seconds).
    code = ("import sys, seqlab.models as m; m.load_model(sys.argv[1]); "
            "print('torch._dynamo' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code, saved], capture_output=True, text=True, check=True,
                            env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    assert result.stdout.strip() == "False"


# ---- 2. members are stored, once, with bounded sizes -----------------------------------------
def test_a_compressed_member_is_refused_before_it_is_inflated(saved, tmp_path):
    members = read_members(saved)
    members["model.json"] = b" " * 2**26  # 64 MiB of spaces: a few KB once compressed
    path = write_members(tmp_path / "bomb.seqlab", members, compressed={"model.json"})
    assert os.path.getsize(path) < 2**20
    _load_fails(path, r"'.*bomb.seqlab' is corrupted or not written by seqlab: entry 'model.json' is "
                      r"compressed \(zip method 8\); seqlab stores entries uncompressed")


def test_a_flipped_compression_field_is_the_same_clear_error(saved, tmp_path):
    path = tmp_path / "flipped.seqlab"
    path.write_bytes(flip_central_compression(open(saved, "rb").read(), to_method=99))
    _load_fails(str(path), r"entry 'seqlab.json' is compressed \(zip method 99\)")  # was NotImplementedError


def test_a_declared_size_beyond_the_bound_is_refused_before_reading(saved, tmp_path):
    path = tmp_path / "declared.seqlab"
    raw = open(saved, "rb").read()
    raw = patch_central_directory(raw, "model.json", 24, 2**31, "<I")
    raw = patch_central_directory(raw, "model.json", 20, 2**31, "<I")
    path.write_bytes(raw)
    _load_fails(str(path), r"entry 'model.json' declares 2,147,483,648 bytes \(2,147,483,648 stored\), "
                           r"beyond the 16,777,216 bytes such an entry may have")


def test_a_member_given_twice_is_refused(saved, tmp_path):
    members = list(read_members(saved).items())
    members.append(("model.json", members[1][1]))
    _load_fails(write_members(tmp_path / "twice.seqlab", members),
                r"'.*twice.seqlab' is corrupted: it holds the entry 'model.json' twice")


# ---- 3. one schema per JSON member ------------------------------------------------------------
def _set(member_key, value):
    def change(config):
        target = config
        *parents, last = member_key
        for key in parents:
            target = target[key]
        if value is _DELETE:
            del target[last]
        else:
            target[last] = value
    return change


_DELETE = object()
_TORCH_SGD = {"class_name": "TorchOptimizer", "config": {"torch_class": "SGD", "lr": 0.01}}

SCHEMA_CASES = [
    ("compile.json", ("optimizer",), "adam", r"compile.json key 'optimizer' is 'adam'; expected a JSON object"),
    ("compile.json", ("optimizer",), _DELETE,
     r"compile.json the top level is .*; expected an object with the keys \['optimizer'\] \(missing \['optimizer'\]\)"),
    ("compile.json", ("loss",), "mse", r"compile.json key 'loss' is 'mse'; expected a loss spec: \{'name': ...\}"),
    ("compile.json", ("loss",), 5, r"compile.json key 'loss' is 5; expected a loss spec"),
    ("compile.json", ("loss",), {}, r"compile.json key 'loss' is \{\}; expected a loss spec"),
    ("compile.json", ("metrics",), "mae", r"compile.json key 'metrics' is 'mae'; expected a list"),
    ("compile.json", ("optimizer", "config", "learning_rate"), "abc",
     r"compile.json key 'optimizer.config.learning_rate' is 'abc'; expected a number >= 0"),
    ("model.json", ("config", "layers", 0, "config", "batch_input_shape"), [None, -5, 1],
     r"model.json key 'config.layers\[0\].config.batch_input_shape\[1\]' is -5; expected an integer >= 1"),
    ("model.json", ("config", "layers", 0, "class_name"), 7,
     r"model.json key 'config.layers\[0\].class_name' is 7; expected a string"),
    ("seqlab.json", ("format_version",), True, r"seqlab.json key 'format_version' is True; expected an integer from 1 to 1"),
    ("seqlab.json", ("format_version",), -3, r"seqlab.json key 'format_version' is -3; expected an integer from 1 to 1"),
    ("optimizer.json", ("param_groups", 0, "params", 0), 99,
     r"optimizer.json key 'param_groups\[0\].params\[0\]' is 99; expected an integer from 0 to 4"),
    ("optimizer.json", ("param_names",), _DELETE,
     r"optimizer.json the top level is .*\(missing \['param_names'\]\)"),
    ("optimizer.json", ("scalars",), [], r"optimizer.json key 'scalars' is \[\]; expected a JSON object"),
    # 4. a bad optimizer state is refused at load, not at the next fit
    ("optimizer.json", ("param_groups", 0, "lr"), "abc",
     r"optimizer.json key 'param_groups\[0\].lr' is 'abc'; expected a number >= 0"),
    ("optimizer.json", ("param_groups", 0, "iterations"), "abc",
     r"optimizer.json key 'param_groups\[0\].iterations' is 'abc'; expected an integer >= 0"),
    ("optimizer.json", ("scalars",), {"out/bias": {"step": "x"}},
     r"optimizer.json key 'scalars.out/bias.step' is 'x'; expected a number >= 0"),
    ("optimizer.json", ("param_groups", 0, "beta_1"), "x",
     r"'.*': the optimizer state's param_groups\[0\].beta_1 is 'x'; Adam keeps a value like 0.9 there"),
    ("optimizer.json", ("param_groups", 0, "foo"), 1,
     r"the optimizer state's param_groups\[0\] sets 'foo', which Adam does not have"),
]


@pytest.mark.parametrize("member, key, value, pattern", SCHEMA_CASES,
                         ids=[f"{m}-{'.'.join(map(str, k))}={v!r}" for m, k, v, _ in SCHEMA_CASES])
def test_each_json_member_is_checked_against_its_schema(saved, tmp_path, member, key, value, pattern):
    path = with_json(saved, tmp_path / "crafted.seqlab", member, _set(key, value))
    _load_fails(path, pattern)


TORCH_CASES = [
    ({"torch_class": "Optimizer", "lr": 0.01}, r"unknown torch optimizer class 'Optimizer'; known: \[.*'SGD'"),
    ({"torch_class": "SGD", "lr": "abc"}, r"compile.json key 'optimizer.config.lr' is 'abc'; expected a number >= 0"),
    ({"torch_class": "SGD", "lr": -1}, r"compile.json key 'optimizer.config.lr' is -1; expected a number >= 0"),
    ("x", r"compile.json key 'optimizer.config' is 'x'; expected a JSON object"),
    ({"torch_class": "SGD", "lr": 0.01, "params": [1]},
     r"compile.json key 'optimizer.config.params' is \[1\]; expected no such key"),
    ({"torch_class": "SGD", "lr": 0.01, "momentum": -2}, r"torch.optim.SGD.* cannot be built: Invalid momentum"),
]


@pytest.mark.parametrize("config, pattern", TORCH_CASES, ids=[repr(c)[:40] for c, _ in TORCH_CASES])
def test_a_torch_optimizer_spec_is_checked(saved, tmp_path, config, pattern):
    stateless = without(without(saved, tmp_path / "a.seqlab", "optimizer.json"), tmp_path / "b.seqlab",
                        "optimizer.safetensors")
    path = with_json(stateless, tmp_path / "torch.seqlab", "compile.json",
                     _set(("optimizer",), {"class_name": "TorchOptimizer", "config": config}))
    _load_fails(path, pattern)


def test_a_torch_optimizer_spec_that_is_right_loads(saved, tmp_path):
    stateless = without(without(saved, tmp_path / "a.seqlab", "optimizer.json"), tmp_path / "b.seqlab",
                        "optimizer.safetensors")
    model = load_model(with_json(stateless, tmp_path / "torch.seqlab", "compile.json", _set(("optimizer",), _TORCH_SGD)))
    assert type(model.optimizer.torch_optimizer).__name__ == "SGD"


def test_unknown_optimizer_settings_are_refused(saved, tmp_path):
    path = with_json(saved, tmp_path / "foo.seqlab", "compile.json", _set(("optimizer", "config", "foo"), 1))
    _load_fails(path, r"compile settings cannot be restored: .*Adam\(\) got unexpected keyword arguments \['foo'\]")


def test_an_unknown_loss_class_is_called_unknown_not_a_missing_custom_object(saved, tmp_path):
    path = with_json(saved, tmp_path / "loss.seqlab", "compile.json", _set(("loss",), {"class_name": "NoSuchLoss"}))
    error = _load_fails(path, r"unknown loss \{'class_name': 'NoSuchLoss'\}; known loss classes: \[.*'MeanSquaredError'.*\] "
                              r"\(a loss of your own is saved as \{'custom': name\} and passed back through custom_objects\)")
    assert "pass load_model" not in str(error)


def test_a_deeply_nested_member_is_refused_without_recursing(saved, tmp_path):
    path = with_raw(saved, tmp_path / "deep.seqlab", "model.json", b"[" * 100_000 + b"]" * 100_000)
    _load_fails(path, r"'.*deep.seqlab' is corrupted: entry 'model.json' nests deeper than 100 levels")
    nested = {"class_name": "Sequential", "config": {"layers": []}}
    for _ in range(150):  # within json's own limit, beyond the format's
        nested = {"x": nested}
    path = with_raw(saved, tmp_path / "deep2.seqlab", "model.json", json.dumps(nested).encode())
    _load_fails(path, r"entry 'model.json' nests deeper than 100 levels")


def test_a_5000_digit_integer_is_a_clear_error(saved, tmp_path):
    raw = read_members(saved)["model.json"].replace(b'"units": 4', b'"units": ' + b"9" * 5000)
    _load_fails(with_raw(saved, tmp_path / "digits.seqlab", "model.json", raw),
                r"'.*digits.seqlab' is corrupted: entry 'model.json' is not valid JSON \(Exceeds the limit")


def test_optimizer_json_without_its_tensors_is_refused_not_dropped(saved, tmp_path):
    _load_fails(without(saved, tmp_path / "half.seqlab", "optimizer.safetensors"),
                r"'.*half.seqlab' is not a complete seqlab model file: it has 'optimizer.json' but not "
                r"'optimizer.safetensors'")


def test_an_optimizer_tensor_of_another_shape_is_refused(saved, tmp_path):
    from safetensors.torch import load, save
    tensors = load(read_members(saved)["optimizer.safetensors"])
    tensors["out/kernel/m"] = torch.zeros(3)
    _load_fails(with_raw(saved, tmp_path / "slot.seqlab", "optimizer.safetensors", save(tensors)),
                r"the optimizer state 'out/kernel/m' is a torch.float32 tensor of shape \(3,\); "
                r"the parameter 'out/kernel' is torch.float32 of shape \(4, 1\)")
    tensors = load(read_members(saved)["optimizer.safetensors"])
    tensors["nowhere/m"] = torch.zeros(3)
    _load_fails(with_raw(saved, tmp_path / "stray.seqlab", "optimizer.safetensors", save(tensors)),
                r"optimizer.safetensors holds 'nowhere/m', which is not '<parameter>/<slot>' of a parameter")


def test_the_untouched_file_still_loads_and_fits_on(saved):
    model = load_model(saved)
    assert model.optimizer.iterations == 2
    history = model.fit(np.zeros((4, 5, 2), np.float32), np.zeros((4, 1), np.float32), epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])


# ---- 5. saving: the target's folder is named; leftovers of killed saves are removed ----------
def test_saving_into_a_missing_folder_names_the_folder(tmp_path):
    model = Sequential([Dropout(0.1, input_shape=(3,))])
    target = tmp_path / "nope" / "m.seqlab"
    with pytest.raises(FileNotFoundError, match=rf"cannot save '{target}': the folder '{tmp_path / 'nope'}' does not exist"):
        model.save(target)


def test_a_successful_save_removes_stale_temporaries_of_its_target_only(tmp_path):
    model = Sequential([Dropout(0.1, input_shape=(3,))])
    stale = tmp_path / ".m.seqlab.0123456789ab.tmp"  # what a save killed with -9 leaves
    in_progress = tmp_path / ".m.seqlab.aaaaaaaaaaaa.tmp"  # another process's save, being written now
    other_target = tmp_path / ".n.seqlab.0123456789ab.tmp"
    not_ours = tmp_path / ".m.seqlab.backup.tmp"
    for path in (stale, in_progress, other_target, not_ours):
        path.write_bytes(b"PK partial")
    hour_ago = time.time() - 3600
    for path in (stale, other_target, not_ours):
        os.utime(path, (hour_ago, hour_ago))
    os.utime(in_progress, (time.time() + 60, time.time() + 60))
    model.save(tmp_path / "m.seqlab")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        ["m.seqlab", in_progress.name, other_target.name, not_ours.name])
    assert zipfile.is_zipfile(tmp_path / "m.seqlab")
