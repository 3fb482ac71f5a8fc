"""The vanishing-gradient lesson, measured: SimpleRNN, LSTM and GRU of equal size recall a symbol
``distance`` steps back (``seqlab.inspect.lesson_vanishing``).

Each model reads ``distance + 1`` one-hot symbols (4 of them, chance accuracy 0.25) and answers,
at the last step, which symbol came first; the steps between are random symbols that the state
has to survive. For every cell and distance the program records the held-out accuracy and
``|dL/dh_t|`` through time (``seqlab.inspect.gradients_through_time``) at initialisation and
after training, prints the table, and writes two PNGs and a CSV:

- ``vanishing_gradients.png``: the gradient by steps back from the answer, at the longest
  distance, normalised by its value at the answer (log scale);
- ``vanishing_accuracy.png``: held-out accuracy against distance, with chance;
- ``vanishing_gradients.csv``: the table.

This is seqlab's own lesson, not a keras-io port, so it has no ``--backend keras``.

    python examples/vanishing_gradients.py                     # distances 10 25 50 100, ~10 min on one thread
    python examples/vanishing_gradients.py --distances 5 20 --epochs 10 --samples 1000
"""
import argparse
import os
import time

import pandas as pd
import torch

import seqlab


def run(distances=(10, 25, 50, 100), units=32, epochs=40, samples=4000, distractors=True, seed=0,
        out_dir=".", verbose=1):
    """Run the lesson; returns (table, gradient figure, accuracy figure), the PNGs and CSV written."""
    table, curves = seqlab.inspect.lesson_vanishing(
        distances=distances, units=units, epochs=epochs, samples=samples, distractors=distractors,
        seed=seed, verbose=verbose)
    gradients, accuracy = seqlab.inspect.lesson.plot_lesson(table, curves)
    os.makedirs(out_dir, exist_ok=True)
    gradients.savefig(os.path.join(out_dir, "vanishing_gradients.png"), dpi=110)
    accuracy.savefig(os.path.join(out_dir, "vanishing_accuracy.png"), dpi=110)
    table.to_csv(os.path.join(out_dir, "vanishing_gradients.csv"), index=False)
    return table, gradients, accuracy


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--distances", type=int, nargs="+", default=[10, 25, 50, 100])
    parser.add_argument("--units", type=int, default=32)
    parser.add_argument("--epochs", type=int, default=40)
    parser.add_argument("--samples", type=int, default=4000)
    parser.add_argument("--blank", action="store_true", help="all-zero steps between, no distractors")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default=".")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    began = time.perf_counter()
    table, _, _ = run(tuple(args.distances), args.units, args.epochs, args.samples, not args.blank,
                      args.seed, args.out)
    with pd.option_context("display.width", 160, "display.float_format", "{:.3g}".format):
        print(table.to_string(index=False))
    print(f"{time.perf_counter() - began:.0f} s; figures and table in {os.path.abspath(args.out)}")


if __name__ == "__main__":
    main()
