"""Keras's ``keras.metrics``: ``RootMeanSquaredError()``, ``categorical_accuracy``, and the loss
functions (``mean_absolute_error``...) usable as metrics."""
from seqlab.training.losses import (  # noqa: F401
    binary_crossentropy, categorical_crossentropy, mae, mape, mean_absolute_error,
    mean_absolute_percentage_error, mean_squared_error, mean_squared_logarithmic_error, mse, msle,
    sparse_categorical_crossentropy,
)
from seqlab.training.metrics import (  # noqa: F401
    Accuracy, BinaryAccuracy, CategoricalAccuracy, Mean, MeanAbsoluteError,
    MeanAbsolutePercentageError, MeanMetricWrapper, MeanSquaredError, Metric, RootMeanSquaredError,
    SparseCategoricalAccuracy, binary_accuracy, categorical_accuracy, get, names,
    sparse_categorical_accuracy,
)
