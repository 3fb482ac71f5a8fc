"""Keras's ``keras.optimizers``: ``Adam(learning_rate=0.001)``, ``SGD``, ``RMSprop``, ``Adagrad``,
``AdamW``, ``Nadam``, ``Adamax``, ``Adadelta``, ``Lion``, and ``schedules``
(``Adam(learning_rate=schedules.ExponentialDecay(...))``)."""
from seqlab.optimizers import schedules  # noqa: F401
from seqlab.training.optimizers import (  # noqa: F401
    SGD, Adadelta, Adagrad, Adam, Adamax, AdamW, Lion, Nadam, Optimizer, RMSprop, TorchOptimizer, get,
    names,
)
from seqlab.training.loss_scale import LossScaleOptimizer  # noqa: F401
