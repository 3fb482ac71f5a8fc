"""A Transformer-block classifier beside a Bidirectional LSTM on the UCI sentiment sentences.

The model is Keras's "Text classification with Transformer" (keras-io,
examples/nlp/text_classification_with_transformer.py) with its imports changed: token +
position embedding, one Transformer block (MultiHeadAttention, Dropout, Add,
LayerNormalization(epsilon=1e-6), a feed-forward Dense pair, Dropout, Add, LayerNormalization),
GlobalAveragePooling1D, Dropout, Dense, Dropout, softmax over 2 classes. Its data (IMDB, 25k
reviews, a download) is swapped for the 3,000 UCI "Sentiment Labelled Sentences" read by
seqlab.datasets.load_sentiment; a seeded stratified 80/20 split, TextVectorization adapted on
the training part only. A Bidirectional LSTM and TF-IDF + logistic regression (scikit-learn)
are scored on the same split. docs/examples.md records the measured run.

The same file runs under real Keras 3 (torch backend) with ``--backend keras``: the split and
the token ids are made by seqlab in both runs (Keras's ``TextVectorization`` needs TensorFlow),
so both backends train on the same arrays; ``--models`` picks which of the three to run.

    SEQLAB_DATA_DIR=../shared/data python examples/sentiment_transformer.py    # --epochs 10 --seed 0
    KERAS_BACKEND=torch PYTHONPATH=src SEQLAB_DATA_DIR=../shared/data \
        /tmp/kvenv/bin/python examples/sentiment_transformer.py --backend keras
"""
import argparse
import importlib
import sys
import time

import numpy as np
import torch

import seqlab as keras
from seqlab.datasets import load_sentiment
from seqlab.layers import TextVectorization

BACKENDS = ("seqlab", "keras")
MODELS = ("transformer", "bilstm", "tfidf")


def chosen_backend(argv=None):
    """``--backend``, read before the layer class below is defined: it derives from that backend's Layer."""
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--backend", choices=BACKENDS, default="seqlab")
    return parser.parse_known_args(argv)[0].backend


if chosen_backend() == "keras":
    # Lazy: real Keras is imported only when asked for, never by the seqlab run.
    keras = importlib.import_module("keras")
layers = keras.layers

VOCAB_SIZE = 10000  # Keras's example keeps the 20k most frequent; the 3,000 sentences hold ~5k words
MAXLEN = 40         # Keras: 200 words of a review; 99% of these sentences have at most 40


class TokenAndPositionEmbedding(layers.Layer):
    """Keras's example layer: an embedding of each token plus an embedding of its position."""

    inputs_take_weight_dtype = False  # the inputs are token ids, not values to cast

    def __init__(self, maxlen, vocab_size, embed_dim, **kwargs):
        super().__init__(**kwargs)
        self.maxlen, self.vocab_size, self.embed_dim = maxlen, vocab_size, embed_dim
        self.token_emb = layers.Embedding(input_dim=vocab_size, output_dim=embed_dim)
        self.pos_emb = layers.Embedding(input_dim=maxlen, output_dim=embed_dim)

    def call(self, x, training=False, mask=None):
        # Keras's example writes ops.arange(start=0, stop=maxlen, step=1): seqlab has no keras.ops
        # namespace, so this one line of the port is torch's (both backends run it on torch tensors).
        positions = torch.arange(x.shape[-1], device=x.device)
        return self.token_emb(x) + self.pos_emb(positions)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape) + (self.embed_dim,)

    def get_config(self):
        return {**super().get_config(), "maxlen": self.maxlen, "vocab_size": self.vocab_size,
                "embed_dim": self.embed_dim}


def transformer_block(x, embed_dim, num_heads, ff_dim, rate=0.1):
    """Keras's TransformerBlock, written with the functional API."""
    attn_output = layers.MultiHeadAttention(num_heads=num_heads, key_dim=embed_dim)(x, x)
    attn_output = layers.Dropout(rate)(attn_output)
    out1 = layers.LayerNormalization(epsilon=1e-6)(layers.Add()([x, attn_output]))
    ffn_output = layers.Dense(ff_dim, activation="relu")(out1)
    ffn_output = layers.Dense(embed_dim)(ffn_output)
    ffn_output = layers.Dropout(rate)(ffn_output)
    return layers.LayerNormalization(epsilon=1e-6)(layers.Add()([out1, ffn_output]))


def build_transformer(maxlen=MAXLEN, vocab_size=VOCAB_SIZE, embed_dim=32, num_heads=2, ff_dim=32):
    inputs = keras.Input(shape=(maxlen,), dtype="int64")
    x = TokenAndPositionEmbedding(maxlen, vocab_size, embed_dim)(inputs)
    x = transformer_block(x, embed_dim, num_heads, ff_dim)
    x = layers.GlobalAveragePooling1D()(x)
    x = layers.Dropout(0.1)(x)
    x = layers.Dense(20, activation="relu")(x)
    x = layers.Dropout(0.1)(x)
    outputs = layers.Dense(2, activation="softmax")(x)
    return keras.Model(inputs=inputs, outputs=outputs)


def build_bilstm(maxlen=MAXLEN, vocab_size=VOCAB_SIZE, embed_dim=32, units=32):
    inputs = keras.Input(shape=(maxlen,), dtype="int64")
    x = layers.Embedding(vocab_size, embed_dim, mask_zero=True)(inputs)
    x = layers.Bidirectional(layers.LSTM(units))(x)
    x = layers.Dropout(0.3)(x)
    outputs = layers.Dense(2, activation="softmax")(x)
    return keras.Model(inputs=inputs, outputs=outputs)


def stratified_split(labels, test_fraction, seed):
    """Train and test indices, each class split in the same proportion (a seeded shuffle)."""
    rng = np.random.default_rng(seed)
    train, test = [], []
    for label in np.unique(labels):
        index = rng.permutation(np.flatnonzero(labels == label))
        cut = int(round(len(index) * test_fraction))
        test.extend(index[:cut])
        train.extend(index[cut:])
    return rng.permutation(train), rng.permutation(test)


def vectorize(train_text, test_text, vocab_size=VOCAB_SIZE, maxlen=MAXLEN):
    """Token ids of both parts, the vocabulary learnt from the training sentences only."""
    vectorizer = TextVectorization(max_tokens=vocab_size, output_sequence_length=maxlen)
    vectorizer.adapt(list(train_text))
    ids = [vectorizer(np.asarray(part, dtype=str)).numpy().astype("int64") for part in (train_text, test_text)]
    return ids[0], ids[1], len(vectorizer.get_vocabulary())


def train_and_score(model, x_train, y_train, x_test, y_test, epochs, batch_size=32):
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x_train, y_train, batch_size=batch_size, epochs=epochs, verbose=0)
    _, accuracy = model.evaluate(x_test, y_test, verbose=0)
    return float(accuracy), history.history["loss"]


def tfidf_baseline(train_text, y_train, test_text, y_test):
    # Lazy: scikit-learn is only needed for the baseline, not to import the example's models.
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    tfidf = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True)
    classifier = LogisticRegression(max_iter=1000).fit(tfidf.fit_transform(train_text), y_train)
    return float(classifier.score(tfidf.transform(test_text), y_test))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--backend", choices=BACKENDS, default="seqlab")
    parser.add_argument("--models", nargs="+", choices=MODELS, default=list(MODELS))
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    try:
        frame = load_sentiment("all")
    except FileNotFoundError as error:
        sys.exit(f"{error}\nThe UCI sentiment sentences are not in the repository: put the folder "
                 "'sentiment-labelled-sentences' (https://archive.ics.uci.edu/dataset/331) in a "
                 "data folder and set SEQLAB_DATA_DIR to it (../shared/data on the project machines).")
    text, labels = frame["sentence"].to_numpy(), frame["label"].to_numpy()
    train, test = stratified_split(labels, 0.2, args.seed)
    x_train, x_test, vocab = vectorize(text[train], text[test])
    print(f"{len(train)} training, {len(test)} test sentences; vocabulary {vocab}")
    for name, build in (("Transformer", build_transformer), ("BiLSTM", build_bilstm)):
        if name.lower() not in args.models:
            continue
        keras.utils.set_random_seed(args.seed)
        start = time.perf_counter()
        accuracy, _ = train_and_score(build(), x_train, labels[train], x_test, labels[test], args.epochs)
        print(f"{name} test accuracy: {accuracy:.4f} ({time.perf_counter() - start:.1f} s, {args.epochs} epochs)")
    if "tfidf" in args.models:
        print(f"TF-IDF + logistic regression test accuracy: "
              f"{tfidf_baseline(text[train], labels[train], text[test], labels[test]):.4f}")


if __name__ == "__main__":
    main()
