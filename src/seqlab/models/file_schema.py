"""What each JSON member of a model file may hold, checked before anything is built.

A model file may come from anywhere, so every member is checked against the shape that
:func:`seqlab.models.saving.save_model` writes (types, ranges, required and allowed keys)
before it reaches ``from_config``, ``compile_from_config`` or the optimizer. Every failure is one
:class:`~seqlab.errors.ModelFileError` naming the file, the member, the key and the value::

    'm.seqlab': compile.json key 'optimizer.config.lr' is 'abc'; expected a number >= 0

Plain Python checks, one function per member; what a layer's own settings may be is the layer's
business (its ``__init__`` checks them), so the model config is checked only for its frame and
the shapes it names.
"""
from __future__ import annotations

import json
import math
import re

from seqlab.errors import ModelFileError, describe
from seqlab.layers.dtype_policy import POLICY_NAMES
from seqlab.training import rng_state

MAX_JSON_BYTES = 16 * 2**20  # a JSON member larger than this is refused before it is read
MAX_DEPTH = 100  # nesting of JSON objects/lists (a functional config nests a dozen deep)
MAX_RANK = 32  # axes of a shape named in a config


class Member:
    """Where a value comes from: the file and the member, for error messages."""

    def __init__(self, path: str, name: str):
        self.path = path
        self.name = name

    def fail(self, key: str, value, expected: str) -> ModelFileError:
        where = f"key {key!r}" if key else "the top level"
        return ModelFileError(f"'{self.path}': {self.name} {where} is {describe(value)}; expected {expected}")


# ---- parsing -----------------------------------------------------------------------------------
def parse_json(data: bytes, member: Member) -> dict:
    """Bytes → a JSON object, with the nesting depth bounded (json itself recurses)."""
    try:
        value = json.loads(data.decode("utf-8"))
    except RecursionError:
        raise ModelFileError(f"'{member.path}' is corrupted: entry {member.name!r} nests deeper than "
                             f"{MAX_DEPTH} levels") from None
    except (UnicodeDecodeError, ValueError) as error:  # JSONDecodeError, Python's int-digit limit
        raise ModelFileError(f"'{member.path}' is corrupted: entry {member.name!r} is not valid JSON "
                             f"({error})") from None
    if not isinstance(value, dict):
        raise ModelFileError(f"'{member.path}' is corrupted: entry {member.name!r} is not a JSON object")
    if _depth(value) > MAX_DEPTH:
        raise ModelFileError(f"'{member.path}' is corrupted: entry {member.name!r} nests deeper than "
                             f"{MAX_DEPTH} levels")
    return value


def _depth(value) -> int:
    # Iterative, so a deep value cannot exhaust the Python stack here either.
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, (dict, list)):
            deepest = max(deepest, depth)
            if depth > MAX_DEPTH:
                return depth
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)
    return deepest


# ---- the small vocabulary of checks -------------------------------------------------------------
def _object(member, key, value, required=(), optional=None) -> dict:
    """A JSON object holding ``required`` keys; with ``optional`` given, no other keys."""
    if not isinstance(value, dict):
        raise member.fail(key, value, "a JSON object")
    missing = [name for name in required if name not in value]
    if missing:
        raise member.fail(key, value, f"an object with the keys {list(required)} (missing {missing})")
    if optional is not None:
        unknown = sorted(set(value) - set(required) - set(optional))
        if unknown:
            raise member.fail(_join(key, unknown[0]), value[unknown[0]],
                              f"no such key (allowed: {sorted({*required, *optional})})")
    return value


def _string(member, key, value) -> str:
    if not isinstance(value, str):
        raise member.fail(key, value, "a string")
    return value


def _integer(member, key, value, minimum=None, maximum=None) -> int:
    if isinstance(value, bool) or not isinstance(value, int) \
            or (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        if minimum is not None and maximum is not None:
            expected = f"an integer from {minimum} to {maximum}"
        elif minimum is not None:
            expected = f"an integer >= {minimum}"
        else:
            expected = "an integer" if maximum is None else f"an integer <= {maximum}"
        raise member.fail(key, value, expected)
    return value


def _number(member, key, value, minimum=None) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) \
            or (minimum is not None and value < minimum):
        raise member.fail(key, value, "a number" + (f" >= {minimum}" if minimum is not None else ""))
    return value


def _list(member, key, value) -> list:
    if not isinstance(value, list):
        raise member.fail(key, value, "a list")
    return value


def _plain(member, key, value):
    """A hyper-parameter: null, a boolean, a finite number, a string, or a list of those."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, (int, float)):
        return _number(member, key, value)
    if isinstance(value, list):
        for i, item in enumerate(value):
            if isinstance(item, (list, dict)):
                raise member.fail(f"{key}[{i}]", item, "a plain value (null, boolean, number or string)")
            _plain(member, f"{key}[{i}]", item)
        return value
    raise member.fail(key, value, "null, a boolean, a number, a string or a list of those")


def _shape(member, key, value):
    """A shape: a list of sizes, each null (any size) or a positive integer; for a model of
    several inputs, a list or object of such shapes."""
    if isinstance(value, dict):
        for name, each in value.items():
            _shape(member, f"{key}.{name}", each)
        return value
    if isinstance(value, list) and value and all(isinstance(each, (list, dict)) for each in value):
        for i, each in enumerate(value):
            _shape(member, f"{key}[{i}]", each)
        return value
    if not isinstance(value, list) or not 1 <= len(value) <= MAX_RANK:
        raise member.fail(key, value, f"a shape: a list of 1 to {MAX_RANK} sizes")
    for i, size in enumerate(value):
        if size is not None:
            _integer(member, f"{key}[{i}]", size, minimum=1)
    return value


def _join(key: str, name) -> str:
    return f"{key}.{name}" if key else str(name)


# ---- seqlab.json -------------------------------------------------------------------------------
def check_marker(value: dict, member: Member, format_name: str, format_version: int) -> None:
    _object(member, "", value, required=("format", "format_version"), optional=("seqlab_version",))
    if value["format"] != format_name:
        raise ModelFileError(f"'{member.path}' is not a seqlab model file (format {value['format']!r})")
    version = value["format_version"]
    if isinstance(version, int) and not isinstance(version, bool) and version > format_version:
        raise ModelFileError(f"'{member.path}' uses model format version {version!r}; this seqlab reads up "
                             f"to version {format_version} (upgrade seqlab)")
    _integer(member, "format_version", version, minimum=1, maximum=format_version)
    if "seqlab_version" in value:
        _string(member, "seqlab_version", value["seqlab_version"])


# ---- model.json --------------------------------------------------------------------------------
_SHAPE_KEYS = ("batch_input_shape", "build_input_shape", "batch_shape")


def check_model(value: dict, member: Member) -> None:
    """The frame (class name, config object, build shape) and every shape the config names."""
    _object(member, "", value, required=("class_name", "config"), optional=("build_input_shape",))
    _string(member, "class_name", value["class_name"])
    _object(member, "config", value["config"])
    if value.get("build_input_shape") is not None:
        _shape(member, "build_input_shape", value["build_input_shape"])
    _check_layer_specs(member, "config", value["config"])


def _check_layer_specs(member, key, value) -> None:
    # Walks the config (depth already bounded): a layer spec names its class with a string and
    # holds its settings in an object; a shape is a list of positive sizes.
    stack = [(key, value)]
    while stack:
        key, item = stack.pop()
        if isinstance(item, dict):
            if "class_name" in item:
                _string(member, _join(key, "class_name"), item["class_name"])
                if "config" in item:
                    _object(member, _join(key, "config"), item["config"])
                    if "dtype" in item["config"]:
                        _dtype(member, _join(_join(key, "config"), "dtype"), item["config"]["dtype"])
            for name, child in item.items():
                if name in _SHAPE_KEYS and child is not None:
                    _shape(member, _join(key, name), child)
                else:
                    stack.append((_join(key, name), child))
        elif isinstance(item, list):
            stack.extend((f"{key}[{i}]", child) for i, child in enumerate(item))


# A layer's `dtype`: a policy name, Keras 3's serialized DTypePolicy, or an Input's integer type.
_INPUT_DTYPES = ("int32", "int64", "int", "bool")


def _dtype(member, key, value) -> None:
    if isinstance(value, dict) and value.get("class_name") == "DTypePolicy" \
            and isinstance(value.get("config"), dict):
        name = value["config"].get("name")
    else:
        name = value
    if not isinstance(name, str) or name not in (*POLICY_NAMES, *_INPUT_DTYPES):
        raise member.fail(key, value, f"a dtype policy name ({', '.join(repr(n) for n in POLICY_NAMES)}) "
                          "or Keras 3's {'class_name': 'DTypePolicy', 'config': {'name': ...}}")


# ---- compile.json ------------------------------------------------------------------------------
def check_compile(value: dict, member: Member) -> None:
    """``get_compile_config``'s JSON: loss, metrics, optimizer (and per-output forms)."""
    _object(member, "", value, required=("optimizer",),
            optional=("loss", "metrics", "loss_weights", "per_output"))
    per_output = value.get("per_output", False)
    if not isinstance(per_output, bool):
        raise member.fail("per_output", per_output, "true or false")
    if per_output:
        for name, item in _object(member, "loss", value.get("loss", {})).items():
            if item is not None:
                _function_spec(member, f"loss.{name}", item, "loss")
        for name, items in _object(member, "metrics", value.get("metrics", {})).items():
            for i, item in enumerate(_list(member, f"metrics.{name}", items)):
                _function_spec(member, f"metrics.{name}[{i}]", item, "metric")
        if value.get("loss_weights") is not None:
            for name, weight in _object(member, "loss_weights", value["loss_weights"]).items():
                if weight is not None:
                    _number(member, f"loss_weights.{name}", weight)
    else:
        if value.get("loss") is not None:
            _function_spec(member, "loss", value["loss"], "loss")
        for i, item in enumerate(_list(member, "metrics", value.get("metrics", []))):
            _function_spec(member, f"metrics[{i}]", item, "metric")
        if value.get("loss_weights") is not None:
            _number(member, "loss_weights", value["loss_weights"])
    _optimizer_spec(member, "optimizer", value["optimizer"])


def _function_spec(member, key, value, kind: str) -> None:
    """A loss or metric: ``{"name": ...}``, ``{"custom": ...}`` or ``{"class_name": ..., "config": {...}}``."""
    forms = f"a {kind} spec: {{'name': ...}}, {{'custom': ...}} or {{'class_name': ..., 'config': {{...}}}}"
    if not isinstance(value, dict):
        raise member.fail(key, value, forms)
    if "name" in value:
        _object(member, key, value, required=("name",), optional=())
        _string(member, _join(key, "name"), value["name"])
    elif "custom" in value:
        _object(member, key, value, required=("custom",), optional=())
        _string(member, _join(key, "custom"), value["custom"])
    elif "class_name" in value:
        _object(member, key, value, required=("class_name",), optional=("config", "function"))
        _string(member, _join(key, "class_name"), value["class_name"])
        if "function" in value:
            _string(member, _join(key, "function"), value["function"])
        for name, setting in _object(member, _join(key, "config"), value.get("config", {})).items():
            _plain(member, _join(key, f"config.{name}"), setting)
    else:
        raise member.fail(key, value, forms)


def _optimizer_spec(member, key, value) -> None:
    _object(member, key, value, required=("class_name", "config"), optional=())
    _string(member, _join(key, "class_name"), value["class_name"])
    config = _object(member, _join(key, "config"), value["config"])
    if value["class_name"] == "TorchOptimizer":
        _string(member, _join(key, "config.torch_class"), config.get("torch_class"))
        if "params" in config:  # the parameters are the model's, never the file's
            raise member.fail(_join(key, "config.params"), config["params"], "no such key")
        if "lr" in config:
            _number(member, _join(key, "config.lr"), config["lr"], minimum=0)
    for name, setting in config.items():
        setting_key = _join(key, f"config.{name}")
        if name == "learning_rate" and isinstance(setting, dict):  # a schedule
            _object(member, setting_key, setting, required=("class_name", "config"), optional=())
            _string(member, _join(setting_key, "class_name"), setting["class_name"])
            for schedule_name, schedule_setting in _object(member, _join(setting_key, "config"), setting["config"]).items():
                _plain(member, _join(setting_key, f"config.{schedule_name}"), schedule_setting)
        elif name in ("learning_rate", "lr"):
            _number(member, setting_key, setting, minimum=0)
        else:
            _plain(member, setting_key, setting)


# ---- optimizer.json (+ the names of optimizer.safetensors) --------------------------------------
def check_optimizer_state(value: dict, member: Member, tensor_names) -> None:
    """``get_optimizer_state``'s JSON: parameter names, groups of parameter indices, scalar slots;
    every tensor of the state must belong to a named parameter."""
    _object(member, "", value, required=("param_names", "param_groups", "scalars"), optional=())
    names = _list(member, "param_names", value["param_names"])
    for i, name in enumerate(names):
        _string(member, f"param_names[{i}]", name)
    if len(set(names)) != len(names):
        raise member.fail("param_names", names, "unique names")
    seen = set()
    for g, group in enumerate(_list(member, "param_groups", value["param_groups"])):
        _object(member, f"param_groups[{g}]", group, required=("params",))
        for i, index in enumerate(_list(member, f"param_groups[{g}].params", group["params"])):
            _integer(member, f"param_groups[{g}].params[{i}]", index, minimum=0, maximum=len(names) - 1)
            if index in seen:
                raise member.fail(f"param_groups[{g}].params[{i}]", index, "each parameter in one group once")
            seen.add(index)
        for name, setting in group.items():
            key = f"param_groups[{g}].{name}"
            if name == "lr":
                _number(member, key, setting, minimum=0)
            elif name == "iterations":
                _integer(member, key, setting, minimum=0)
            elif name != "params":
                _plain(member, key, setting)
    for name, slots in _object(member, "scalars", value["scalars"]).items():
        if name not in names:
            raise member.fail(f"scalars.{name}", slots, f"slots of one of the parameters {names}")
        for slot, number in _object(member, f"scalars.{name}", slots).items():
            _number(member, f"scalars.{name}.{slot}", number, minimum=0)
    known = set(names)
    for tensor_name in tensor_names:
        if tensor_name.rpartition("/")[0] not in known:
            raise ModelFileError(f"'{member.path}': optimizer.safetensors holds {tensor_name!r}, which is "
                                 f"not '<parameter>/<slot>' of a parameter named in {member.name}")


# ---- training_state.json (+ the tensors of training_state.safetensors) --------------------------
def check_training_state(value: dict, member: Member, tensors: dict) -> None:
    """``rng_state.to_file``'s JSON (the epoch, NumPy's and Python's generator scalars) and its
    tensors: each name one the state has, of its dtype and length."""
    _object(member, "", value, required=("epoch", "numpy", "python"), optional=())
    _integer(member, "epoch", value["epoch"], minimum=0, maximum=2**31 - 1)
    numpy_state = _object(member, "numpy", value["numpy"], required=("pos", "has_gauss", "cached_gaussian"),
                          optional=())
    _integer(member, "numpy.pos", numpy_state["pos"], minimum=0, maximum=rng_state.NUMPY_KEYS)
    _integer(member, "numpy.has_gauss", numpy_state["has_gauss"], minimum=0, maximum=1)
    _number(member, "numpy.cached_gaussian", numpy_state["cached_gaussian"])
    python_state = _object(member, "python", value["python"], required=("version", "gauss_next"), optional=())
    _integer(member, "python.version", python_state["version"], minimum=3, maximum=3)
    if python_state["gauss_next"] is not None:
        _number(member, "python.gauss_next", python_state["gauss_next"])
    tensor_member = Member(member.path, member.name.replace(".json", ".safetensors"))
    for name, (dtype, size) in {rng_state.TORCH_CPU: ("uint8", rng_state.CPU_STATE_BYTES),
                                rng_state.NUMPY_WORDS: ("uint32", rng_state.NUMPY_KEYS),
                                rng_state.PYTHON_STATE: ("uint32", rng_state.PYTHON_WORDS)}.items():
        if name not in tensors:
            raise ModelFileError(f"'{member.path}': {tensor_member.name} has no {name!r} (the training state "
                                 "keeps torch's, NumPy's and Python's generators)")
        _state_tensor(tensor_member, name, tensors[name], dtype, size)
    cuda = sorted(name for name in tensors if name.startswith(rng_state.TORCH_CUDA))
    expected = [f"{rng_state.TORCH_CUDA}{device}" for device in range(len(cuda))]
    for name in tensors:
        if name in (rng_state.TORCH_CPU, rng_state.NUMPY_WORDS, rng_state.PYTHON_STATE):
            continue
        if name.startswith(rng_state.TORCH_CUDA):
            if name not in expected:
                raise _tensor_error(tensor_member, name, "a CUDA generator out of sequence",
                                    f"CUDA devices numbered from 0 ({expected})")
            _state_tensor(tensor_member, name, tensors[name], "uint8", rng_state.CUDA_STATE_BYTES)
        elif name.startswith(rng_state.LAYERS) and name.count("/") >= 2:
            device = name.rpartition("/")[2]
            if _DEVICE.fullmatch(device) is None:
                raise _tensor_error(tensor_member, name, f"the device {device!r}", "a device: 'cpu' or 'cuda:N'")
            size = rng_state.CPU_STATE_BYTES if device == "cpu" else rng_state.CUDA_STATE_BYTES
            _state_tensor(tensor_member, name, tensors[name], "uint8", size)
        else:
            raise _tensor_error(tensor_member, name, "an unknown name",
                                f"one of {rng_state.TORCH_CPU!r}, {rng_state.NUMPY_WORDS!r}, "
                                f"{rng_state.PYTHON_STATE!r}, '{rng_state.TORCH_CUDA}<N>' or "
                                f"'{rng_state.LAYERS}<layer path>/<device>'")


_DEVICE = re.compile(r"cpu|cuda:\d{1,4}")


def _state_tensor(member: Member, name: str, tensor, dtype: str, size: int) -> None:
    if str(tensor.dtype) != f"torch.{dtype}" or tuple(tensor.shape) != (size,):
        raise _tensor_error(member, name, f"a {str(tensor.dtype).replace('torch.', '')} tensor of shape "
                            f"{tuple(tensor.shape)}", f"a {dtype} tensor of shape ({size},)")


def _tensor_error(member: Member, name: str, received: str, expected: str) -> ModelFileError:
    return ModelFileError(f"'{member.path}': {member.name} holds {name!r}: {received}; expected {expected}")
