"""Arrays into the explorer page and back: typed arrays as base64 text, quantised only where it is
honest.

Every array travels as the bytes of a little-endian JavaScript typed array, base64-encoded, in
its own ``<script type="application/octet-stream">`` element; the page decodes an array the
first time a view needs it. The kinds:

* ``float32``: exact for what the traces hold (torch computes them in float32).
* ``uint8`` with ``scale`` and ``offset`` (value = byte × scale + offset): a gate whose values
  all lie in ``[0, 1]`` (sigmoid gates) or ``[-1, 1]`` (tanh candidates) is stored as 256
  levels over that range — a step of 1/255 (2/255), a largest error of half a step, finer than
  the 256 colours a heat map can show. Quarters of the size of float32; hidden and cell states,
  which the unit search reads, always stay float32.
* ``int32``: token ids; ``uint8`` without scale: masks (0/1).
"""
from __future__ import annotations

import base64
import html
import json
import re

import numpy as np

from seqlab.errors import SeqlabError

# The ranges a gate may be quantised over: (low, high), tried in order.
QUANTISED_RANGES = ((0.0, 1.0), (-1.0, 1.0))
LEVELS = 255  # bytes 0..255: 256 levels, 255 steps


class ArrayStore:
    """Arrays collected for one page: ``add`` returns the id the page's JSON refers to."""

    def __init__(self):
        self.arrays: dict[str, dict] = {}

    def add(self, values, kind: str = "float32") -> str:
        """Store ``values`` as ``kind`` (``'float32'``, ``'int32'``, ``'mask'`` or ``'gate'``:
        uint8 over a known range when the values allow it, float32 otherwise)."""
        values = np.asarray(values)
        key = f"a{len(self.arrays)}"
        if kind == "gate":
            record = _quantised(values)
        elif kind == "float32":
            record = {"dtype": "float32", "data": values.astype("<f4")}
        elif kind == "int32":
            record = {"dtype": "int32", "data": values.astype("<i4")}
        elif kind == "mask":
            record = {"dtype": "uint8", "data": values.astype(bool).astype("u1")}
        else:
            raise ValueError(f"ArrayStore.add: `kind` must be 'float32', 'int32', 'mask' or 'gate', got {kind!r}")
        record["shape"] = list(values.shape)
        self.arrays[key] = record
        return key

    @property
    def nbytes(self) -> int:
        return sum(record["data"].nbytes for record in self.arrays.values())

    def script_elements(self) -> str:
        """One ``<script type="application/octet-stream">`` element per array."""
        parts = []
        for key, record in self.arrays.items():
            attributes = {"id": f"seqlab-array-{key}", "data-dtype": record["dtype"],
                          "data-shape": ",".join(map(str, record["shape"]))}
            if "scale" in record:
                attributes["data-scale"] = repr(record["scale"])
                attributes["data-offset"] = repr(record["offset"])
            text = " ".join(f'{name}="{html.escape(value)}"' for name, value in attributes.items())
            encoded = base64.b64encode(np.ascontiguousarray(record["data"]).tobytes()).decode("ascii")
            parts.append(f'<script type="application/octet-stream" {text}>{encoded}</script>')
        return "\n".join(parts)


def _quantised(values: np.ndarray) -> dict:
    finite = values[np.isfinite(values)]
    if finite.size == values.size and finite.size:
        low, high = float(finite.min()), float(finite.max())
        for range_low, range_high in QUANTISED_RANGES:
            if range_low <= low and high <= range_high:
                scale = (range_high - range_low) / LEVELS
                data = np.rint((values - range_low) / scale).astype("u1")
                return {"dtype": "uint8", "data": data, "scale": scale, "offset": range_low}
    return {"dtype": "float32", "data": values.astype("<f4")}


def json_script(meta: dict) -> str:
    """``meta`` as JSON inside a script element (``</`` escaped so no text can close it)."""
    text = json.dumps(meta, allow_nan=False, separators=(",", ":")).replace("</", "<\\/")
    return f'<script type="application/json" id="seqlab-explorer-meta">{text}</script>'


_ARRAY = re.compile(r'<script type="application/octet-stream" ([^>]*)>([^<]*)</script>')
_ATTRIBUTE = re.compile(r'([\w-]+)="([^"]*)"')
_META = re.compile(r'<script type="application/json" id="seqlab-explorer-meta">(.*?)</script>', re.S)


def read_page(text: str) -> tuple[dict, dict]:
    """``(meta, arrays)`` decoded from an explorer page's text: the JSON the page's script reads
    and every array by id, as NumPy arrays in the values they stand for (uint8 gates scaled back
    to floats)."""
    found = _META.search(text)
    if found is None:
        raise SeqlabError("not a seqlab explorer page: it has no seqlab-explorer-meta element")
    meta = json.loads(found.group(1).replace("<\\/", "</"))
    arrays = {}
    for attributes, encoded in _ARRAY.findall(text):
        attributes = {name: html.unescape(value) for name, value in _ATTRIBUTE.findall(attributes)}
        dtype = {"float32": "<f4", "int32": "<i4", "uint8": "u1"}[attributes["data-dtype"]]
        shape = [int(n) for n in attributes["data-shape"].split(",") if n]
        values = np.frombuffer(base64.b64decode(encoded), dtype=dtype).reshape(shape).copy()  # writable
        if "data-scale" in attributes:
            values = values * float(attributes["data-scale"]) + float(attributes["data-offset"])
        arrays[attributes["id"].removeprefix("seqlab-array-")] = values
    return meta, arrays
