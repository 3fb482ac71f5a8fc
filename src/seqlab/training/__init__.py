"""Training: ``compile`` → ``fit``/``evaluate``/``predict``, losses, metrics, optimizers,
callbacks and progress output (see docs/training.md)."""
from seqlab.training.compile import CompiledSetup, compile_model
from seqlab.training.loop import evaluate, fit, predict, predict_on_batch, test_on_batch, train_on_batch

__all__ = ["CompiledSetup", "compile_model", "fit", "evaluate", "predict",
           "train_on_batch", "test_on_batch", "predict_on_batch"]
