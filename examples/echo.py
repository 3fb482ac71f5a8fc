"""The notes' echo problem: remember the value at step ``out_index`` of a random sequence.

A sequence is 5 random integers in 0..9, one-hot encoded (5 steps x 10 features); the target is
the one-hot value at step 2, which the model is never told. The model is the notes':
``LSTM(16) -> Dense(10, softmax)``, categorical cross-entropy, ``Adam(learning_rate=0.001)``
(1,898 parameters).

Two protocols, scored alike on 100 fresh random sequences (chance is 10%):

- ``single``: the notes' loop, with only the imports changed: each ``fit`` call trains on ONE new
  sample for one epoch. The notes' listing sets ``epochs = 500`` but its printed log runs to
  epoch 4998, so the default here is 5000 calls; the notes report ``Accuracy: 57.00``;
- ``batched``: the same model and data generator, ``--samples`` sequences drawn once, trained with
  ``fit(batch_size=32)`` for ``--epochs`` epochs.

    python examples/echo.py                         # both protocols, the defaults below
    python examples/echo.py --protocol single --fits 500
    python examples/echo.py --protocol batched --precision bf16   # under mixed_bfloat16
"""
import argparse
import resource
import time
from random import randint, seed as seed_python

import numpy as np
import torch
from numpy import argmax, array

import seqlab as tf


# The notes' helpers (their names and bodies; the slides' spacing typos fixed).
def generate_sequence(length, nr_features):
    return [randint(0, nr_features - 1) for _ in range(length)]


def one_hot_encode(sequence, nr_features):
    encoded = list()
    for value in sequence:
        one_hot_encoded = np.zeros(nr_features)
        one_hot_encoded[value] = 1
        encoded.append(one_hot_encoded)
    return array(encoded)


def one_hot_decode(encoded_seq):
    return [argmax(value) for value in encoded_seq]


def generate_sample(length, nr_features, out_index):
    sequence = generate_sequence(length, nr_features)
    encoded = one_hot_encode(sequence, nr_features)
    X = encoded.reshape((1, length, nr_features))
    y = encoded[out_index].reshape(1, nr_features)
    return X, y


timesteps = 5
features = 10
out_index = 2


def build_model(precision="fp32"):
    # --precision bf16: the layers compute in bfloat16 (policy mixed_bfloat16, weights float32),
    # the softmax layer in float32 as Keras advises (as examples/mnist_cnn.py does).
    if precision == "bf16":
        tf.keras.mixed_precision.set_global_policy("mixed_bfloat16")
    try:
        model = tf.keras.Sequential()
        model.add(tf.keras.layers.LSTM(16, input_shape=(timesteps, features)))
        model.add(tf.keras.layers.Dense(features, activation='softmax'))
    finally:
        if precision == "bf16":
            tf.keras.mixed_precision.set_global_policy(None)
    if precision == "bf16":
        model.layers[-1].dtype_policy = "float32"
    model.compile(
        loss=tf.keras.losses.categorical_crossentropy,
        optimizer=tf.keras.optimizers.Adam(learning_rate=0.001),
        metrics=['accuracy'])
    return model


def evaluate(model, samples=100):
    """The notes' evaluation: predict ``samples`` fresh sequences one by one, count the right ones."""
    correct = 0
    for _ in range(samples):
        X, y = generate_sample(timesteps, features, out_index)
        yhat = model.predict(X, verbose=0)
        if one_hot_decode(yhat) == one_hot_decode(y):
            correct += 1
    return (correct / samples) * 100.0


def train_single(model, fits):
    """The notes' protocol: one new sample per ``fit`` call, one epoch each."""
    for _ in range(fits):
        X, y = generate_sample(timesteps, features, out_index)
        model.fit(X, y, shuffle=False, epochs=1, verbose=0)
    return model


def train_batched(model, samples, epochs, batch_size=32):
    """The same generator, ``samples`` sequences drawn once, trained in batches."""
    pairs = [generate_sample(timesteps, features, out_index) for _ in range(samples)]
    X = np.concatenate([x for x, _ in pairs]).astype("float32")
    y = np.concatenate([t for _, t in pairs]).astype("float32")
    model.fit(X, y, epochs=epochs, batch_size=batch_size, verbose=0)
    return model


def run(protocol, fits=5000, samples=5000, epochs=30, seed=0, precision="fp32"):
    """Train one protocol from ``seed`` in ``precision`` (``'fp32'`` or ``'bf16'``: the policy
    ``mixed_bfloat16``); returns (test accuracy in %, the model)."""
    seed_python(seed)
    tf.utils.set_random_seed(seed)
    model = build_model(precision)
    if protocol == "single":
        train_single(model, fits)
    else:
        train_batched(model, samples, epochs)
    return evaluate(model), model


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--protocol", choices=["single", "batched", "both"], default="both")
    parser.add_argument("--fits", type=int, default=5000, help="single: fit calls of one sample")
    parser.add_argument("--samples", type=int, default=5000, help="batched: training sequences")
    parser.add_argument("--epochs", type=int, default=30, help="batched: epochs")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--precision", choices=("fp32", "bf16"), default="fp32",
                        help="bf16: the layers compute in bfloat16 (policy mixed_bfloat16), weights float32")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    protocols = ["single", "batched"] if args.protocol == "both" else [args.protocol]
    accuracies = {}
    for protocol in protocols:
        wall, cpu = time.perf_counter(), resource.getrusage(resource.RUSAGE_SELF)
        accuracies[protocol], _ = run(protocol, args.fits, args.samples, args.epochs, args.seed,
                                      args.precision)
        used = resource.getrusage(resource.RUSAGE_SELF)
        print(f"{protocol}: Accuracy: {accuracies[protocol]:.2f} "
              f"({time.perf_counter() - wall:.1f} s wall, "
              f"{used.ru_utime + used.ru_stime - cpu.ru_utime - cpu.ru_stime:.1f} s CPU)")
    return accuracies


if __name__ == "__main__":
    main()
