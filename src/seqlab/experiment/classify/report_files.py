"""A classify run's report, from its files: the traces of its right and wrong samples are kept
in ``classify_trace.npz``, so ``seqlab report RUN_DIR`` redraws the very report the run wrote."""
from __future__ import annotations

import io

import numpy as np
import pandas as pd

from seqlab.experiment.classify.sources import read_samples
from seqlab.experiment.rundir import RunDir
from seqlab.report.classify_section import ClassifyReport, render_classify

TRACE_FILE = "classify_trace.npz"


def write_traces(run: RunDir, traces: dict) -> None:
    """``{"right"|"wrong": {"sample", "layers": {layer: {panel: (T, units)}}}}`` as one .npz."""
    arrays = {}
    for kind, traced in traces.items():
        arrays[f"{kind}::__sample__"] = np.asarray([traced["sample"]])
        for layer, panels in traced["layers"].items():
            for panel, values in panels.items():
                arrays[f"{kind}::{layer}::{panel}"] = np.asarray(values, dtype=np.float32)
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)
    run.write_bytes(TRACE_FILE, buffer.getvalue())


def read_traces(run: RunDir) -> dict:
    if not run.has(TRACE_FILE):
        return {}
    traces: dict = {}
    with np.load(run.file(TRACE_FILE), allow_pickle=False) as archive:
        for key in archive.files:
            kind, rest = key.split("::", 1)
            entry = traces.setdefault(kind, {"sample": None, "layers": {}})
            if rest == "__sample__":
                entry["sample"] = int(archive[key][0])
            else:
                layer, panel = rest.split("::", 1)
                entry["layers"].setdefault(layer, {})[panel] = archive[key]
    return traces


def classify_report(run: RunDir, spec) -> ClassifyReport:
    """Everything the classify report shows, read back from the run folder (the raw test
    sequences re-read from the run's data; sentences from its predictions.csv)."""
    record = run.read_json("metrics.json")
    predictions = pd.read_csv(run.require("predictions.csv"), keep_default_na=False)
    classes = [str(c) for c in record["classes"]]
    probabilities = predictions[[f"p_{c}" for c in classes]].to_numpy(np.float64)
    y_test = np.array([classes.index(str(t)) for t in predictions["true"]])
    if "sentence" in predictions.columns:
        samples = predictions["sentence"].astype(str).tolist()
    else:
        samples = read_samples(spec).x[predictions["sample"].to_numpy()]
    history = pd.read_csv(run.file("history.csv")) if run.has("history.csv") else None
    with open(run.require("spec.toml"), encoding="utf-8") as stream:
        spec_text = stream.read()
    summary = ""
    if run.has("summary.txt"):
        with open(run.file("summary.txt"), encoding="utf-8") as stream:
            summary = stream.read()
    return ClassifyReport(title=spec.name, description=spec.description, record=record, history=history,
                          probabilities=probabilities, y_test=y_test, classes=classes, test_samples=samples,
                          traces=read_traces(run), model_summary=summary, spec_text=spec_text,
                          wrong_shown=spec.classify.wrong_shown)


def rebuild_report(run: RunDir, spec) -> str:
    """The classify report's HTML from the run folder alone."""
    return render_classify(classify_report(run, spec))

