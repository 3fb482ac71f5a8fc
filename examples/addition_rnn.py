"""An LSTM encoder-decoder learns to add two numbers given as text ("535+61" -> "596").

Keras's addition_rnn example (keras-io, examples/nlp/addition_rnn.py) with only its imports
changed: questions "a+b" of numbers with 1 to DIGITS=3 digits, padded with spaces to
MAXLEN = DIGITS + 1 + DIGITS, answers padded to DIGITS + 1, both one-hot over "0123456789+ ";
50,000 unique questions (a+b and b+a count once), 10% held out; LSTM(128) encoder ->
RepeatVector(DIGITS + 1) -> LSTM(128, return_sequences=True) -> softmax over the characters,
categorical cross-entropy, adam, batch 32. The query is reversed, as in Keras (REVERSE = True).
The figure that matters is the exact-match accuracy (the whole answer string right) on the
held-out questions; docs/examples.md records the measured run.

The same file runs under real Keras 3 (torch backend) with ``--backend keras``: the questions,
their order and the held-out part are the same NumPy arrays for both (made from ``--seed``).

    python examples/addition_rnn.py               # --epochs 30 --samples 50000 --seed 0
    python examples/addition_rnn.py --quick       # a one-minute smoke run
    KERAS_BACKEND=torch PYTHONPATH=src /tmp/kvenv/bin/python examples/addition_rnn.py --backend keras
"""
import argparse
import importlib
import time

import numpy as np
import torch

import seqlab as keras

DIGITS = 3
MAXLEN = DIGITS + 1 + DIGITS  # "345+678"
CHARS = "0123456789+ "        # all the digits, the plus sign and the space used for padding


class CharacterTable:
    """One-hot encodes strings over a character set and decodes one-hot rows or probabilities."""

    def __init__(self, chars):
        self.chars = sorted(set(chars))
        self.char_indices = {c: i for i, c in enumerate(self.chars)}
        self.indices_char = dict(enumerate(self.chars))

    def encode(self, string, num_rows):
        x = np.zeros((num_rows, len(self.chars)), dtype="float32")
        for i, c in enumerate(string):
            x[i, self.char_indices[c]] = 1
        return x

    def decode(self, x, calc_argmax=True):
        if calc_argmax:
            x = x.argmax(axis=-1)
        return "".join(self.indices_char[int(i)] for i in x)


def generate_questions(n, rng, reverse=True):
    """`n` unique padded questions and their padded answers, as Keras's example makes them."""
    questions, expected, seen = [], [], set()
    while len(questions) < n:
        a, b = (int("".join(rng.choice(list("0123456789"), size=rng.integers(1, DIGITS + 1))))
                for _ in range(2))
        key = tuple(sorted((a, b)))  # a+b and b+a are one question
        if key in seen:
            continue
        seen.add(key)
        query = f"{a}+{b}".ljust(MAXLEN)
        # Reversed, '12+345  ' becomes '  543+21': the last digits read come first in the answer.
        questions.append(query[::-1] if reverse else query)
        expected.append(str(a + b).ljust(DIGITS + 1))
    return questions, expected


def vectorize(questions, expected, ctable):
    x = np.stack([ctable.encode(q, MAXLEN) for q in questions])
    y = np.stack([ctable.encode(a, DIGITS + 1) for a in expected])
    return x, y


def backend_module(name):
    """seqlab, or real Keras for ``--backend keras``."""
    # Lazy: real Keras is imported only when asked for, never by the seqlab run.
    return importlib.import_module("keras") if name == "keras" else keras


def build_model(units=128, keras=keras):
    layers = keras.layers
    model = keras.Sequential([
        keras.Input((MAXLEN, len(CHARS))),
        layers.LSTM(units),                         # encode the question into one vector
        layers.RepeatVector(DIGITS + 1),            # fed to the decoder at each answer step
        layers.LSTM(units, return_sequences=True),
        layers.Dense(len(CHARS), activation="softmax"),
    ])
    model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
    return model


def exact_match(model, x, y, ctable):
    """Share of questions whose whole answer string is right, and the guessed strings."""
    guesses = [ctable.decode(p) for p in model.predict(x, verbose=0)]
    correct = [ctable.decode(row) for row in y]
    return float(np.mean([g == c for g, c in zip(guesses, correct)])), guesses


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--backend", choices=("seqlab", "keras"), default="seqlab")
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--samples", type=int, default=50000, help="unique questions, 10%% held out")
    parser.add_argument("--units", type=int, default=128)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-reverse", action="store_true", help="feed the queries unreversed")
    # One thread: on a shared 2-core machine two threads ran 14x slower per step (they wait on each other).
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads")
    parser.add_argument("--quick", action="store_true", help="5,000 questions, 2 epochs")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    if args.quick:
        args.samples, args.epochs = 5000, 2
    torch.set_num_threads(args.threads)
    keras = backend_module(args.backend)
    keras.utils.set_random_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    reverse = not args.no_reverse
    ctable = CharacterTable(CHARS)
    questions, expected = generate_questions(args.samples, rng, reverse)
    x, y = vectorize(questions, expected, ctable)
    order = rng.permutation(len(x))  # later questions are almost all the larger numbers
    x, y = x[order], y[order]
    questions = [questions[i] for i in order]
    split_at = len(x) - len(x) // 10  # 10% never trained on
    (x_train, x_val), (y_train, y_val) = (x[:split_at], x[split_at:]), (y[:split_at], y[split_at:])
    print("Training data:", x_train.shape, y_train.shape, "validation data:", x_val.shape, y_val.shape)

    model = build_model(args.units, keras)
    model.summary()
    start = time.perf_counter()
    history = model.fit(x_train, y_train, batch_size=32, epochs=args.epochs,
                        validation_data=(x_val, y_val), verbose=2)
    seconds = time.perf_counter() - start

    score, guesses = exact_match(model, x_val, y_val, ctable)
    val_questions = [q[::-1] if reverse else q for q in questions[split_at:]]
    # The questions whose two operands both have 3 digits (the sums the issue names).
    both = np.array([all(len(n) == DIGITS for n in q.strip().split("+")) for q in val_questions])
    right = np.array([g == ctable.decode(t) for g, t in zip(guesses, y_val)])
    for i in range(10):
        q, t, g = val_questions[i], ctable.decode(y_val[i]), guesses[i]
        print("Q", q, "T", t, ("☑ " if g == t else "☒ ") + g)
    print(f"Per-character validation accuracy: {history.history['val_accuracy'][-1]:.4f}")
    print(f"Exact-match accuracy on {len(x_val)} held-out sums: {score:.4f}")
    if both.any():
        print(f"Exact-match on the {int(both.sum())} held-out sums of two 3-digit numbers: "
              f"{right[both].mean():.4f}")
    print(f"Training: {seconds:.1f} s, {seconds / args.epochs:.1f} s per epoch")
    return {"exact_match": score, "history": history.history, "seconds": seconds}


if __name__ == "__main__":
    main()
