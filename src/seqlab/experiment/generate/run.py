"""``task = "generate"`` as ``seqlab run`` runs it: the corpus, the model, its bits per token
beside the baselines, samples and readable units, ``metrics.json`` and the report.

The model is ``Embedding(V, text.embedding_dim)`` → the spec's layers → ``Dense(V, softmax)``,
trained on the cross-entropy of the next token at every step of each window. Its test score is
the mean cross-entropy over the test windows' targets, in bits (nats / ln 2), and the baselines
are scored on exactly those positions.
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd

from seqlab.callbacks import EarlyStopping
from seqlab.datasets.corpora import load_text_source
from seqlab.experiment import artifacts
from seqlab.experiment.checks import layer_error
from seqlab.experiment.errors import spec_error
from seqlab.experiment.generate import corpus as corpora
from seqlab.experiment.generate.ngram import KneserNey, unigram_bits
from seqlab.experiment.generate.sampling import sample_ids
from seqlab.experiment.rundir import RunDir
from seqlab.experiment.spec import Spec
from seqlab.experiment.steps import run_step
from seqlab.experiment.tomlout import dump_spec
from seqlab.inspect import correlate_units, text_signals, top_units, trace
from seqlab.layers import Dense, Embedding, Input, registry
from seqlab.models import Sequential
from seqlab.report.generate_section import render_generate
from seqlab.training import optimizers
from seqlab.utils import set_random_seed

VOCABULARY_FILE = "vocabulary.json"
TRACE_TOKENS = 1000  # tokens of test text the readable-unit search reads
# Karpathy et al.'s readable signals (seqlab.inspect.text_signals has more; these read at the
# first character of a word too)
READABLE_SIGNALS = ("line_position", "speaker_name", "in_quotes", "upper")


def read_text(spec: Spec) -> str:
    text = load_text_source(spec.text.source) if spec.text.source else _read_file(spec.resolve_path(spec.text.path))
    return text[:spec.text.max_chars] if spec.text.max_chars else text


def _read_file(path: str) -> str:
    with open(path, encoding="utf-8") as stream:
        return stream.read()


def unit_name(level: str) -> str:
    return "character" if level == "char" else "word"


def build_generator(spec: Spec, vocabulary_size: int):
    """A fresh next-token model (weights from the current random state)."""
    layers = [Input(shape=(None,)), Embedding(vocabulary_size, spec.text.embedding_dim)]
    for i, entry in enumerate(spec.model.layers):
        arguments = dict(entry)
        kind = arguments.pop("type")
        try:
            layers.append(registry.get_class(kind)(**arguments))
        except (TypeError, ValueError) as error:
            raise spec_error(spec, f"model.layers[{i}]", layer_error(kind, error)) from None
    layers.append(Dense(vocabulary_size, activation="softmax", name="next_token"))
    try:
        return Sequential(layers, name=spec.name.replace(".", "_"))
    except (TypeError, ValueError) as error:
        raise spec_error(spec, "model.layers", str(error)) from None


def model_bits(model, x: np.ndarray, y: np.ndarray, batch_size: int) -> float:
    """Mean ``-log2 p(next token)`` over every target of the windows ``x``/``y``."""
    probabilities = np.asarray(model.predict(x, batch_size=batch_size, verbose=0), dtype=np.float64)  # (N, L, V)
    picked = np.take_along_axis(probabilities, y[..., None], axis=-1)[..., 0]
    return float(-np.log2(np.clip(picked, 1e-12, None)).mean())


def baseline_bits(corpus: corpora.Corpus, orders: list[int], first: int, end: int) -> dict:
    """The baselines fitted on the train part, scored on ``ids[first:end]`` (context from the test start)."""
    train, size = corpus.part("train"), len(corpus.vocabulary)
    test_start = corpus.bounds["test"][0]
    scores = {"unigram": unigram_bits(train, corpus.ids[first:end], size)}
    for order in sorted(orders):
        scores[f"{order}-gram KN"] = KneserNey(order, size).fit(train).bits(corpus.ids, first, end, test_start)
    return scores


def run_generate(run: RunDir, spec: Spec, device, quiet: bool, log) -> tuple[dict, dict]:
    """Every step of a generate run into ``run``; returns the metrics record and the printed table."""
    level, length = spec.text.level, spec.text.sequence_length
    with run_step(f"reading and tokenising the text ({spec.text.source or spec.text.path})", log):
        text = read_text(spec)
        corpus = corpora.build_corpus(text, level, spec.text.validation, spec.text.test)
        run.write_json(VOCABULARY_FILE, corpus.vocabulary)
        x_train, y_train = corpora.windows(corpus, "train", length)
        x_test, y_test = corpora.windows(corpus, "test", length)
        first, end = corpora.scored_positions(corpus, "test", length)
        validation = corpora.windows(corpus, "validation", length) if spec.text.validation > 0 else None
        if validation is not None and len(validation[0]) == 0:
            raise ValueError(f"the validation part has fewer than text.sequence_length + 1 = {length + 1} tokens")
    with run_step("building the model", log):
        set_random_seed(spec.training.seed)
        model = build_generator(spec, len(corpus.vocabulary))
        model.compile(optimizer=_optimizer(spec), loss="sparse_categorical_crossentropy", device=device)
        summary = model.summary(print_fn=None)
        run.write_text("summary.txt", summary + "\n")
    with run_step(f"training ({len(x_train)} windows of {length} tokens, up to {spec.training.epochs} epochs)", log):
        history = _fit(model, spec, x_train, y_train, validation, quiet)
        artifacts.write_frame(run, "history.csv", history)
        run.save_via(artifacts.MODEL_FILE, model.save)
    with run_step("scoring the test part against the unigram and n-gram baselines", log):
        scores = {"model": model_bits(model, x_test, y_test, spec.training.batch_size),
                  **baseline_bits(corpus, spec.text.ngram_orders, first, end)}
    with run_step("sampling and looking for readable units", log):
        samples = _samples(model, spec, corpus)
        units = _readable_units(model, corpus)
    record = _record(spec, corpus, scores, samples, units, history, model, (first, end), len(text))
    run.write_json("metrics.json", record)
    if spec.report.enabled:
        with run_step("writing the report", log):
            run.write_text("report.html", render_generate(record, history, dump_spec(spec), summary, spec.name))
    return record, {"the test part": BitsTable(record)}


def _optimizer(spec: Spec):
    optimizer = optimizers.get(spec.training.optimizer)
    if spec.training.learning_rate is not None:
        optimizer = type(optimizer)(learning_rate=spec.training.learning_rate)
    return optimizer


def _fit(model, spec: Spec, x_train, y_train, validation, quiet: bool) -> pd.DataFrame:
    training, callbacks = spec.training, []
    stopping = training.early_stopping
    if stopping is not None and (validation is not None or stopping.monitor == "loss"):
        callbacks.append(EarlyStopping(monitor=stopping.monitor, patience=stopping.patience, min_delta=stopping.min_delta,
                                       restore_best_weights=stopping.restore_best_weights))
    history = model.fit(x_train, y_train, epochs=training.epochs, batch_size=training.batch_size,
                        shuffle=training.shuffle, validation_data=validation, callbacks=callbacks,
                        verbose=0 if quiet else 1)
    return pd.DataFrame(history.history)


def _prime_ids(spec: Spec, corpus: corpora.Corpus) -> tuple[list[int], str]:
    """The prime of the report's samples: the spec's, or the first token of the test part."""
    if spec.sampling.prime:
        return corpora.encode(corpora.tokenize(spec.sampling.prime, corpus.level), corpus.vocabulary).tolist(), \
            spec.sampling.prime
    token = int(corpus.part("test")[0])
    return [token], corpus.vocabulary[token]


def _samples(model, spec: Spec, corpus: corpora.Corpus) -> list[dict]:
    prime_ids, prime = _prime_ids(spec, corpus)
    samples = []
    for temperature in spec.sampling.temperatures:
        ids = sample_ids(model, prime_ids, spec.sampling.length, temperature, spec.sampling.top_k,
                         spec.sampling.top_p, seed=spec.training.seed)
        text = corpora.detokenize([corpus.vocabulary[i] for i in ids], corpus.level)
        samples.append({"temperature": temperature, "prime": prime, "text": text})
    return samples


def _readable_units(model, corpus: corpora.Corpus, k: int = 3) -> dict:
    """``{layer: {signal: [[unit, r], ...]}}``: the units that follow each readable signal
    most closely over the first ``TRACE_TOKENS`` tokens of the test part."""
    ids = corpus.part("test")[:TRACE_TOKENS]
    tokens = [corpus.vocabulary[i] for i in ids]
    signals = {name: values[None, :] for name, values in _token_signals(tokens, corpus.level).items()}
    found = {}
    for layer, layer_trace in trace(model, ids[None, :]).items():
        if not hasattr(layer_trace, "hidden"):
            continue
        best = top_units(correlate_units(layer_trace, signals), k=k)
        found[layer] = {name: [[int(unit), None if math.isnan(r) else round(float(r), 3)] for unit, r in column.items()]
                        for name, column in best.items()}
    return found


def _token_signals(tokens: list[str], level: str) -> dict:
    """``seqlab.inspect.text_signals`` of the stretch's text, one value per token: the value at
    the token's first character (a character model's tokens are its characters)."""
    text = corpora.detokenize(tokens, level)
    starts, cursor = [], 0
    for token in tokens:
        cursor = text.find(token, cursor)
        starts.append(cursor)
        cursor += len(token)
    return {name: values[np.asarray(starts)] for name, values in text_signals(text).items()
            if name in READABLE_SIGNALS}


def _record(spec, corpus, scores, samples, units, history, model, positions, characters) -> dict:
    unit = unit_name(corpus.level)
    best_baseline = min((name for name in scores if name != "model"), key=scores.get)
    beats = scores["model"] < scores[best_baseline]
    verdict = (f"The model scores {scores['model']:.3f} bits per {unit} on the test part: "
               f"{'better than' if beats else 'NOT better than'} the best baseline, {best_baseline} "
               f"({scores[best_baseline]:.3f}).")
    best_epoch = int(np.argmin(history["val_loss"].to_numpy())) + 1 if "val_loss" in history else len(history)
    return {
        "task": "generate",
        "unit": unit,
        "test": {"bits": scores, "perplexity": {name: 2.0 ** bits for name, bits in scores.items()}},
        "verdict": [verdict],
        "beats_all_baselines": bool(beats),
        "data": {"description": f"{spec.text.source or spec.text.path}: {characters} characters, "
                                f"{len(corpus.ids)} {unit} tokens, vocabulary {len(corpus.vocabulary)} (train part, OOV included)",
                 "tokens": int(len(corpus.ids)), "vocabulary": len(corpus.vocabulary),
                 "bounds": {name: list(bound) for name, bound in corpus.bounds.items()},
                 "scored_positions": list(positions), "unknown_in_test": corpus.unknown_in_test},
        "training": {"epochs_trained": len(history), "best_epoch": best_epoch, "parameters": model.count_params()},
        "samples": samples,
        "units": units,
        "settings": {"level": corpus.level, "sequence_length": spec.text.sequence_length,
                     "ngram_discount": 0.75, "trace_tokens": TRACE_TOKENS},
    }


class BitsTable:
    """The test scores as ``seqlab run`` prints them (bits per token, and perplexity)."""

    def __init__(self, record: dict):
        self.record = record

    @property
    def heading(self) -> str:
        return f"Test cross-entropy in bits per {self.record['unit']}, and perplexity (* = best):"

    def rows(self) -> list[tuple[str, float, float]]:
        test = self.record["test"]
        return [(name, bits, test["perplexity"][name]) for name, bits in test["bits"].items()]

    def __str__(self) -> str:
        best = min(bits for _, bits, _ in self.rows())
        lines = [f"{'':<14}{'bits/' + self.record['unit'][:4]:>12}{'perplexity':>12}"]
        lines += [f"{name:<14}{bits:>12.4f}{perplexity:>12.3f}{' *' if bits == best else ''}"
                  for name, bits, perplexity in self.rows()]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        cells = "".join(f"<tr><td>{name}</td><td>{bits:.4f}</td><td>{perplexity:.3f}</td></tr>"
                        for name, bits, perplexity in self.rows())
        return f"<table><tr><th></th><th>bits per {self.record['unit']}</th><th>perplexity</th></tr>{cells}</table>"
