"""Checks across keys of a ``task = "generate"`` spec, before any text is read."""
from __future__ import annotations

import os

from seqlab.datasets.corpora import text_source_names
from seqlab.experiment.checks import Fail, _check_layers, _check_name, _check_training
from seqlab.experiment.spec import Spec


def check_generate_spec(spec: Spec, fail: Fail, skip=frozenset()) -> None:
    """Run every check whose sections are not in ``skip`` (sections with mistyped keys)."""
    checks = [({"name"}, _check_name), ({"text"}, _check_text), ({"model"}, _check_layers),
              ({"model"}, _check_recurrent_sequences), ({"training"}, _check_training),
              ({"sampling"}, _check_sampling)]
    for sections, check in checks:
        if not sections & set(skip) and "" not in skip:
            check(spec, fail)


def _check_text(spec: Spec, fail: Fail) -> None:
    text = spec.text
    if (text.source is None) == (text.path is None):
        fail("text", "give exactly one of `source` (a named corpus: "
                     f"{', '.join(text_source_names())}) or `path` (a UTF-8 text file)")
    if text.source is not None and text.source not in text_source_names():
        fail("text.source", f"no text source {text.source!r}; available: {', '.join(text_source_names())}")
    if text.path is not None:
        resolved = spec.resolve_path(text.path)
        if not os.path.isfile(resolved):
            fail("text.path", f"file {text.path!r} does not exist (looked for {resolved})")
    if text.validation + text.test >= 0.9:
        fail("text", f"validation + test must leave the train part at least 10% of the text, got "
                     f"{text.validation} + {text.test}")
    orders = text.ngram_orders
    if any(order < 2 for order in orders) or len(set(orders)) != len(orders):
        fail("text.ngram_orders", f"must be distinct integers >= 2 (the unigram baseline is always on), got {orders}")


def _check_recurrent_sequences(spec: Spec, fail: Fail) -> None:
    # Every layer sees every step: a next-token model predicts at each position of its window.
    for i, entry in enumerate(spec.model.layers):
        if entry.get("type") in ("LSTM", "GRU", "SimpleRNN") and not entry.get("return_sequences", False):
            fail(f"model.layers[{i}]", f"{entry['type']} needs return_sequences = true: a generator "
                                       "predicts the next token at every step of its window")
        if entry.get("go_backwards") or entry.get("type") == "Bidirectional":
            fail(f"model.layers[{i}]", "a generator reads left to right: no go_backwards or Bidirectional layer")
        if entry.get("type") in ("Embedding", "Input", "InputLayer"):
            fail(f"model.layers[{i}].type", "the runner puts Embedding(vocabulary, text.embedding_dim) first "
                                            "and Dense(vocabulary, softmax) last; list only the layers between")


def _check_sampling(spec: Spec, fail: Fail) -> None:
    for i, temperature in enumerate(spec.sampling.temperatures):
        if temperature < 0:
            fail(f"sampling.temperatures[{i}]", f"must be >= 0 (0: always the likeliest token), got {temperature}")
