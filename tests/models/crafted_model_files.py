"""Crafting hostile or damaged model files with zipfile/json/struct directly (test helpers).

A real small model is saved once; the helpers take its members apart and write them back with
one thing changed, the way an attacker or a bad disk would.
"""
from __future__ import annotations

import json
import struct
import warnings
import zipfile

import numpy as np
import torch

from seqlab.layers import LSTM, Dense
from seqlab.models import Sequential

MEMBER_ORDER = ["seqlab.json", "model.json", "model.weights.safetensors", "compile.json",
                "optimizer.safetensors", "optimizer.json"]


def save_small_model(path, optimizer="adam") -> str:
    """An LSTM(4) + Dense(1) on (5, 2) inputs, compiled and fitted one epoch (so it has
    optimizer state), saved at ``path``."""
    torch.manual_seed(0)
    model = Sequential([LSTM(4, input_shape=(5, 2), name="lstm"), Dense(1, name="out")])
    model.compile(loss="mse", optimizer=optimizer, metrics=["mae"])
    rng = np.random.default_rng(0)
    model.fit(rng.random((8, 5, 2), dtype=np.float32), rng.random((8, 1), dtype=np.float32),
              epochs=1, batch_size=4, verbose=0)
    model.save(path)
    return str(path)


def read_members(path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def write_members(path, members, compression=zipfile.ZIP_STORED, compressed=()) -> str:
    """``members`` as a dict, or a list of (name, bytes) pairs (to repeat a name); the members
    named in ``compressed`` are DEFLATE-compressed."""
    items = members.items() if isinstance(members, dict) else members
    with zipfile.ZipFile(path, "w", compression=compression) as archive, warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Duplicate name", UserWarning)  # repeated on purpose
        for name, payload in items:
            archive.writestr(name, payload, compress_type=zipfile.ZIP_DEFLATED if name in compressed else None)
    return str(path)


def with_json(source, target, member: str, change) -> str:
    """A copy of ``source`` whose JSON ``member`` is ``change(value)`` (or ``value`` changed in place)."""
    members = read_members(source)
    value = json.loads(members[member])
    changed = change(value)
    members[member] = json.dumps(value if changed is None else changed).encode()
    return write_members(target, members)


def with_raw(source, target, member: str, payload: bytes) -> str:
    members = read_members(source)
    members[member] = payload
    return write_members(target, members)


def without(source, target, member: str) -> str:
    members = read_members(source)
    del members[member]
    return write_members(target, members)


def layer_config(model_json: dict, index: int) -> dict:
    return model_json["config"]["layers"][index]["config"]


def safetensors_header(data: bytes) -> dict:
    """The JSON header of a safetensors buffer (8-byte little-endian length, then JSON)."""
    (length,) = struct.unpack("<Q", data[:8])
    return json.loads(data[8:8 + length])


def patch_central_directory(data: bytes, member: str, field_offset: int, value: int, fmt: str) -> bytes:
    """The archive with one field of ``member``'s central-directory record set to ``value``
    (offsets in the record: 10 compression method, 20 compressed size, 24 size)."""
    data = bytearray(data)
    offset = data.find(b"PK\x01\x02")
    while offset != -1:
        (name_length,) = struct.unpack_from("<H", data, offset + 28)
        if data[offset + 46:offset + 46 + name_length].decode() == member:
            struct.pack_into(fmt, data, offset + field_offset, value)
        offset = data.find(b"PK\x01\x02", offset + 4)
    return bytes(data)


def flip_central_compression(data: bytes, to_method: int = 99) -> bytes:
    """The archive with the compression method of every central-directory entry set to ``to_method``."""
    data = bytearray(data)
    offset = data.find(b"PK\x01\x02")
    while offset != -1:
        struct.pack_into("<H", data, offset + 10, to_method)
        offset = data.find(b"PK\x01\x02", offset + 4)
    return bytes(data)
