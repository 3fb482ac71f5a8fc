"""Keras's ``keras.losses``: ``seqlab.losses.categorical_crossentropy``, ``MeanSquaredError()``..."""
from seqlab.training.losses import (  # noqa: F401
    EPSILON, MAE, MAPE, MSE, MSLE, BinaryCrossentropy, CategoricalCrossentropy, Huber, Loss,
    MeanAbsoluteError, MeanAbsolutePercentageError, MeanSquaredError, MeanSquaredLogarithmicError,
    SparseCategoricalCrossentropy, TorchLoss, binary_crossentropy, categorical_crossentropy,
    deserialize, get, huber, mae, mape, mean_absolute_error, mean_absolute_percentage_error,
    mean_squared_error, mean_squared_logarithmic_error, mse, msle, names, serialize,
    sparse_categorical_crossentropy,
)
