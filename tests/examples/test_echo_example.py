"""examples/echo.py: the notes' echo model has Keras's parameter count, and trained in batches it
learns to echo step 2 far above chance (10%) within 20 epochs on 1,000 sequences.

Margin, from measured runs of this test's settings: 55% (seed 0) and 42% (seed 1) on 100 fresh
sequences (one standard error ~5 points); chance is 10%. The full run (5,000 sequences, 30
epochs: 100%) and the notes' single-sample protocol (51-54% after 5,000 calls) are in
docs/examples.md.

Under ``mixed_bfloat16`` (``--precision bf16``, issue 12: "the notes' echo task still 100%") a
reduced run is checked here, 4,000 sequences x 20 epochs (~4 s of CPU): measured 99% in bfloat16
and 99% in float32 (seed 0); 3,000 x 20 gave 92% in both. The full run (5,000 x 30) reaches 100%
in bfloat16 as in float32 (docs/examples.md)."""
import importlib.util
from pathlib import Path

import numpy as np
import pytest
import torch

import seqlab


def load_example():
    path = Path(__file__).resolve().parents[2] / "examples" / "echo.py"
    spec = importlib.util.spec_from_file_location("echo_example", path)
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    return example


@pytest.fixture
def one_thread():
    # The example runs on one thread (its --threads default): a 16-unit LSTM gains nothing from
    # two, and on a busy 2-core machine two threads made this test 35x slower (153 s against
    # 4.4 s of CPU). The suite's thread count is given back after.
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def test_samples_are_the_notes_encoding():
    example = load_example()
    X, y = example.generate_sample(5, 10, 2)
    assert X.shape == (1, 5, 10) and y.shape == (1, 10)
    assert np.array_equal(X.sum(axis=2), np.ones((1, 5)))          # one-hot, one value per step
    assert np.array_equal(y[0], X[0, 2])                           # the target is step 2 echoed


def test_batched_training_learns_far_above_chance(one_thread):
    accuracy, model = load_example().run("batched", samples=1000, epochs=20, seed=0)
    lstm, dense = model.layers
    assert lstm.count_params() == 4 * (16 * (16 + 10) + 16) == 1728       # the notes' summary
    assert dense.count_params() == 16 * 10 + 10 == 170
    assert accuracy >= 30.0


def test_under_mixed_bfloat16_the_echo_is_learnt_as_in_float32(one_thread):
    accuracy, model = load_example().run("batched", samples=4000, epochs=20, seed=0, precision="bf16")
    lstm, dense = model.layers
    assert lstm.dtype_policy.name == "mixed_bfloat16" and lstm.compute_dtype == "bfloat16"
    assert dense.dtype_policy.name == "float32"              # the softmax in float32, as Keras advises
    assert all(w.dtype == torch.float32 for w in model.parameters())  # variables stay float32
    assert seqlab.mixed_precision.global_policy().name == "float32"  # the example leaves no policy set
    assert accuracy >= 95.0
