"""examples/sentiment_transformer.py on a tiny synthetic corpus made here (not the shared data).

The accuracies come from the full run recorded in docs/examples.md, not from here.
"""
import importlib.util
from pathlib import Path

import numpy as np
import pytest
import torch

import seqlab


def load_sentiment_example():
    path = Path(__file__).resolve().parents[2] / "examples" / "sentiment_transformer.py"
    spec = importlib.util.spec_from_file_location("sentiment_transformer_example", path)
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    return example


ex = load_sentiment_example()
MAXLEN, VOCAB = 8, 50


def tiny_corpus(n=120, seed=0):
    """Sentences of filler words with one sentiment word: 'good'/'great' positive, 'bad'/'awful' negative."""
    rng = np.random.default_rng(seed)
    filler = ["the", "film", "was", "food", "service", "it", "really", "quite", "and", "a"]
    text, labels = [], []
    for i in range(n):
        label = i % 2
        words = list(rng.choice(filler, size=rng.integers(2, 6)))
        words.insert(int(rng.integers(0, len(words) + 1)), rng.choice(["good", "great"] if label else ["bad", "awful"]))
        text.append(" ".join(words))
        labels.append(label)
    return np.array(text), np.array(labels)


def test_stratified_split_is_seeded_disjoint_and_keeps_the_class_balance():
    labels = np.array([0] * 60 + [1] * 40)
    train, test = ex.stratified_split(labels, 0.2, seed=0)
    assert len(test) == 20 and len(train) == 80 and not set(train) & set(test)
    assert sorted(np.concatenate([train, test]).tolist()) == list(range(100))
    assert (labels[test] == 1).sum() == 8 and (labels[train] == 1).sum() == 32
    again, _ = ex.stratified_split(labels, 0.2, seed=0)
    assert np.array_equal(train, again)


def test_vocabulary_comes_from_the_training_part_only():
    x_train, x_test, vocab = ex.vectorize(np.array(["good film", "bad film"]), np.array(["unseen words here"]),
                                          vocab_size=VOCAB, maxlen=MAXLEN)
    assert x_train.shape == (2, MAXLEN) and x_test.shape == (1, MAXLEN) and vocab == 5
    assert x_test[0].tolist() == [1, 1, 1] + [0] * 5  # every test word is OOV (1), then padding (0)


def test_token_and_position_embedding_adds_the_two_embeddings():
    layer = ex.TokenAndPositionEmbedding(MAXLEN, VOCAB, 4)
    ids = torch.tensor([[3, 0, 7, 7, 1, 2, 0, 0]])
    out = layer(ids)
    assert out.shape == (1, MAXLEN, 4)
    expected = layer.token_emb.embeddings[ids] + layer.pos_emb.embeddings[torch.arange(MAXLEN)]
    torch.testing.assert_close(out, expected)
    config = layer.get_config()
    assert (config["maxlen"], config["vocab_size"], config["embed_dim"]) == (MAXLEN, VOCAB, 4)


@pytest.mark.parametrize("build", ["build_transformer", "build_bilstm"])
def test_each_model_trains_on_a_tiny_corpus(build):
    torch.set_num_threads(1)
    seqlab.utils.set_random_seed(0)
    text, labels = tiny_corpus()
    train, test = ex.stratified_split(labels, 0.25, seed=0)
    x_train, x_test, _ = ex.vectorize(text[train], text[test], vocab_size=VOCAB, maxlen=MAXLEN)
    model = getattr(ex, build)(maxlen=MAXLEN, vocab_size=VOCAB, embed_dim=8)
    assert model.predict(x_test, verbose=0).shape == (len(test), 2)
    accuracy, losses = ex.train_and_score(model, x_train, labels[train], x_test, labels[test], epochs=2, batch_size=8)
    assert len(losses) == 2 and losses[1] < losses[0] and 0.0 <= accuracy <= 1.0


def test_tfidf_baseline_scores_the_synthetic_split():
    text, labels = tiny_corpus()
    train, test = ex.stratified_split(labels, 0.25, seed=0)
    assert ex.tfidf_baseline(text[train], labels[train], text[test], labels[test]) > 0.9


def test_missing_data_exits_with_a_message_saying_how_to_get_it(monkeypatch):
    def missing(source):
        raise FileNotFoundError("'sentiment-labelled-sentences' is not bundled with seqlab")
    monkeypatch.setattr(ex, "load_sentiment", missing)
    with pytest.raises(SystemExit, match="SEQLAB_DATA_DIR"):
        ex.main(["--epochs", "1"])


def test_backend_is_read_before_the_layer_class_is_defined():
    assert ex.chosen_backend([]) == "seqlab" and ex.keras is seqlab  # the suite's argv: seqlab
    assert ex.chosen_backend(["--epochs", "3", "--backend", "keras"]) == "keras"
    assert issubclass(ex.TokenAndPositionEmbedding, seqlab.layers.Layer)
