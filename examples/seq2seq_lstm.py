"""An LSTM encoder-decoder learns to reverse a string of letters ("hello" -> "olleh").

Keras's character-level sequence-to-sequence pattern (keras-io, examples/nlp/lstm_seq2seq.py)
with its imports changed and its download swapped for a synthetic task: the encoder
LSTM(return_state=True) reads the source and hands its states [h, c] to the decoder
LSTM(return_sequences=True, return_state=True), which is trained with teacher forcing (it reads
the target shifted by one, starting with "\\t") to predict the next character through a softmax
Dense. Inference then builds Keras's two separate models from the same layers, encoder_model
(source -> states) and decoder_model (one character + states -> next character + states), and
decodes greedily one step at a time until "\\n". The figure is the exact-match accuracy (the whole
reversed string right) on held-out strings; docs/examples.md records the measured run.

    python examples/seq2seq_lstm.py            # --epochs 25 --samples 10000 --seed 0
    python examples/seq2seq_lstm.py --quick    # a smoke run
"""
import argparse
import time

import numpy as np
import torch

import seqlab as keras
from seqlab import layers

LETTERS = "abcdefghij"
MIN_LEN, MAX_LEN = 3, 8
START, END, PAD = "\t", "\n", " "
CHARS = PAD + START + END + LETTERS
INDEX = {c: i for i, c in enumerate(CHARS)}


def make_pairs(n, rng):
    """`n` random strings of MIN_LEN to MAX_LEN letters and their reversals, framed by START/END."""
    sources = ["".join(rng.choice(list(LETTERS), size=rng.integers(MIN_LEN, MAX_LEN + 1))) for _ in range(n)]
    return sources, [START + s[::-1] + END for s in sources]


def one_hot(strings, length):
    x = np.zeros((len(strings), length, len(CHARS)), dtype="float32")
    for i, s in enumerate(strings):
        for t, c in enumerate(s.ljust(length, PAD)):
            x[i, t, INDEX[c]] = 1.0
    return x


def vectorize(sources, targets):
    """Encoder input, decoder input (the target) and decoder target (the target one step ahead)."""
    decoder_len = MAX_LEN + 2
    decoder_input = one_hot(targets, decoder_len)
    decoder_target = one_hot([t[1:] for t in targets], decoder_len)
    return one_hot(sources, MAX_LEN), decoder_input, decoder_target


def build_models(units=128):
    """The training model, and Keras's inference pair built from the same (shared) layers."""
    encoder_inputs = keras.Input(shape=(None, len(CHARS)), name="source")
    encoder = layers.LSTM(units, return_state=True, name="encoder")
    _, state_h, state_c = encoder(encoder_inputs)
    encoder_states = [state_h, state_c]

    decoder_inputs = keras.Input(shape=(None, len(CHARS)), name="target")
    decoder_lstm = layers.LSTM(units, return_sequences=True, return_state=True, name="decoder")
    decoder_outputs, _, _ = decoder_lstm(decoder_inputs, initial_state=encoder_states)
    decoder_dense = layers.Dense(len(CHARS), activation="softmax", name="next_char")
    model = keras.Model([encoder_inputs, decoder_inputs], decoder_dense(decoder_outputs))
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])

    encoder_model = keras.Model(encoder_inputs, encoder_states)
    state_inputs = [keras.Input(shape=(units,), name="h_in"), keras.Input(shape=(units,), name="c_in")]
    step_outputs, h, c = decoder_lstm(decoder_inputs, initial_state=state_inputs)
    decoder_model = keras.Model([decoder_inputs] + state_inputs, [decoder_dense(step_outputs), h, c])
    return model, encoder_model, decoder_model


def decode_sequences(encoder_model, decoder_model, encoder_input, max_steps=MAX_LEN + 1):
    """Greedy decoding of a batch, one character at a time, each fed back as the next input."""
    h, c = encoder_model.predict(encoder_input, verbose=0)
    n = len(encoder_input)
    step = one_hot([START] * n, 1)
    decoded, done = [""] * n, np.zeros(n, dtype=bool)
    for _ in range(max_steps):
        probabilities, h, c = decoder_model.predict([step, h, c], verbose=0)
        chars = probabilities[:, -1].argmax(axis=-1)
        for i, k in enumerate(chars):
            if not done[i]:
                done[i] = CHARS[k] == END
                decoded[i] += "" if done[i] else CHARS[k]
        if done.all():
            break
        step = np.eye(len(CHARS), dtype="float32")[chars][:, None, :]
    return decoded


def exact_match(guesses, sources):
    """Share of strings whose whole reversal is right."""
    return float(np.mean([g == s[::-1] for g, s in zip(guesses, sources)]))


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--epochs", type=int, default=25)
    parser.add_argument("--samples", type=int, default=10000, help="random strings, 10%% held out")
    parser.add_argument("--units", type=int, default=128)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads (1: fastest when busy)")
    parser.add_argument("--quick", action="store_true", help="2,000 strings, 2 epochs")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    if args.quick:
        args.samples, args.epochs = 2000, 2
    torch.set_num_threads(args.threads)
    keras.utils.set_random_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    sources, targets = make_pairs(args.samples, rng)
    split_at = len(sources) - len(sources) // 10  # 10% never trained on
    enc, dec_in, dec_out = vectorize(sources, targets)

    model, encoder_model, decoder_model = build_models(args.units)
    model.summary()
    start = time.perf_counter()
    history = model.fit([enc[:split_at], dec_in[:split_at]], dec_out[:split_at], batch_size=args.batch_size,
                        epochs=args.epochs, validation_split=0.1, verbose=2)
    seconds = time.perf_counter() - start

    held_out = sources[split_at:]
    guesses = decode_sequences(encoder_model, decoder_model, enc[split_at:])
    score = exact_match(guesses, held_out)
    for s, g in list(zip(held_out, guesses))[:10]:
        print("Q", s.ljust(MAX_LEN), "T", s[::-1].ljust(MAX_LEN), ("☑ " if g == s[::-1] else "☒ ") + g)
    print(f"Exact-match accuracy on {len(held_out)} held-out strings (greedy decoding): {score:.4f}")
    print(f"Training: {seconds:.1f} s, {seconds / args.epochs:.1f} s per epoch")
    return {"exact_match": score, "history": history.history, "seconds": seconds, "guesses": guesses}


if __name__ == "__main__":
    main()
