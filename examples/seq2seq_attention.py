"""The LSTM encoder-decoder of seq2seq_lstm.py with Bahdanau attention, and a heat map of it.

The same synthetic task (reverse a string of letters) and the same training (teacher forcing,
categorical cross-entropy, adam), with one change in the model: the encoder also returns its
sequence of outputs, and at each step `AdditiveAttention` (Bahdanau) scores every encoder output
against the decoder's output; the weighted sum (the context) is concatenated with the decoder's
output before the softmax Dense: Concatenate([decoder_outputs, context]) -> Dense. Inference is
Keras's pair of models again, the decoder model also taking the encoder's outputs and returning
its step's attention weights; one held-out string's weights are saved as a PNG heat map (--plot,
by default under the system's temp folder, never in the repository).

    python examples/seq2seq_attention.py           # --epochs 25 --samples 10000 --seed 0
    python examples/seq2seq_attention.py --quick   # a smoke run
"""
import argparse
import os
import tempfile
import time

import matplotlib
import numpy as np
import torch

import seqlab as keras
from seqlab import layers
# The task and its encoding are seq2seq_lstm.py's (this folder is on the path when run as a script).
from seq2seq_lstm import CHARS, END, MAX_LEN, START, exact_match, make_pairs, one_hot, vectorize

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (after choosing the file-only backend)

DEFAULT_PLOT = os.path.join(tempfile.gettempdir(), "seqlab-runs", "seq2seq_attention.png")


def build_models(units=128):
    """The training model, and the inference pair built from the same (shared) layers."""
    encoder_inputs = keras.Input(shape=(None, len(CHARS)), name="source")
    encoder = layers.LSTM(units, return_sequences=True, return_state=True, name="encoder")
    encoder_outputs, state_h, state_c = encoder(encoder_inputs)
    decoder_inputs = keras.Input(shape=(None, len(CHARS)), name="target")
    decoder_lstm = layers.LSTM(units, return_sequences=True, return_state=True, name="decoder")
    attention = layers.AdditiveAttention(name="attention")
    concat = layers.Concatenate(axis=-1, name="with_context")
    decoder_dense = layers.Dense(len(CHARS), activation="softmax", name="next_char")
    def decode(inputs, memory, states):  # one description of the decoder, for training and inference
        outputs, h, c = decoder_lstm(inputs, initial_state=states)
        context, scores = attention([outputs, memory], return_attention_scores=True)
        return decoder_dense(concat([outputs, context])), h, c, scores

    probabilities, _, _, _ = decode(decoder_inputs, encoder_outputs, [state_h, state_c])
    model = keras.Model([encoder_inputs, decoder_inputs], probabilities)
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])

    encoder_model = keras.Model(encoder_inputs, [encoder_outputs, state_h, state_c])
    memory_input = keras.Input(shape=(None, units), name="encoder_outputs")
    state_inputs = [keras.Input(shape=(units,), name="h_in"), keras.Input(shape=(units,), name="c_in")]
    step = decode(decoder_inputs, memory_input, state_inputs)
    decoder_model = keras.Model([decoder_inputs, memory_input] + state_inputs, list(step))
    return model, encoder_model, decoder_model


def decode_sequences(encoder_model, decoder_model, encoder_input, max_steps=MAX_LEN + 1):
    """Greedy decoding of a batch, one character at a time; also each step's attention weights."""
    memory, h, c = encoder_model.predict(encoder_input, verbose=0)
    n = len(encoder_input)
    step = one_hot([START] * n, 1)
    decoded, done, weights = [""] * n, np.zeros(n, dtype=bool), []
    for _ in range(max_steps):
        probabilities, h, c, scores = decoder_model.predict([step, memory, h, c], verbose=0)
        weights.append(scores[:, -1])  # (n, source steps)
        chars = probabilities[:, -1].argmax(axis=-1)
        for i, k in enumerate(chars):
            if not done[i]:
                done[i] = CHARS[k] == END
                decoded[i] += "" if done[i] else CHARS[k]
        if done.all():
            break
        step = np.eye(len(CHARS), dtype="float32")[chars][:, None, :]
    return decoded, np.stack(weights, axis=1)  # (n, target steps, source steps)


def mirror_weight(weights, sources):
    """Mean weight that the step writing source[L-1-j] (j < L) puts on that very character."""
    return float(np.mean([w[j, len(s) - 1 - j] for w, s in zip(weights, sources)
                          for j in range(min(len(s), len(w)))]))


def plot_attention(weights, source, guess, path):
    """Heat map of one string's weights: a row per character written, a column per one read."""
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    rows = list(guess) + ["<end>"]  # the characters written, then END (absent if decoding ran out of steps)
    shown = weights[: min(len(rows), len(weights))]  # every source step, the padding too
    fig, ax = plt.subplots(figsize=(5, 4), layout="tight")
    image = ax.imshow(shown, cmap="viridis", vmin=0.0)  # scaled to its largest weight
    fig.colorbar(image, ax=ax)
    ax.set_xticks(range(shown.shape[1]), list(source.ljust(shown.shape[1]).replace(" ", "_")))
    ax.set_yticks(range(len(shown)), rows[: len(shown)])
    ax.set(xlabel="source (read; _ is padding)", ylabel="output (written)", title="AdditiveAttention weights")
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--epochs", type=int, default=25)
    parser.add_argument("--samples", type=int, default=10000, help="random strings, 10%% held out")
    parser.add_argument("--units", type=int, default=128)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads (1: fastest when busy)")
    parser.add_argument("--plot", default=DEFAULT_PLOT, help="PNG of one held-out string's attention weights")
    parser.add_argument("--quick", action="store_true", help="2,000 strings, 2 epochs")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    if args.quick:
        args.samples, args.epochs = 2000, 2
    torch.set_num_threads(args.threads)
    keras.utils.set_random_seed(args.seed)
    sources, targets = make_pairs(args.samples, np.random.default_rng(args.seed))
    split_at = len(sources) - len(sources) // 10  # 10% never trained on
    enc, dec_in, dec_out = vectorize(sources, targets)

    model, encoder_model, decoder_model = build_models(args.units)
    model.summary()
    start = time.perf_counter()
    history = model.fit([enc[:split_at], dec_in[:split_at]], dec_out[:split_at], batch_size=args.batch_size,
                        epochs=args.epochs, validation_split=0.1, verbose=2)
    seconds = time.perf_counter() - start

    held_out = sources[split_at:]
    guesses, weights = decode_sequences(encoder_model, decoder_model, enc[split_at:])
    score = exact_match(guesses, held_out)
    for s, g in list(zip(held_out, guesses))[:10]:
        print("Q", s.ljust(MAX_LEN), "T", s[::-1].ljust(MAX_LEN), ("☑ " if g == s[::-1] else "☒ ") + g)
    print(f"Exact-match accuracy on {len(held_out)} held-out strings (greedy decoding): {score:.4f}")
    print(f"Training: {seconds:.1f} s, {seconds / args.epochs:.1f} s per epoch")
    mirror = mirror_weight(weights, held_out)
    print(f"Mean attention weight on the character being reversed: {mirror:.3f} (uniform: about 0.125)")
    path = plot_attention(weights[0], held_out[0], guesses[0], args.plot)
    print("Attention weights of", repr(held_out[0]), "saved to", path)
    return {"exact_match": score, "history": history.history, "seconds": seconds, "guesses": guesses,
            "weights": weights, "mirror_weight": mirror, "plot": args.plot}


if __name__ == "__main__":
    main()
