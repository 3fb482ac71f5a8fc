"""Keras's ``keras.optimizers.schedules``: ``ExponentialDecay``, ``CosineDecay``..."""
from seqlab.training.schedules import (  # noqa: F401
    CosineDecay, ExponentialDecay, InverseTimeDecay, LearningRateSchedule, PiecewiseConstantDecay,
    PolynomialDecay, deserialize, serialize,
)
