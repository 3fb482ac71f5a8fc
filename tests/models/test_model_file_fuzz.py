"""Mutated model files (bytes, members, JSON values, safetensors headers) only ever fail with
seqlab's own errors naming the file: never a raw KeyError, IndexError, RuntimeError,
struct.error, RecursionError, NotImplementedError or zipfile.BadZipFile.

Bounded: a fixed number of derandomised examples per kind, about 10 s in all.
"""
import json
import struct
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from crafted_model_files import read_members, save_small_model, write_members
from seqlab.errors import SeqlabError
from seqlab.models import load_model

FUZZ = settings(max_examples=40, deadline=timedelta(seconds=5), derandomize=True, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
JSON_MEMBERS = ["seqlab.json", "model.json", "compile.json", "optimizer.json"]
TENSOR_MEMBERS = ["model.weights.safetensors", "optimizer.safetensors"]

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-3, 20) | st.integers(-2**70, 2**70)
    | st.floats(allow_nan=True, allow_infinity=True) | st.text(max_size=6),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=6,
)


@pytest.fixture(scope="module")
def original(tmp_path_factory):
    folder = tmp_path_factory.mktemp("fuzz")
    path = save_small_model(folder / "small.seqlab")
    return _Original(folder=folder, raw=open(path, "rb").read(), members=read_members(path))


class _Original(dict):
    def __repr__(self):  # falsifying examples print the mutation, not the whole file
        return "<small.seqlab>"

    def __init__(self, **fields):
        super().__init__(fields)


def _assert_loads_or_fails_clearly(path) -> None:
    try:
        load_model(path)
    except (SeqlabError, ValueError, TypeError) as error:
        assert str(path) in str(error), f"{type(error).__name__} does not name the file: {error}"
    # Anything else (KeyError, IndexError, RuntimeError, struct.error, RecursionError,
    # NotImplementedError, zipfile.BadZipFile...) escapes and fails the test.


def _paths(value, prefix=()):
    """Every (key path) inside a JSON value, the value itself first."""
    yield prefix
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, child in items:
        yield from _paths(child, (*prefix, key))


def _replace(value, path, new):
    if not path:
        return new
    parent = value
    for key in path[:-1]:
        parent = parent[key]
    if new is _DELETE:
        del parent[path[-1]]
    else:
        parent[path[-1]] = new
    return value


_DELETE = object()


@FUZZ
@given(data=st.data())
def test_mutated_json_values_fail_clearly(original, data):
    member = data.draw(st.sampled_from(JSON_MEMBERS))
    value = json.loads(original["members"][member])
    path = data.draw(st.sampled_from(list(_paths(value))))
    new = data.draw(json_values | st.just(_DELETE)) if path else data.draw(json_values)
    members = dict(original["members"])
    members[member] = json.dumps(_replace(value, path, new)).encode()
    _assert_loads_or_fails_clearly(write_members(original["folder"] / "json.seqlab", members))


@FUZZ
@given(data=st.data())
def test_mutated_safetensors_headers_fail_clearly(original, data):
    member = data.draw(st.sampled_from(TENSOR_MEMBERS))
    blob = original["members"][member]
    (length,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8:8 + length])
    path = data.draw(st.sampled_from([p for p in _paths(header) if p]))
    new = data.draw(json_values | st.just(_DELETE))
    text = json.dumps(_replace(header, path, new)).encode()
    members = dict(original["members"])
    members[member] = struct.pack("<Q", len(text)) + text + blob[8 + length:]
    _assert_loads_or_fails_clearly(write_members(original["folder"] / "header.seqlab", members))


@FUZZ
@given(data=st.data())
def test_mutated_bytes_fail_clearly(original, data):
    raw = bytearray(original["raw"])
    if data.draw(st.booleans()):
        del raw[data.draw(st.integers(1, len(raw) - 1)):]
    for position, byte in data.draw(st.lists(st.tuples(st.integers(0, len(raw) - 1), st.integers(0, 255)),
                                             min_size=1, max_size=6)):
        if position < len(raw):
            raw[position] = byte
    path = original["folder"] / "bytes.seqlab"
    path.write_bytes(bytes(raw))
    _assert_loads_or_fails_clearly(path)


@FUZZ
@given(data=st.data())
def test_mutated_member_lists_fail_clearly(original, data):
    names = list(original["members"])
    members = list(original["members"].items())
    for _ in range(data.draw(st.integers(1, 3))):
        action = data.draw(st.sampled_from(["drop", "repeat", "rename", "swap"]))
        if not members:
            break
        index = data.draw(st.integers(0, len(members) - 1))
        name, payload = members[index]
        if action == "drop":
            del members[index]
        elif action == "repeat":
            members.append((name, payload))
        elif action == "rename":
            members[index] = (data.draw(st.sampled_from(names + ["extra.json"])), payload)
        else:
            other = data.draw(st.integers(0, len(members) - 1))
            members[index] = (name, members[other][1])
    _assert_loads_or_fails_clearly(write_members(original["folder"] / "members.seqlab", members))
