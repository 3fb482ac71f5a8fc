"""What the export tests share: the models exported, inputs for them, and running the files.

onnxruntime is an optional dependency (``seqlab[export]``): without it the ONNX tests skip and
say why, except under CI (env ``CI`` set), where its absence is a failure (CI installs ``.[dev]``).
"""
import os

import numpy as np
import pytest
import torch

import seqlab
from seqlab import layers

TOLERANCE = 1e-5  # float32 graphs against seqlab's float32 predictions (the bound)


def need(module: str):
    try:
        return pytest.importorskip(module, reason=f"{module} is not installed (pip install 'seqlab[export]')")
    except pytest.skip.Exception:
        if os.environ.get("CI"):
            pytest.fail(f"{module} is required in CI (pip install '.[dev]')")
        raise


def stacked_sequential():
    """Conv1D → LSTM (every step) → GRU → Dense, any number of timesteps of 3 features."""
    return seqlab.models.Sequential([
        layers.Input(shape=(None, 3)), layers.Conv1D(4, 2, padding="causal", activation="relu"),
        layers.LSTM(6, return_sequences=True), layers.GRU(5), layers.Dense(2)])


def bidirectional():
    return seqlab.models.Sequential([
        layers.Input(shape=(None, 3)), layers.Bidirectional(layers.LSTM(4, return_sequences=True)),
        layers.Bidirectional(layers.GRU(3), merge_mode="sum"), layers.Dense(1)])


def functional_attention():
    """Two inputs (a series and static features), self-attention over the LSTM's steps."""
    series = seqlab.Input(shape=(None, 3), name="series")
    static = seqlab.Input(shape=(4,), name="static")
    steps = layers.LSTM(6, return_sequences=True)(series)
    attended = layers.GlobalAveragePooling1D()(layers.Attention()([steps, steps]))
    merged = layers.Concatenate()([attended, layers.Dense(3, activation="tanh")(static)])
    return seqlab.Model([series, static], layers.Dense(2)(merged))


def simple_rnn():
    """SimpleRNN has no loop operator in ONNX or torch.export: the length is fixed at export."""
    return seqlab.models.Sequential([layers.Input(shape=(None, 3)), layers.SimpleRNN(5), layers.Dense(1)])


def masked_embedding():
    """Token ids with 0 as padding: the GRU follows the mask step by step (a fixed length)."""
    return seqlab.models.Sequential([
        layers.Input(shape=(None,), dtype="int64"), layers.Embedding(12, 4, mask_zero=True),
        layers.GRU(5), layers.Dense(1)])


# name -> (builder, input_signature given to export (None: the model's own), free length)
MODELS = {
    "stacked_sequential": (stacked_sequential, None, True),
    "bidirectional": (bidirectional, None, True),
    "functional_attention": (functional_attention, None, True),
    "simple_rnn": (simple_rnn, (None, 7, 3), False),
    "masked_embedding": (masked_embedding, (None, 7), False),
}


def inputs_for(name: str, batch: int, steps: int, seed: int = 0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    if name == "masked_embedding":
        ids = rng.integers(1, 12, size=(batch, steps))
        ids[0, -3:] = 0  # padding at the end of one sequence, at the start of another
        ids[-1, :2] = 0
        return [ids.astype(np.int64)]
    series = rng.normal(size=(batch, steps, 3)).astype(np.float32)
    if name == "functional_attention":
        return [series, rng.normal(size=(batch, 4)).astype(np.float32)]
    return [series]


def seqlab_predictions(model, inputs: list[np.ndarray]) -> list[np.ndarray]:
    predicted = model.predict(inputs[0] if len(inputs) == 1 else inputs, verbose=0)
    return predicted if isinstance(predicted, list) else [predicted]


def run_onnx(path, inputs: list[np.ndarray]) -> list[np.ndarray]:
    onnxruntime = need("onnxruntime")
    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return session.run(None, {spec.name: x for spec, x in zip(session.get_inputs(), inputs)})


def run_torch(path, inputs: list[np.ndarray]) -> list[np.ndarray]:
    module = torch.export.load(str(path)).module()
    with torch.no_grad():
        outputs = module(*(torch.as_tensor(x) for x in inputs))
    return [o.numpy() for o in (outputs if isinstance(outputs, tuple) else (outputs,))]
