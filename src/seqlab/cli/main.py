"""The ``seqlab`` command: parses arguments and calls the library, nothing more.

Exit codes: 0 success; 1 a seqlab error (one clear line on stderr; the traceback only with
``--debug``); 2 bad usage (argparse's message); 130 interrupted (Ctrl-C), 143 stopped by SIGTERM.
"""
from __future__ import annotations

import argparse
import signal
import sys
import traceback

from seqlab import __version__
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
  seqlab report runs/20240501-120000-aapl       # rebuild a run's report.html""",
    "run": """example:
  seqlab run experiment.toml --seed 7 --runs-dir runs
  seqlab run                                    # no spec: the bundled demo spec

A spec names the data, windows, split, scaling, model layers, training and evaluation;
see docs/cli.md or the demo spec (seqlab demo --show-spec).""",
    "demo": """example:
  seqlab demo                  # about 15 s on 2 CPU cores; writes runs/<time>-aapl-lstm/
  seqlab demo --show-spec      # print the spec the demo runs, to copy and edit""",
    "predict": """example:
  seqlab predict runs/20240501-120000-aapl-lstm --data new_prices.csv --output forecast.csv
  seqlab predict runs/20240501-120000-aapl-lstm/model.seqlab --data new_prices.csv

The CSV needs the run's time column and input columns; the run's own scalers are used.""",
    "report": """example:
  seqlab report runs/20240501-120000-aapl-lstm     # rewrites runs/.../report.html""",
}


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {value}")
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

    demo = commands.add_parser("demo", parents=[common], formatter_class=formatter, epilog=EXAMPLES["demo"],
                               help="the bundled demo: an LSTM on AAPL closes vs the baselines",
                               description="Run the bundled demo spec on bundled real data.")
    demo.add_argument("--runs-dir", default="runs", help="where run folders are created (default: runs)")
    demo.add_argument("--show-spec", action="store_true", help="print the demo's spec and exit")

    predict = commands.add_parser("predict", parents=[common], formatter_class=formatter,
                                  epilog=EXAMPLES["predict"], help="forecast new data with a finished run",
                                  description="Forecasts for new data, in the data's units, as CSV.")
    predict.add_argument("run", metavar="RUN_DIR_OR_MODEL", help="a run folder or the model file inside it")
    predict.add_argument("--data", required=True, metavar="NEW.csv", help="the new data (CSV)")
    predict.add_argument("--output", metavar="OUT.csv", help="write here instead of standard output")

    report = commands.add_parser("report", parents=[common], formatter_class=formatter,
                                 epilog=EXAMPLES["report"], help="rebuild a run's report.html",
                                 description="Rebuild report.html from the files of a run folder.")
    report.add_argument("run", metavar="RUN_DIR", help="the run folder")
    return parser


def main(argv=None) -> int:
    """Entry point of the ``seqlab`` console script; returns the exit code."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as stop:  # --help, --version (0) or bad usage (2)
        return int(stop.code or 0)
    debug = getattr(args, "debug", False)
    # Lazy on purpose: the commands import the experiment runner, and with it torch, pandas and
    # scikit-learn (measured with `python -X importtime`: 2.5-7 s on the 2-core machine, against
    # 0.03 s for this module and 0.1 s for `seqlab --help`), which `--help`, `--version` and a
    # usage error (exit 2) must not wait for.
    from seqlab.cli import commands

    handler = {"run": commands.run, "demo": commands.demo, "predict": commands.predict,
               "report": commands.report}[args.command]
    previous = _stop_on_sigterm()
    try:
        return handler(args)
    except SeqlabError as error:
        if debug:
            traceback.print_exc()
        print(f"seqlab: error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt as stop:
        print("seqlab: interrupted", file=sys.stderr)
        return 128 + getattr(stop, "signal_number", signal.SIGINT)
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


class Terminated(KeyboardInterrupt):
    """SIGTERM (``kill``, ``timeout``, a job scheduler), raised like Ctrl-C so that a run folder
    records that it was stopped instead of staying "running" forever."""

    signal_number = signal.SIGTERM


def _stop_on_sigterm():
    def stop(signum, frame):
        # One stop is enough: a second TERM while the run folder records the first must not
        # interrupt that record and leave the folder saying "running".
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        raise Terminated()

    try:
        return signal.signal(signal.SIGTERM, stop)
    except ValueError:  # not the main thread (main() called from a worker): leave signals alone
        return None


if __name__ == "__main__":  # python -m seqlab.cli.main
    sys.exit(main())
