"""Dtype policies: the dtype a layer keeps its weights in and the dtype it computes in (Keras 3).

A policy is named by a float dtype (``"float32"``, ``"float64"``, ``"bfloat16"``: weights and
computation both in it) or by ``"mixed_bfloat16"`` / ``"mixed_float16"``: weights stay float32
(so small updates are not rounded away) and the layer computes in the 16-bit type, which is
where the CPU's bfloat16 units (AMX, AVX-512-BF16) and the GPU's tensor cores are fast.
Keras's names (keras/src/dtype_policies/dtype_policy.py): ``DTypePolicy(name)`` with ``name``,
``compute_dtype`` and ``variable_dtype``; the global policy is what a layer created without
``dtype=`` takes (:mod:`seqlab.mixed_precision` sets it).

How a mixed layer computes (``Layer.forward``): floating inputs are cast to the compute dtype and
``call`` runs under ``torch.autocast``, which casts the float32 weights for each matmul or
convolution (once per step, cached) and keeps reductions that need range in float32; the
layer's floating outputs leave in the compute dtype, as Keras's do. Losses and metrics read
predictions in float32 (:func:`full_precision`), and ``predict`` returns float32 arrays.

>>> policy = DTypePolicy("mixed_bfloat16")
>>> policy.compute_dtype, policy.variable_dtype
('bfloat16', 'float32')
"""
from __future__ import annotations

import torch

# name -> (compute dtype, variable dtype)
_POLICIES = {
    "float32": ("float32", "float32"),
    "float64": ("float64", "float64"),
    "bfloat16": ("bfloat16", "bfloat16"),
    "mixed_bfloat16": ("bfloat16", "float32"),
    "mixed_float16": ("float16", "float32"),
}
POLICY_NAMES = tuple(_POLICIES)
TORCH_DTYPES = {"float32": torch.float32, "float64": torch.float64, "bfloat16": torch.bfloat16,
                "float16": torch.float16}
_LOW_PRECISION = (torch.bfloat16, torch.float16)


class DTypePolicy:
    """A layer's dtype policy: the dtype of its weights and the dtype it computes in.

    Args:
        name: one of ``"float32"``, ``"float64"``, ``"bfloat16"``, ``"mixed_bfloat16"``,
            ``"mixed_float16"`` (CUDA only: float16 compute on a CPU has no fast kernels, and
            torch's CPU autocast refuses it for recurrent kernels).
    """

    def __init__(self, name: str = "float32"):
        if not isinstance(name, str):
            raise TypeError(f"DTypePolicy: `name` must be a string such as 'mixed_bfloat16', got "
                            f"{name!r} (of type {type(name).__name__})")
        if name not in _POLICIES:
            raise ValueError(f"Cannot convert {name!r} to a dtype policy: expected one of "
                             f"{', '.join(repr(n) for n in POLICY_NAMES)}")
        if name == "mixed_float16" and not torch.cuda.is_available():
            raise ValueError("dtype policy 'mixed_float16' needs a CUDA GPU (float16 has no fast "
                             "kernels on a CPU), and none is available; on a CPU use 'mixed_bfloat16'. "
                             f"Policies: {', '.join(repr(n) for n in POLICY_NAMES)}")
        self._name = name
        self._compute_dtype, self._variable_dtype = _POLICIES[name]

    @property
    def name(self) -> str:
        return self._name

    @property
    def compute_dtype(self) -> str:
        return self._compute_dtype

    @property
    def variable_dtype(self) -> str:
        return self._variable_dtype

    @property
    def is_mixed(self) -> bool:
        """Whether computation runs in another dtype than the weights (what autocast is for)."""
        return self._compute_dtype != self._variable_dtype

    def get_config(self) -> dict:
        return {"name": self._name}

    @classmethod
    def from_config(cls, config: dict) -> "DTypePolicy":
        return cls(**config)

    def __eq__(self, other) -> bool:
        return isinstance(other, DTypePolicy) and other.name == self.name

    def __hash__(self) -> int:
        return hash(self._name)

    def __repr__(self) -> str:
        return f'<DTypePolicy "{self._name}">'


_global_policy: DTypePolicy | None = None


def set_global_policy(policy) -> None:
    """The policy of every layer created from now on without ``dtype=`` (None: back to the
    default, float32 — or float64 while torch's default dtype is float64)."""
    global _global_policy
    _global_policy = None if policy is None else get(policy)


def global_policy() -> DTypePolicy:
    """The policy a layer created now without ``dtype=`` takes."""
    if _global_policy is not None:
        return _global_policy
    return DTypePolicy("float64" if torch.get_default_dtype() == torch.float64 else "float32")


def get(identifier) -> DTypePolicy:
    """A policy from a name, a ``DTypePolicy``, a torch float dtype, Keras 3's serialized form
    (``{"class_name": "DTypePolicy", "config": {"name": ...}}``) or None (the global policy)."""
    if identifier is None:
        return global_policy()
    if isinstance(identifier, DTypePolicy):
        return identifier
    if isinstance(identifier, str):
        return DTypePolicy(identifier)
    if isinstance(identifier, torch.dtype):
        names = {dtype: name for name, dtype in TORCH_DTYPES.items() if name != "float16"}
        if identifier in names:
            return DTypePolicy(names[identifier])
    if isinstance(identifier, dict) and identifier.get("class_name") == "DTypePolicy" \
            and isinstance(identifier.get("config"), dict):
        return DTypePolicy(identifier["config"].get("name"))
    raise ValueError(f"Cannot interpret `dtype` {identifier!r}: expected a policy name "
                     f"({', '.join(repr(n) for n in POLICY_NAMES)}) or a DTypePolicy")


def serialize(policy: DTypePolicy) -> dict:
    """Keras 3's form of a policy in a layer config."""
    return {"module": "keras", "class_name": "DTypePolicy", "config": policy.get_config(),
            "registered_name": None}


def full_precision(value):
    """Floating tensors in 16 bits as float32 (tensors, or lists/tuples/dicts of them); the rest
    as it is. Losses, metrics and ``predict`` read predictions through it. A tensor's output
    mask (the ``_keras_mask`` attribute) goes with it."""
    if isinstance(value, torch.Tensor):
        if value.dtype not in _LOW_PRECISION:
            return value
        wide = value.float()
        mask = getattr(value, "_keras_mask", None)
        if mask is not None:
            wide._keras_mask = mask
        return wide
    if isinstance(value, dict):
        return {key: full_precision(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(full_precision(item) for item in value)
    return value


def in_compute_dtype(value, dtype: torch.dtype):
    """A mixed layer's floating outputs in its compute dtype (Keras's layers return them so),
    keeping each tensor's output mask."""
    if isinstance(value, torch.Tensor):
        if not value.is_floating_point() or value.dtype == dtype:
            return value
        narrow = value.to(dtype)
        mask = getattr(value, "_keras_mask", None)
        if mask is not None:
            narrow._keras_mask = mask
        return narrow
    if isinstance(value, (list, tuple)):
        return type(value)(in_compute_dtype(item, dtype) for item in value)
    if isinstance(value, dict):
        return {key: in_compute_dtype(item, dtype) for key, item in value.items()}
    return value
