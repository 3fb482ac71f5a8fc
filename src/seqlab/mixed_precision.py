"""Keras's ``keras.mixed_precision`` path: dtype policies and loss scaling.

>>> import seqlab
>>> seqlab.mixed_precision.set_global_policy("mixed_bfloat16")
>>> layer = seqlab.layers.Dense(4)
>>> layer.compute_dtype, layer.variable_dtype
('bfloat16', 'float32')
>>> seqlab.mixed_precision.set_global_policy("float32")

See docs/training.md, "Mixed precision".
"""
from __future__ import annotations

from seqlab.layers.dtype_policy import DTypePolicy, global_policy, set_global_policy
from seqlab.training.loss_scale import LossScaleOptimizer

Policy = DTypePolicy  # Keras's legacy name
dtype_policy = global_policy  # Keras 3's keras.config.dtype_policy
set_dtype_policy = set_global_policy  # Keras 3's keras.config.set_dtype_policy

__all__ = ["DTypePolicy", "LossScaleOptimizer", "Policy", "dtype_policy", "global_policy",
           "set_dtype_policy", "set_global_policy"]
