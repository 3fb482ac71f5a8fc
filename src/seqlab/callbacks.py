"""Keras's ``keras.callbacks``: ``EarlyStopping``, ``ModelCheckpoint``, ``CSVLogger``, ``TensorBoard``..."""
from seqlab.training.callbacks import (  # noqa: F401
    Callback, CallbackList, CSVLogger, History, LambdaCallback, LearningRateScheduler, TerminateOnNaN,
)
from seqlab.training.monitoring import EarlyStopping, ModelCheckpoint, ReduceLROnPlateau  # noqa: F401
from seqlab.training.tensorboard import TensorBoard  # noqa: F401
