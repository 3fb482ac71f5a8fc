"""What the units of a character-level LSTM learned on tinyshakespeare, measured.

An ``Embedding -> LSTM(128, return_sequences=True) -> Dense(vocab, softmax)`` model learns to
predict the next character from stateless windows of 100 characters. The first 90% of the text
trains it, the last 10% tests it (the windows of each part are cut from that part only, so none
crosses the boundary): the program prints the test bits per character (mean cross-entropy in
bits over non-overlapping test windows, each read from a zero state). It then traces the
LSTM over a long stretch of test text (``seqlab.inspect.trace``), holds every unit of the
hidden and the cell state against readable signals of the text (``text_signals``: position
in the line, characters to its end, inside a speaker's name, inside quotes, upper case,
whitespace, punctuation) with ``correlate_units``, prints the best units per signal with their
correlations and writes:

- ``char_units.csv``: every unit's correlation with every signal, hidden and cell;
- ``char_units.png``: the best units' activations over a snippet of test text, one colour per
  character (Karpathy, Johnson & Fei-Fei 2015, "Visualizing and Understanding Recurrent
  Networks", figure 2);
- with ``--explorer PATH``, the explorer page (``seqlab.inspect.explore``) of the first
  ``EXPLORER_WINDOWS`` traced windows with these signals: its side panel lists the best
  units of each signal, and a click colours the text by a unit.

tinyshakespeare is not shipped with seqlab: ``--data PATH``, else the data folder
(``$SEQLAB_DATA_DIR`` or ``../shared/data``, see ``seqlab.datasets.load_shakespeare``).
``--fast`` trains a small model on a synthetic play instead (fixed-length lines, speaker
heads, quotes: a few seconds; the test of this example runs it). docs/inspect.md records the
measured run.

    python examples/char_units.py                   # ~10-15 min on one thread
    python examples/char_units.py --fast
    python examples/char_units.py --explorer char_units.html   # and open it in a browser
"""
import argparse
import os
import time
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch

import seqlab
from seqlab.data import Vocabulary, text_windows
from seqlab.inspect import correlate_units, cut_signals, explore, plot_text_units, text_signals, top_units_table, trace

FIGURE_SIGNALS = ("line_position", "line_end", "speaker_name", "upper", "in_quotes")
# Traced windows the explorer page shows: 25 x 400 = 10,000 characters. An LSTM takes 12 bytes per
# (step, unit) in the page, a third more as base64: ~20 MB for 128 units (all 100 windows ~80 MB).
EXPLORER_WINDOWS = 25


def synthetic_play(speeches=300, lines_per_speech=3, line_length=16, seed=0):
    """A play with planted regularities: speaker heads (``"ANNA:"``) after a blank line, then
    lines of exactly ``line_length`` characters (lower-case words, sometimes a quoted one), so
    that the newline is predictable only by counting."""
    rng = np.random.default_rng(seed)
    names = ["ANNA", "BORIS", "CLEO", "DMITRI"]
    letters = np.array(list("etaoinshrdlu"))
    blocks = []
    for _ in range(speeches):
        lines = [f"{names[rng.integers(len(names))]}:"]
        for _ in range(lines_per_speech):
            words, size = [], 0
            while size < line_length:
                word = "".join(rng.choice(letters, size=rng.integers(2, 7)))
                word = f'"{word}"' if rng.random() < 0.15 else word
                words.append(word)
                size += len(word) + 1
            lines.append(" ".join(words)[:line_length].ljust(line_length))
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + "\n"


def split_text(text, test_fraction=0.1):
    """The first ``1 - test_fraction`` of the characters trains, the rest tests."""
    cut = len(text) - int(len(text) * test_fraction)
    return text[:cut], text[cut:]


def build_model(vocab_size, units=128, embedding=32, learning_rate=2e-3):
    model = seqlab.Sequential([
        seqlab.Input((None,), dtype="int64"),                 # any window length: trained on 100, traced on more
        seqlab.layers.Embedding(vocab_size, embedding),
        seqlab.layers.LSTM(units, return_sequences=True, name="lstm"),
        seqlab.layers.Dense(vocab_size, activation="softmax"),
    ])
    model.compile(loss="sparse_categorical_crossentropy", optimizer=seqlab.optimizers.Adam(learning_rate))
    return model


def prepare(text, seq_length=100, stride=50):
    """The vocabulary of the first 90%, its training windows (``stride`` apart), the last 10% and
    its non-overlapping test windows: no window crosses the boundary."""
    train_text, test_text = split_text(text)
    vocab = Vocabulary("char").fit(train_text)   # a test character never seen in training is [UNK]
    x, y = text_windows(vocab.encode(train_text), seq_length, stride=stride)
    x_test, y_test = text_windows(vocab.encode(test_text), seq_length, stride=seq_length)
    return vocab, (np.array(x), np.array(y)), test_text, (np.array(x_test), np.array(y_test))


def bits_per_character(model, x, y):
    """Mean next-character cross-entropy over every step of windows ``x``, in bits."""
    loss = model.evaluate(x, y, batch_size=256, verbose=0)
    return float(loss[0] if isinstance(loss, (list, tuple)) else loss) / np.log(2)


@dataclass
class Traced:
    """What :func:`unit_correlations` measured over the traced test text."""

    correlations: dict    # {'hidden': DataFrame, 'cell': DataFrame}: unit x signal
    trace: object         # the LSTM's Trace, (windows, trace_length, units) arrays
    texts: list           # the traced windows of text
    signals: dict         # {name: (windows, trace_length)}, the constant ones left out
    constant: list        # the signals left out: they do not vary over the traced text
    bpc: float            # bits per character over the traced windows
    x: np.ndarray         # the traced windows as ids, (windows, trace_length)


def unit_correlations(model, vocab, text, trace_length=400, trace_chars=40_000):
    """Trace non-overlapping windows of ``text`` (at most ``trace_chars`` characters) and
    correlate every hidden and cell unit with every signal of :func:`text_signals`."""
    ids = vocab.encode(text[: min(trace_chars, len(text) - 1) + 1])
    x, y = text_windows(ids, trace_length, stride=trace_length)
    starts = np.arange(len(x)) * trace_length
    recorded = trace(model, np.array(x), layer="lstm")["lstm"]
    # The signals of the whole stretch, cut as the windows were: a window's first steps keep
    # their true line position although the stateless model cannot know it there yet.
    signals = cut_signals(text_signals(text[: len(x) * trace_length]), starts, trace_length)
    constant = [name for name, signal in signals.items() if np.ptp(signal) == 0]
    signals = {name: signal for name, signal in signals.items() if name not in constant}
    correlations = {state: correlate_units(recorded, signals, state) for state in ("hidden", "cell")}
    texts = [text[s:s + trace_length] for s in starts]
    return Traced(correlations, recorded, texts, signals, constant, bits_per_character(model, np.array(x), np.array(y)),
                  np.array(x))


def write_explorer(model, vocab, traced, path, windows=EXPLORER_WINDOWS):
    """The explorer page of the first ``windows`` traced windows, with their signals (cut from the
    whole stretch, as the correlations were measured)."""
    shown = slice(0, windows)
    notes = [f"The first {min(windows, len(traced.x))} of the {len(traced.x)} traced windows of test text, "
             f"{traced.x.shape[1]} characters each, read from a zero state; the signals are those of "
             "examples/char_units.py (docs/inspect.md, 'What recurrent units learned')."]
    return explore(model, traced.x[shown], output=path, vocabulary=vocab, attribution="saliency",
                   signals={name: signal[shown] for name, signal in traced.signals.items()},
                   title="What the units of a character LSTM learned", notes=notes)


def strongest(correlations):
    """Per signal, the largest |r| of any unit of any state."""
    return pd.concat([table.abs().max() for table in correlations.values()], axis=1).max(axis=1)


def figure(traced, snippet=320):
    """The best unit (hidden or cell, by |r|) of each signal in FIGURE_SIGNALS over the start of
    the first traced window holding a speaker head; a unit best for several signals is drawn once."""
    correlations, signals = traced.correlations, traced.signals
    heads = signals.get("speaker_name", np.zeros((len(traced.texts), 1)))
    window = next((i for i in range(len(traced.texts)) if heads[i].any()), 0)
    text = traced.texts[window][:snippet]
    panels = {}                                    # (state, unit) -> ["signal r = ...", ...]
    for name in FIGURE_SIGNALS:
        if name not in correlations["hidden"]:
            continue
        state = max(correlations, key=lambda state: correlations[state][name].abs().max())
        unit = int(correlations[state][name].abs().idxmax())
        panels.setdefault((state, unit), []).append(f"{name} r = {correlations[state].loc[unit, name]:+.2f}")
    columns = [(traced.trace.hidden if state == "hidden" else traced.trace.cell)[window, :len(text), unit]
               for state, unit in panels]
    labels = [f"{state} unit {unit}: " + ", ".join(found) for (state, unit), found in panels.items()]
    width = max(len(line) for line in text.split("\n")) + 1
    return plot_text_units(text, np.stack(columns, axis=1), labels, width=width)


def run(text, units=128, seq_length=100, stride=50, epochs=10, batch_size=64, trace_length=400,
        trace_chars=40_000, seed=0, out_dir=".", verbose=2, explorer=None):
    """Train, measure, correlate, write the CSV and PNG (and the explorer page at ``explorer``);
    returns a dict of what was measured.

    The same correlations are measured on the model before training too (``untrained``): a
    unit of a random LSTM already follows some signals, and only the difference was learned."""
    began = time.perf_counter()
    seqlab.utils.set_random_seed(seed)
    vocab, (x, y), test_text, (x_test, y_test) = prepare(text, seq_length, stride)
    model = build_model(len(vocab), units)
    untrained = unit_correlations(model, vocab, test_text, trace_length, trace_chars)
    model.fit(x, y, batch_size=batch_size, epochs=epochs, shuffle=True, verbose=verbose)
    trained = time.perf_counter() - began
    traced = unit_correlations(model, vocab, test_text, trace_length, trace_chars)
    os.makedirs(out_dir, exist_ok=True)
    pd.concat(traced.correlations, names=["state"]).to_csv(os.path.join(out_dir, "char_units.csv"))
    fig = figure(traced)
    fig.savefig(os.path.join(out_dir, "char_units.png"), dpi=90)
    if explorer:
        write_explorer(model, vocab, traced, explorer)
    control = pd.DataFrame({"trained": strongest(traced.correlations),
                            "untrained": strongest(untrained.correlations)}).rename_axis("best |r|")
    return {"test_bpc": bits_per_character(model, x_test, y_test), "traced_bpc": traced.bpc,
            "correlations": traced.correlations, "best": top_units_table(traced.correlations),
            "control": control, "constant": traced.constant, "figure": fig, "train_seconds": trained,
            "seconds": time.perf_counter() - began, "characters": len(text), "vocabulary": len(vocab),
            "seq_length": seq_length, "trace_length": trace_length, "traced": traced, "test_text": test_text}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", help="tinyshakespeare.txt (default: the seqlab data folder)")
    parser.add_argument("--fast", action="store_true", help="a synthetic play, a small model, seconds")
    parser.add_argument("--units", type=int, default=128)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--seq-length", type=int, default=100)
    parser.add_argument("--stride", type=int, default=50, help="between training windows")
    parser.add_argument("--trace-length", type=int, default=400, help="characters per traced window")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default=".")
    parser.add_argument("--explorer", metavar="PATH", help="also write the explorer page of the traced text here")
    # One thread: on a shared 2-core machine two threads ran slower per step (they wait on each other).
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    if args.fast:
        text, settings = synthetic_play(), dict(units=32, seq_length=60, stride=6, epochs=6, trace_length=120)
    else:
        try:
            text = seqlab.datasets.load_shakespeare(args.data)
        except FileNotFoundError as error:
            raise SystemExit(f"char_units: {error}") from None
        settings = dict(units=args.units, seq_length=args.seq_length, stride=args.stride, epochs=args.epochs,
                        trace_length=args.trace_length)
    result = run(text, seed=args.seed, out_dir=args.out, explorer=args.explorer, **settings)
    print(f"{result['characters']} characters, {result['vocabulary']} ids; test bits per character: "
          f"{result['test_bpc']:.3f} over {result['seq_length']}-character windows, "
          f"{result['traced_bpc']:.3f} over the traced {result['trace_length']}-character windows")
    if result["constant"]:
        print(f"signals constant over the traced text, left out: {', '.join(result['constant'])}")
    with pd.option_context("display.width", 160, "display.max_rows", 200, "display.float_format", "{:+.3f}".format):
        print(result["best"].to_string(index=False))
        print(result["control"].to_string())
    print(f"trained in {result['train_seconds']:.0f} s, {result['seconds']:.0f} s in all; "
          f"char_units.csv and char_units.png in {os.path.abspath(args.out)}"
          + (f"; the explorer in {os.path.abspath(args.explorer)}" if args.explorer else ""))
    return result


if __name__ == "__main__":
    main()
