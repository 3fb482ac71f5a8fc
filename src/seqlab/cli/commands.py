"""What each ``seqlab`` command does, given parsed arguments (all the work is in the library)."""
from __future__ import annotations

import os
import sys

from seqlab.errors import SeqlabError
from seqlab.experiment import inspection, load_spec, runner
from seqlab.experiment.artifacts import read_spec_table, report_data
from seqlab.experiment.export import export_run
from seqlab.experiment.generate.api import generate as generate_text
from seqlab.experiment.generate.api import rebuild_report as rebuild_generate_report
from seqlab.experiment.classify.report_files import rebuild_report
from seqlab.experiment.predict import predict_file
from seqlab.experiment.rundir import RunDir
from seqlab.experiment.tuning import tune as tune_spec
from seqlab.experiment.tuning import tune_demo_spec_path
from seqlab.experiment.validate import spec_from_dict
from seqlab.report import render

DEMO_THREADS = 1


def _options(args) -> dict:
    return {"seed": getattr(args, "seed", None), "device": getattr(args, "device", None),
            "threads": getattr(args, "threads", None), "quiet": getattr(args, "quiet", False),
            "precision": getattr(args, "precision", None)}


def _print_result(result, quiet: bool) -> None:
    print(result)
    if not quiet:
        print(f"finished in {result.seconds:.1f} s")


def _run_spec(spec_path: str, args) -> int:
    options = _options(args)
    spec = load_spec(spec_path)
    result = runner.run_experiment(spec, runs_dir=args.runs_dir, **options)
    _print_result(result, options["quiet"])
    return 0


def run(args) -> int:
    if getattr(args, "resume", None) is not None:
        return _resume(args)
    return _run_spec(args.spec or runner.demo_spec_path(), args)


def _resume(args) -> int:
    if args.spec is not None:
        raise runner.RunError(f"seqlab run --resume takes no spec (got {args.spec!r}): the run "
                              "goes on with its own spec.toml")
    options = _options(args)
    if options.pop("seed") is not None:
        raise runner.RunError("seqlab run --resume takes no --seed: the run goes on with the seed it "
                              "started with (in its spec.toml)")
    if options.pop("precision") is not None:
        raise runner.RunError("seqlab run --resume takes no --precision: the run goes on with the precision it "
                              "started with (training.precision in its spec.toml)")
    result = runner.resume_experiment(args.resume, **options)
    _print_result(result, options["quiet"])
    return 0


def demo(args) -> int:
    task = getattr(args, "task", "forecast")
    if args.show_spec:
        with open(runner.demo_spec_path(task), encoding="utf-8") as stream:
            sys.stdout.write(stream.read())
        return 0
    if getattr(args, "threads", None) is None:
        # The demo's LSTM is small, so a second thread gains little, and on shared cores the
        # threads wait on each other: 13 s with one against 81 s with two, measured back to back
        # on the busy 2-core development machine.
        args.threads = DEMO_THREADS
        if not getattr(args, "quiet", False):
            print(f"seqlab demo: using {DEMO_THREADS} CPU thread (a small model; --threads N to change)")
    return _run_spec(runner.demo_spec_path(task), args)


def generate(args) -> int:
    with runner.torch_threads(getattr(args, "threads", None)):
        text = generate_text(args.run, prime=args.prime, length=args.length, temperature=args.temperature,
                             top_k=args.top_k, top_p=args.top_p, seed=getattr(args, "seed", None))
    sys.stdout.write(args.prime + text + "\n")
    return 0


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
    table, _ = read_spec_table(run) if run.has("spec.toml") else ({}, None)
    task = table.get("task", "forecast")
    if task == "generate":
        page = rebuild_generate_report(run)
    elif task == "classify":
        page = rebuild_report(run, spec_from_dict(table, source=run.file("spec.toml")))
    else:
        page = render(report_data(run))
    path = run.write_text("report.html", page, replace=True)
    print(path)
    return 0


def inspect(args) -> int:
    # --threads holds for the work here as for a run (the runner's own setter, restored after)
    with runner.torch_threads(getattr(args, "threads", None)):
        path = _inspect(args)
    print(path)
    return 0


def _inspect(args) -> str:
    attribution = None if args.attribution == "none" else args.attribution
    if args.lesson:
        if args.run or args.data:
            raise inspection.InspectError("--lesson runs its own models; leave out RUN_DIR_OR_MODEL and --data")
        path = inspection.lesson_page(args.output or f"{args.lesson}.html", seed=getattr(args, "seed", None) or 0)
    elif not args.run:
        raise inspection.InspectError("seqlab inspect needs a run folder, a model file (with --data) or --lesson")
    elif os.path.isdir(args.run) or (args.data is None and os.path.isfile(os.path.join(
            os.path.dirname(os.path.abspath(args.run)), "spec.toml"))):
        path = inspection.inspect_run(args.run, args.output, attribution)
    else:
        path = inspection.inspect_model_file(args.run, args.data, args.output, args.vocabulary, attribution)
    return path


def tune(args) -> int:
    if args.show_spec:
        with open(tune_demo_spec_path(), encoding="utf-8") as stream:
            sys.stdout.write(stream.read())
        return 0
    if args.spec is None and args.resume is None:
        raise SeqlabError("seqlab tune needs a spec file with search spaces, or --resume RUN_DIR "
                          "(seqlab tune --show-spec prints an example spec)")
    options = _options(args)
    if options.pop("precision") is not None:
        raise SeqlabError("seqlab tune takes no --precision: write training.precision in the spec "
                          "(every trial trains with it)")
    result = tune_spec(args.spec, trials=args.trials, timeout=args.timeout, runs_dir=args.runs_dir,
                       resume=args.resume, **options)
    states = ", ".join(f"{count} {state}" for state, count in result.states.items())
    print(f"\n{sum(result.states.values())} trials ({states}); best: trial {result.best_trial}, "
          f"val_loss {result.best_value:.6g}")
    for key, value in result.best_params.items():
        print(f"  {key} = {value!r}")
    _print_result(result, options["quiet"])
    return 0


def export(args) -> int:
    print(export_run(args.run, args.format, args.output))
    return 0
