"""What each ``seqlab`` command does, given parsed arguments (all the work is in the library)."""
from __future__ import annotations

import os
import sys

from seqlab.experiment import load_spec, runner
from seqlab.experiment.artifacts import report_data
from seqlab.experiment.predict import predict_file
from seqlab.experiment.rundir import RunDir
from seqlab.report import render

DEMO_THREADS = 1


def _options(args) -> dict:
    return {"seed": getattr(args, "seed", None), "device": getattr(args, "device", None),
            "threads": getattr(args, "threads", None), "quiet": getattr(args, "quiet", False),
            "precision": getattr(args, "precision", None)}


def _print_result(result, quiet: bool) -> None:
    for target, table in result.tables.items():
        print(f"\nTest metrics for {target}, in the data's units (* = best):")
        print(table)
    print()
    for sentence in result.verdicts:
        print(sentence)
    print(f"\nreport: {result.report}" if os.path.exists(result.report) else f"\nrun folder: {result.run.path}")
    if not quiet:
        print(f"finished in {result.seconds:.1f} s")


def _run_spec(spec_path: str, args) -> int:
    options = _options(args)
    spec = load_spec(spec_path)
    result = runner.run_experiment(spec, runs_dir=args.runs_dir, **options)
    _print_result(result, options["quiet"])
    return 0


def run(args) -> int:
    return _run_spec(args.spec or runner.demo_spec_path(), args)


def demo(args) -> int:
    if args.show_spec:
        with open(runner.demo_spec_path(), encoding="utf-8") as stream:
            sys.stdout.write(stream.read())
        return 0
    if getattr(args, "threads", None) is None:
        # The demo's LSTM is small, so a second thread gains little, and on shared cores the
        # threads wait on each other: 13 s with one against 81 s with two, measured back to back
        # on the busy 2-core development machine.
        args.threads = DEMO_THREADS
        if not getattr(args, "quiet", False):
            print(f"seqlab demo: using {DEMO_THREADS} CPU thread (a small model; --threads N to change)")
    return _run_spec(runner.demo_spec_path(), args)


def predict(args) -> int:
    forecasts = predict_file(args.run, args.data)
    if not getattr(args, "quiet", False):
        for note in forecasts.attrs.get("notes", []):
            print(f"note: {note}", file=sys.stderr)
    if args.output:
        forecasts.to_csv(args.output, index=False)
        if not getattr(args, "quiet", False):
            print(f"wrote {len(forecasts)} forecasts to {args.output}", file=sys.stderr)
    else:
        forecasts.to_csv(sys.stdout, index=False)
    return 0


def report(args) -> int:
    run = RunDir.open(args.run)
    path = run.write_text("report.html", render(report_data(run)), replace=True)
    print(path)
    return 0
