"""``task = "classify"`` as a run: read → split, scale/vectorise on train → build → train →
the test part against the baselines → traces of one right and one wrong sample → report.

The run folder holds what ``seqlab predict`` needs to label new samples the same way:
``transform.json`` (the train part's scaling or vocabulary, the length, the classes).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from seqlab.experiment import artifacts, modeling
from seqlab.experiment.classify import baselines, scores
from seqlab.experiment.classify.prepare import ClassifyPrepared, prepare_samples
from seqlab.experiment.classify.report_files import write_traces
from seqlab.experiment.classify.sources import Samples, read_samples
from seqlab.experiment.errors import spec_error
from seqlab.experiment.rundir import RunDir
from seqlab.experiment.steps import run_step
from seqlab.inspect import trace
from seqlab.layers import Input
from seqlab.report.classify_section import ClassifyReport, ClassifyTable, render_classify
from seqlab.utils import set_random_seed

LOSS = "sparse_categorical_crossentropy"  # one class id per sample; the model ends in a softmax
TRANSFORM_FILE = "transform.json"


def build_classifier(spec, data: ClassifyPrepared):
    """``Input`` (token ids ``(length,)`` or ``(length, features)``) + the spec's layers, whose
    output must be one probability per class."""
    shape = data.x_train.shape[1:]
    input_layer = Input(shape=shape, dtype="int64") if data.transform["kind"] == "text" else Input(shape=shape)
    model = modeling.sequential_of(spec, input_layer)
    output = tuple(model.output_shape)
    if output[1:] != (len(data.classes),):
        raise spec_error(spec, "model.layers", f"the model outputs shape {output}, but {len(data.classes)} classes "
                         f"({', '.join(data.classes[:6])}{'…' if len(data.classes) > 6 else ''}) need one probability "
                         f"each; end with Dense(units = {len(data.classes)}, activation = \"softmax\")")
    return model


def run_classify(run: RunDir, spec, torch_device, quiet: bool, log) -> tuple[dict, dict]:
    """The classify task in the run folder ``run``; returns the metrics record and printed tables."""
    with run_step(f"loading the labelled samples ({spec.data.source or spec.data.path})", log):
        samples = read_samples(spec)
    with run_step("splitting (stratified), scaling or building the vocabulary on the train part only", log):
        data = prepare_samples(samples, spec)
        run.write_json(TRANSFORM_FILE, data.transform)
    with run_step("building the model", log):
        set_random_seed(spec.training.seed)
        model = build_classifier(spec, data)
        modeling.compile_model(model, spec, torch_device, loss=LOSS)
        run.write_text("summary.txt", model.summary(print_fn=None) + "\n")
    with run_step(f"training ({len(data.x_train)} samples, up to {spec.training.epochs} epochs)", log):
        history = modeling.train(model, spec, data, verbose=0 if quiet else 1, class_weight=data.class_weight)
        artifacts.write_frame(run, "history.csv", history)
        run.save_via(artifacts.MODEL_FILE, model.save)
    with run_step("scoring the test part against the baselines", log):
        probabilities = {"model": np.asarray(model.predict(data.x_test, verbose=0), dtype=np.float64)}
        texts = ([samples.x[i] for i in data.parts["train"]], [samples.x[i] for i in data.parts["test"]]) \
            if samples.is_text else (None, None)
        names = baselines.applicable(spec.classify.baselines, samples.is_text)
        probabilities.update(baselines.baseline_probabilities(names, data, *texts, seed=spec.training.seed))
        table = {name: {**scores.score(data.y_test, p), "n": int(len(data.y_test))} for name, p in probabilities.items()}
        artifacts.write_frame(run, "predictions.csv", predictions_frame(samples, data, probabilities["model"]))
    with run_step("tracing the recurrent layers over one right and one wrong test sample", log):
        traces = right_and_wrong_traces(model, data, probabilities["model"])
        write_traces(run, traces)
    record = _record(spec, samples, data, table, probabilities["model"], history, model)
    run.write_json("metrics.json", record)
    if spec.report.enabled:
        with run_step("writing the report", log):
            report = ClassifyReport(title=spec.name, description=spec.description, record=record, history=history,
                                    probabilities=probabilities["model"], y_test=data.y_test, classes=data.classes,
                                    test_samples=_test_samples(samples, data), traces=traces,
                                    model_summary=run_text(run, "summary.txt"), spec_text=run_text(run, "spec.toml"),
                                    wrong_shown=spec.classify.wrong_shown)
            run.write_text("report.html", render_classify(report))
    return record, {"test": ClassifyTable(table, baselines.LABELS)}


def run_text(run: RunDir, name: str) -> str:
    with open(run.file(name), encoding="utf-8") as stream:
        return stream.read()


def predictions_frame(samples: Samples, data: ClassifyPrepared, probabilities: np.ndarray) -> pd.DataFrame:
    """One row per test sample: its position in the data read, true and predicted class, probabilities."""
    frame = pd.DataFrame({"sample": data.parts["test"], "true": np.asarray(data.classes)[data.y_test],
                          "predicted": np.asarray(data.classes)[probabilities.argmax(axis=1)]})
    for j, name in enumerate(data.classes):
        frame[f"p_{name}"] = probabilities[:, j]
    if samples.is_text:
        frame["sentence"] = [samples.x[i] for i in data.parts["test"]]
    return frame


def _test_samples(samples: Samples, data: ClassifyPrepared):
    # what the report shows of a test sample: the sentence, or the raw (unscaled) sequence
    idx = data.parts["test"]
    return [samples.x[i] for i in idx] if samples.is_text else samples.x[idx]


def right_and_wrong_traces(model, data: ClassifyPrepared, probabilities: np.ndarray) -> dict:
    """``{"right"|"wrong": {"sample": test position, "layers": {layer: {panel: (T, units)}}}}``
    for the most confidently right and the most confidently wrong test sample (none if no
    recurrent layer, or no wrong sample)."""
    predicted = probabilities.argmax(axis=1)
    confidence = probabilities.max(axis=1)
    out = {}
    for kind, chosen in (("right", predicted == data.y_test), ("wrong", predicted != data.y_test)):
        if not chosen.any():
            continue
        i = int(np.flatnonzero(chosen)[np.argmax(confidence[chosen])])
        traced = trace(model, data.x_test[i:i + 1])
        layers = {}
        for name, record in traced.items():
            if not hasattr(record, "gates"):
                continue  # a Bidirectional pair: the report shows plain layers only
            panels = {f"{gate} gate": np.asarray(values)[0] for gate, values in record.gates.items()}
            if getattr(record, "cell", None) is not None:
                panels["cell"] = np.asarray(record.cell)[0]
            panels["hidden"] = np.asarray(record.hidden)[0]
            layers[name] = panels
        if layers:
            out[kind] = {"sample": i, "layers": layers}
    return out


def _record(spec, samples: Samples, data: ClassifyPrepared, table: dict, probabilities, history, model) -> dict:
    best = int(np.argmin(history["val_loss"].to_numpy())) + 1 if "val_loss" in history else len(history)
    details = scores.per_class(data.y_test, probabilities, data.classes)
    return {
        "task": "classify",
        "test": table,
        "verdict": scores.verdict(table, baselines.LABELS),
        "beats_all_baselines": scores.beats_best(table),
        "labels": {name: baselines.LABELS[name] for name in table if name in baselines.LABELS},
        "per_class": details["classes"],
        "confusion": details["confusion"],
        "classes": data.classes,
        "data": {"description": samples.description, "samples": len(samples.labels),
                 "parts": {name: int(len(idx)) for name, idx in data.parts.items()},
                 "own_split": bool(samples.given_test is not None and spec.classify.given_split),
                 "class_counts": {c: int((samples.labels == c).sum()) for c in data.classes}},
        "training": {"epochs_trained": len(history), "best_epoch": best, "parameters": model.count_params(),
                     "class_weight": data.class_weight and {data.classes[k]: w for k, w in data.class_weight.items()}},
        "settings": {"input": "word ids" if samples.is_text else "scaled numbers", "length": data.transform["length"],
                     "padding": data.transform["padding"], "truncating": data.transform["truncating"],
                     "scaling": None if samples.is_text else spec.scaling.method,
                     "vocabulary": len(data.transform["tokens"]) if samples.is_text else None},
    }
