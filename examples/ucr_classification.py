"""A UCR time-series classification set (GunPoint) with keras-io's FCN beside 1-NN and the majority.

The model is keras-io's ``timeseries_classification_from_scratch`` (Wang et al. 2017's fully
convolutional network): three blocks of ``Conv1D(64, 3, padding="same") -> BatchNormalization
-> ReLU``, ``GlobalAveragePooling1D``, ``Dense(classes, softmax)``, ``adam``,
``sparse_categorical_crossentropy``, batch 32, ``ReduceLROnPlateau(factor=0.5, patience=20,
min_lr=1e-4)``. What differs: FordA is swapped for GunPoint (50 training and 150 test series of
150 steps, two classes), which ships in the ``sktime`` package; and keras-io's
``validation_split=0.2`` with ``EarlyStopping(patience=50)`` and a best-checkpoint are left out:
on 50 series that leaves 10 to validate and 2 batches an epoch, so BatchNormalization's moving
statistics (momentum 0.99) are still near their start for the first ~100 epochs, the validation
loss is meaningless then, and early stopping ended every run near epoch 60 at chance (0.49-0.54
test accuracy over seeds 0-2). Here all 50 train for a fixed 300 epochs (keras-io: up to 500),
ReduceLROnPlateau watches the training loss, and the final weights are scored.

The ``.ts`` files (inside the installed sktime) are read by seqlab's own reader, the one
``task = "classify"`` uses (``seqlab.experiment.classify.sources``). The baselines on the same split: 1-NN with Euclidean distance (scikit-learn's
``KNeighborsClassifier(n_neighbors=1)``, the UCR archive's reference) and the majority class of
the training labels.

    python examples/ucr_classification.py --seeds 0 1 2
"""
import argparse
import time

import numpy as np
import torch
from sklearn.neighbors import KNeighborsClassifier

import seqlab
from seqlab.experiment.classify.sources import read_packaged
from seqlab import layers


def load(name="GunPoint"):
    """(x_train, y_train, x_test, y_test, class names): labels as 0..k-1 in sorted name order.
    The set's own split, read from the installed sktime's files by seqlab's ``.ts`` reader (the
    one ``task = "classify"`` uses)."""
    samples = read_packaged(name.lower())
    x = samples.x[..., 0]  # a univariate set: (N, T)
    test = samples.given_test
    classes = np.unique(samples.labels[~test])
    return (x[~test], np.searchsorted(classes, samples.labels[~test]), x[test],
            np.searchsorted(classes, samples.labels[test]), classes)


def make_model(input_shape, num_classes):
    """keras-io's FCN."""
    input_layer = layers.Input(input_shape)
    x = input_layer
    for _ in range(3):
        x = layers.Conv1D(filters=64, kernel_size=3, padding="same")(x)
        x = layers.BatchNormalization()(x)
        x = layers.ReLU()(x)
    gap = layers.GlobalAveragePooling1D()(x)
    output_layer = layers.Dense(num_classes, activation="softmax")(gap)
    return seqlab.Model(inputs=input_layer, outputs=output_layer)


def baselines(x_train, y_train, x_test, y_test):
    """Test accuracy of 1-NN Euclidean and of the training set's majority class."""
    knn = KNeighborsClassifier(n_neighbors=1).fit(x_train, y_train)
    majority = np.bincount(y_train).argmax()
    return {"1-NN Euclidean": float(knn.score(x_test, y_test)),
            "majority class": float(np.mean(y_test == majority))}


def run(seed=0, epochs=300, name="GunPoint", batch_size=32):
    """Test accuracy of the FCN, its training history and seconds of training."""
    x_train, y_train, x_test, y_test, classes = load(name)
    seqlab.utils.set_random_seed(seed)
    model = make_model((x_train.shape[1], 1), len(classes))
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  metrics=["sparse_categorical_accuracy"])
    callbacks = [seqlab.callbacks.ReduceLROnPlateau(monitor="loss", factor=0.5, patience=20, min_lr=0.0001)]
    began = time.perf_counter()
    history = model.fit(x_train[..., None].astype("float32"), y_train, batch_size=batch_size, epochs=epochs,
                        callbacks=callbacks, verbose=0)
    seconds = time.perf_counter() - began
    probabilities = np.asarray(model.predict(x_test[..., None].astype("float32"), verbose=0))
    accuracy = float(np.mean(probabilities.argmax(axis=1) == y_test))
    return accuracy, history, seconds


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--epochs", type=int, default=300)
    parser.add_argument("--name", default="GunPoint", help="a UCR set bundled with sktime")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    wall, cpu = time.perf_counter(), time.process_time()
    x_train, y_train, x_test, y_test, classes = load(args.name)
    print(f"{args.name}: {len(x_train)} train, {len(x_test)} test, length {x_train.shape[1]}, "
          f"classes {[str(c) for c in classes]}")
    for baseline, accuracy in baselines(x_train, y_train, x_test, y_test).items():
        print(f"{baseline}: test accuracy {accuracy:.4f}")
    for seed in args.seeds:
        accuracy, history, seconds = run(seed, args.epochs, args.name)
        fitted = history.history["sparse_categorical_accuracy"][-1]
        print(f"FCN seed {seed}: test accuracy {accuracy:.4f} (last epoch's training accuracy {fitted:.4f}) "
              f"after {len(history.history['loss'])} epochs, {seconds:.1f} s of training")
    print(f"wall {time.perf_counter() - wall:.1f} s, CPU {time.process_time() - cpu:.1f} s")


if __name__ == "__main__":
    main()
