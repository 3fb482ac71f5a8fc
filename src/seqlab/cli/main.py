"""The ``seqlab`` command: parses arguments and calls the library, nothing more.

Exit codes: 0 success; 1 a seqlab error (one clear line on stderr; the traceback only with
``--debug``); 2 bad usage (argparse's message); 130 interrupted (Ctrl-C), 143 stopped by SIGTERM.
Both signals are only recorded by their handler (:mod:`seqlab.stopping`) and honoured at the
work's next safe point, from the first line of :func:`main` on.
"""
from __future__ import annotations

import argparse
import signal
import sys
import traceback

from seqlab import __version__, stopping
from seqlab.errors import SeqlabError

DESCRIPTION = """\
seqlab: neural sequence models with honest forecasts.

Run an experiment from a spec file to a report that compares the model with the naive
forecasts it must beat (persistence, seasonal naive, drift, moving average), in the data's
own units."""

EXAMPLES = {
    "main": """examples:
  seqlab demo                                   # LSTM on bundled AAPL closes, report included
  seqlab run experiment.toml --seed 1           # your own spec
  seqlab predict runs/20240501-120000-aapl --data new.csv --output forecast.csv
  seqlab report runs/20240501-120000-aapl       # rebuild a run's report.html
  seqlab tune tune.toml --trials 20             # Optuna search over the spec's search spaces
  seqlab export runs/20240501-120000-aapl --format onnx   # the model for ONNX Runtime""",
    "run": """example:
  seqlab run experiment.toml --seed 7 --runs-dir runs
  seqlab run                                    # no spec: the bundled demo spec
  seqlab run --resume runs/20240501-120000-aapl # finish an interrupted run in its folder

A spec names the data, windows, split, scaling, model layers, training and evaluation;
see docs/cli.md or the demo spec (seqlab demo --show-spec).""",
    "demo": """example:
  seqlab demo                  # about 25 s on 2 CPU cores; writes runs/<time>-aapl-lstm/
  seqlab demo --show-spec      # print the spec the demo runs, to copy and edit
  seqlab demo --task classify  # an LSTM on GunPoint (UCR) vs 1-NN and logistic regression
  seqlab demo --task generate  # a character LSTM on Python's own help text vs n-gram baselines""",
    "generate": """example:
  seqlab generate runs/20261207-010000-char-lstm --prime "ROMEO:" --length 500 --temperature 0.8 --seed 1
  seqlab generate RUN_DIR --top-k 5 --seed 2        # draw among the 5 likeliest characters
  seqlab generate RUN_DIR --temperature 0           # always the likeliest (greedy)

The same --seed gives the same text. See docs/generation.md.""",
    "predict": """example:
  seqlab predict runs/20240501-120000-aapl-lstm --data new_prices.csv --output forecast.csv
  seqlab predict runs/20240501-120000-aapl-lstm/model.seqlab --data new_prices.csv

The CSV needs the run's time column and input columns; the run's own scalers are used.""",
    "export": """example:
  seqlab export runs/20240501-120000-aapl-lstm                  # writes runs/.../model.onnx
  seqlab export runs/20240501-120000-aapl-lstm --format torch   # a torch.export .pt2 file
  seqlab export model.seqlab --output served/model.onnx

The graph takes windows scaled by the run's scalers.json and returns scaled forecasts.""",
    "report": """example:
  seqlab report runs/20240501-120000-aapl-lstm     # rewrites runs/.../report.html""",
    "inspect": """example:
  seqlab inspect runs/20240501-120000-aapl-lstm    # writes runs/.../inspect.html (the test part)
  seqlab inspect model.seqlab --data x.npy --output explorer.html
  seqlab inspect classifier.seqlab --data ids.npy --vocabulary vocabulary.json
  seqlab inspect --lesson vanishing --output vanishing.html   # trains 12 models: ~10 min

--data: a .npy array ((samples, timesteps, features) numbers or (samples, timesteps) token
ids) or a .csv (its numeric columns, one row per timestep, as one sequence).""",
    "tune": """example:
  seqlab tune tune.toml --trials 20 --timeout 600
  seqlab tune --resume runs/20240501-120000-aapl-tune --trials 20   # continue a killed tuning
  seqlab tune --show-spec                           # a commented spec with search spaces

A search space replaces a value in the spec: units = {int = [16, 128], log = true},
learning_rate = {float = [1e-4, 1e-2], log = true}, type = {choice = ["LSTM", "GRU"]}.
Trials are compared on the validation part; the best trial's model is scored on the test
part once, at the end. Needs Optuna: pip install 'seqlab[tune]'. See docs/cli.md.""",
}


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {value}")
    return value


def _non_negative_float(text: str) -> float:
    value = float(text)
    if not value >= 0:
        raise argparse.ArgumentTypeError(f"must be a number >= 0, got {text}")
    return value


def _probability(text: str) -> float:
    value = float(text)
    if not 0 < value <= 1:
        raise argparse.ArgumentTypeError(f"must be in (0, 1], got {text}")
    return value


def _common() -> argparse.ArgumentParser:
    # Global options are accepted before or after the command (`seqlab --quiet demo`, `seqlab demo --quiet`).
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--seed", type=int, default=argparse.SUPPRESS,
                        help="random seed (overrides training.seed of the spec)")
    common.add_argument("--device", default=argparse.SUPPRESS,
                        help="'cpu', 'cuda', 'cuda:N' or 'auto' (default: auto)")
    common.add_argument("--threads", type=_positive_int, default=argparse.SUPPRESS,
                        help="CPU threads torch may use (default: torch's choice; 1 is often fastest "
                             "for small models on a busy machine)")
    common.add_argument("--precision", choices=("fp32", "bf16"), default=argparse.SUPPRESS,
                        help="'bf16': compute in bfloat16, weights float32 (overrides "
                             "training.precision of the spec; fast on CPUs with AMX/AVX-512-BF16)")
    common.add_argument("--quiet", action="store_true", default=argparse.SUPPRESS,
                        help="print only the results, no progress")
    common.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                        help="show the full traceback of an error")
    return common


def build_parser() -> argparse.ArgumentParser:
    common = _common()
    formatter = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(prog="seqlab", description=DESCRIPTION, epilog=EXAMPLES["main"],
                                     formatter_class=formatter, parents=[common])
    parser.add_argument("--version", action="version", version=f"seqlab {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    run = commands.add_parser("run", parents=[common], formatter_class=formatter, epilog=EXAMPLES["run"],
                              help="run an experiment from a spec file", description="Run an experiment: "
                              "load → prepare → build → train → evaluate → report.")
    run.add_argument("spec", nargs="?", help="the spec file (TOML); default: the bundled demo spec")
    run.add_argument("--runs-dir", default="runs", help="where run folders are created (default: runs)")
    run.add_argument("--resume", metavar="RUN_DIR", help="finish an interrupted run in its own folder, from "
                     "its last checkpointed epoch (its spec and seed; no SPEC)")

    demo = commands.add_parser("demo", parents=[common], formatter_class=formatter, epilog=EXAMPLES["demo"],
                               help="the bundled demo: an LSTM on AAPL closes vs the baselines",
                               description="Run the bundled demo spec on bundled real data.")
    demo.add_argument("--runs-dir", default="runs", help="where run folders are created (default: runs)")
    demo.add_argument("--show-spec", action="store_true", help="print the demo's spec and exit")
    demo.add_argument("--task", choices=["forecast", "classify", "generate"], default="forecast",
                      help="which task's demo: forecast (default), classify (an LSTM on GunPoint) or generate "
                           "(a character LSTM on Python's help text)")

    generate = commands.add_parser("generate", parents=[common], formatter_class=formatter,
                                   epilog=EXAMPLES["generate"], help="sample text from a finished generate run",
                                   description="Sample text from the model of a task = 'generate' run, one token "
                                               "at a time, carrying the recurrent state.")
    generate.add_argument("run", metavar="RUN_DIR", help="the run folder (or its model file)")
    generate.add_argument("--prime", default="\n", help="the text the sample starts from (default: a newline)")
    generate.add_argument("--length", type=_positive_int, default=500, help="tokens to draw (default: 500)")
    generate.add_argument("--temperature", type=_non_negative_float, default=1.0,
                          help="divides the log-probabilities; 0 takes the likeliest token (default: 1.0)")
    generate.add_argument("--top-k", type=_positive_int, help="draw among the k likeliest tokens only")
    generate.add_argument("--top-p", type=_probability, help="draw among the likeliest tokens holding probability p")

    predict = commands.add_parser("predict", parents=[common], formatter_class=formatter,
                                  epilog=EXAMPLES["predict"], help="forecast new data with a finished run",
                                  description="Forecasts for new data, in the data's units, as CSV.")
    predict.add_argument("run", metavar="RUN_DIR_OR_MODEL", help="a run folder or the model file inside it")
    predict.add_argument("--data", required=True, metavar="NEW.csv", help="the new data (CSV)")
    predict.add_argument("--output", metavar="OUT.csv", help="write here instead of standard output")

    export = commands.add_parser("export", parents=[common], formatter_class=formatter,
                                 epilog=EXAMPLES["export"], help="write a run's model as ONNX or torch.export",
                                 description="Export a model for serving without seqlab (ONNX Runtime, "
                                 "torch.export.load).")
    export.add_argument("run", metavar="RUN_DIR_OR_MODEL", help="a run folder or a model file")
    export.add_argument("--format", choices=["onnx", "torch"], default="onnx",
                        help="onnx (default; needs seqlab[export]) or torch (a torch.export .pt2 file)")
    export.add_argument("--output", metavar="FILE", help="where to write (default: beside the model file)")

    report = commands.add_parser("report", parents=[common], formatter_class=formatter,
                                 epilog=EXAMPLES["report"], help="rebuild a run's report.html",
                                 description="Rebuild report.html from the files of a run folder.")
    report.add_argument("run", metavar="RUN_DIR", help="the run folder")

    inspect = commands.add_parser("inspect", parents=[common], formatter_class=formatter,
                                  epilog=EXAMPLES["inspect"], help="an HTML explorer of the recurrent layers",
                                  description="Write one self-contained HTML page to look inside a model: "
                                              "gates, states, unit search, saturation, gradients, attributions.")
    inspect.add_argument("run", nargs="?", metavar="RUN_DIR_OR_MODEL",
                         help="a run folder (its test part is shown) or a model file (needs --data)")
    inspect.add_argument("--data", metavar="FILE", help="what a model file reads: .npy or .csv")
    inspect.add_argument("--vocabulary", metavar="FILE", help="the strings of token ids: a JSON list, id i -> list[i]")
    inspect.add_argument("--output", metavar="OUT.html",
                         help="where to write (default: inspect.html in the run folder or beside the model)")
    inspect.add_argument("--attribution", default="integrated_gradients",
                         choices=["integrated_gradients", "saliency", "occlusion", "none"],
                         help="attribution method (default: integrated_gradients; needs Captum)")
    inspect.add_argument("--lesson", choices=["vanishing"],
                         help="run a lesson instead: 'vanishing' trains SimpleRNN/LSTM/GRU and writes its page")
    tune = commands.add_parser("tune", parents=[common], formatter_class=formatter, epilog=EXAMPLES["tune"],
                               help="search a spec's search spaces with Optuna",
                               description="Tune: Optuna trials on the validation part, the best trial's "
                                           "model scored once on the test part, a report with the trials.")
    tune.add_argument("spec", nargs="?", help="the spec file (TOML) with search spaces; optional with --resume")
    tune.add_argument("--trials", type=_positive_int, default=20,
                      help="finished trials the study should hold (default: 20); a resumed one runs the rest")
    tune.add_argument("--timeout", type=float, metavar="S", help="start no new trial after S seconds")
    tune.add_argument("--runs-dir", default="runs", help="where run folders are created (default: runs)")
    tune.add_argument("--resume", metavar="RUN_DIR", help="continue the tuning of this run folder (study.db)")
    tune.add_argument("--show-spec", action="store_true", help="print a commented tuning spec and exit")
    return parser


def main(argv=None) -> int:
    """Entry point of the ``seqlab`` console script; returns the exit code."""
    # First of all: from here on a SIGTERM or Ctrl-C is recorded and honoured at the next safe
    # point (even one that lands while the commands below are still being imported).
    previous = stopping.install()
    try:
        return _main(argv)
    finally:
        stopping.restore(previous)


def _main(argv) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as stop:  # --help, --version (0) or bad usage (2)
        return int(stop.code or 0)
    debug = getattr(args, "debug", False)
    try:
        # Lazy on purpose: the commands import the experiment runner, and with it torch, pandas and
        # scikit-learn (measured with `python -X importtime`: 2.5-7 s on the 2-core machine, against
        # 0.03 s for this module and 0.1 s for `seqlab --help`), which `--help`, `--version` and a
        # usage error (exit 2) must not wait for.
        from seqlab.cli import commands

        handler = {"run": commands.run, "demo": commands.demo, "generate": commands.generate, "predict": commands.predict,
                   "report": commands.report, "inspect": commands.inspect, "tune": commands.tune,
                   "export": commands.export}[args.command]
        stopping.check()
        code = handler(args)
        stopping.check()  # a stop that came after the last safe point still ends in 143/130
        return code
    except SeqlabError as error:
        if debug:
            traceback.print_exc()
        print(f"seqlab: error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt as stop:  # a stop signal at a safe point, or a second Ctrl-C
        number = stopping.requested() or getattr(stop, "signal_number", signal.SIGINT)
        print(f"seqlab: interrupted ({stopping.signal_name(number)})", file=sys.stderr)
        return 128 + number


if __name__ == "__main__":  # python -m seqlab.cli.main
    sys.exit(main())
