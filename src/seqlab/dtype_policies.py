"""Keras 3's ``keras.dtype_policies`` path.

>>> import seqlab
>>> seqlab.dtype_policies.get("mixed_bfloat16")
<DTypePolicy "mixed_bfloat16">
"""
from __future__ import annotations

from seqlab.layers.dtype_policy import DTypePolicy, get, serialize

__all__ = ["DTypePolicy", "get", "serialize", "deserialize"]


def deserialize(config) -> DTypePolicy:
    """Keras 3's ``{"class_name": "DTypePolicy", "config": {"name": ...}}`` (or a name) as a policy."""
    return get(config)
