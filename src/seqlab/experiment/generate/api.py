"""A finished generate run as a Python API: sample from it, rebuild its report, read its test text.

>>> text = generate("runs/20261207-003348-gen-test", prime="ROMEO:", length=200, seed=1)  # doctest: +SKIP
"""
from __future__ import annotations


import numpy as np
import pandas as pd

from seqlab.experiment import artifacts
from seqlab.experiment.generate import corpus as corpora
from seqlab.experiment.generate.run import VOCABULARY_FILE, read_text
from seqlab.experiment.generate.sampling import sample_ids
from seqlab.experiment.predict import open_run
from seqlab.experiment.rundir import RunDir, RunDirError
from seqlab.experiment.validate import spec_from_dict
from seqlab.models import load_model
from seqlab.report.generate_section import render_generate


def open_generate_run(path) -> tuple[RunDir, object]:
    """A succeeded run folder of ``task = "generate"`` and its spec (``RunDirError`` otherwise)."""
    run = open_run(path)
    if run.status().get("state") != "succeeded":
        raise RunDirError(f"run {run.path} did not succeed (status {run.status().get('state')!r}); "
                          "it has no model to sample from")
    table, _ = artifacts.read_spec_table(run)
    if table.get("task", "forecast") != "generate":
        raise RunDirError(f"run {run.path} is a {table.get('task', 'forecast')!r} run; seqlab generate samples "
                          "from runs of task = 'generate'")
    return run, spec_from_dict(table, source=run.file("spec.toml"))


def generate(run_dir, prime: str = "\n", length: int = 500, temperature: float = 1.0, top_k: int | None = None,
             top_p: float | None = None, seed: int | None = None) -> str:
    """``length`` tokens sampled after ``prime`` from a generate run's model, as text (the prime
    not included). A prime token the train part never had reads as the OOV token."""
    run, spec = open_generate_run(run_dir)
    vocabulary = run.read_json(VOCABULARY_FILE)
    model = load_model(run.require(artifacts.MODEL_FILE), compile=False)
    if not isinstance(prime, str) or not prime:
        raise ValueError(f"prime must be a non-empty string, got {prime!r}")
    prime_ids = corpora.encode(corpora.tokenize(prime, spec.text.level), vocabulary)
    ids = sample_ids(model, prime_ids, length, temperature, top_k, top_p, seed=seed)
    return corpora.detokenize([vocabulary[i] for i in ids], spec.text.level)


def rebuild_report(run: RunDir) -> str:
    """The report of a finished generate run, from its files (as the run wrote it)."""
    with open(run.require("spec.toml"), encoding="utf-8") as stream:
        spec_text = stream.read()
    with open(run.require("summary.txt"), encoding="utf-8") as stream:
        summary = stream.read().rstrip("\n")  # the run wrote its summary with a final newline
    history = pd.read_csv(run.require("history.csv"))
    table, _ = artifacts.read_spec_table(run)
    return render_generate(run.read_json("metrics.json"), history, spec_text, summary, table.get("name", ""))


def test_stretch(run: RunDir, spec, tokens: int = 300) -> tuple[np.ndarray, list[str]]:
    """The first ``tokens`` token ids of the run's test part and their strings, read again from
    the run's text with the run's own vocabulary."""
    vocabulary = run.read_json(VOCABULARY_FILE)
    start = run.read_json("metrics.json")["data"]["bounds"]["test"][0]
    try:
        text = read_text(spec)
    except (OSError, ValueError) as error:
        raise RunDirError(f"the text of run {run.path} cannot be read again ({error}); "
                          f"it was {spec.text.source or spec.text.path}") from None
    all_tokens = corpora.tokenize(text, spec.text.level)
    stretch = all_tokens[start:start + tokens]
    return corpora.encode(stretch, vocabulary), [vocabulary[i] if i else token for i, token in
                                                 zip(corpora.encode(stretch, vocabulary), stretch)]


__all__ = ["generate", "open_generate_run", "rebuild_report", "test_stretch"]
