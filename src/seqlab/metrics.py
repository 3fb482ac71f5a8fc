"""Keras's ``keras.metrics``: ``RootMeanSquaredError()``, ``categorical_accuracy``, ``AUC()``,
``Precision()``, ``Recall()``, ``F1Score()``, ``TopKCategoricalAccuracy()``..., and the loss
functions (``mean_absolute_error``...) usable as metrics."""
from seqlab.training.confusion_metrics import (  # noqa: F401
    AUC, FalseNegatives, FalsePositives, Precision, Recall, TrueNegatives, TruePositives,
)
from seqlab.training.f_score_metrics import F1Score, FBetaScore  # noqa: F401
from seqlab.training.losses import (  # noqa: F401
    binary_crossentropy, categorical_crossentropy, mae, mape, mean_absolute_error,
    mean_absolute_percentage_error, mean_squared_error, mean_squared_logarithmic_error, mse, msle,
    sparse_categorical_crossentropy,
)
from seqlab.training.metrics import (  # noqa: F401
    Accuracy, BinaryAccuracy, CategoricalAccuracy, Mean, MeanAbsoluteError,
    MeanAbsolutePercentageError, MeanMetricWrapper, MeanSquaredError, Metric, RootMeanSquaredError,
    SparseCategoricalAccuracy, SparseTopKCategoricalAccuracy, TopKCategoricalAccuracy,
    binary_accuracy, categorical_accuracy, deserialize, get, names, serialize,
    sparse_categorical_accuracy, sparse_top_k_categorical_accuracy, top_k_categorical_accuracy,
)
