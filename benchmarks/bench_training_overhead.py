"""Fixed costs of seqlab's training loop against a raw PyTorch loop doing the same work.

The notes' toy problems run 1000 epochs on 15 samples and the echo example calls `fit`
thousands of times on one sample, so per-call and per-epoch overheads dominate them. Each case
times seqlab and a hand-written torch loop (same model, same Adam maths, same batches) in the
same run and prints the ratio. Reference points (PERF_NOTES.md): Keras-torch costs ~5.7 ms per
`fit` call and ~5.5 ms per epoch.

    python benchmarks/bench_training_overhead.py
"""
from __future__ import annotations

import time

import numpy as np
import torch

import seqlab
from seqlab.layers import Dense
from seqlab.models import Sequential


def build(features: int, seed: int = 0) -> Sequential:
    seqlab.utils.set_random_seed(seed)
    model = Sequential([Dense(16, activation="tanh", input_shape=(features,)), Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    return model


def raw_torch_epochs(model: Sequential, x: np.ndarray, y: np.ndarray, epochs: int, batch_size: int,
                     optimizer=None) -> None:
    # What a careful hand-written loop does: tensors once, slices, one sync per epoch.
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    if optimizer is None:
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-7)
    for _ in range(epochs):
        total = torch.zeros(())
        for start in range(0, len(xt), batch_size):
            xb, yb = xt[start:start + batch_size], yt[start:start + batch_size]
            loss = (model(xb) - yb).square().mean()
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            total += loss.detach() * len(xb)
        total.item()


def timed(fn, repeat: int = 5) -> float:
    # CPU time of this process, best of `repeat`: the machine is shared, and wall time mostly
    # measures the neighbours. Both sides of every ratio are measured the same way.
    best = float("inf")
    for _ in range(repeat):
        start = time.process_time()
        fn()
        best = min(best, time.process_time() - start)
    return best


def main() -> None:
    torch.set_num_threads(1)
    rng = np.random.default_rng(0)
    x15, y15 = rng.random((15, 3), dtype=np.float32), rng.random((15, 1), dtype=np.float32)
    x1, y1 = x15[:1], y15[:1]

    print("Reference: a hand-written torch loop on the same model, with torch.optim.Adam;")
    print("'same optimizer' runs that loop with seqlab's Keras Adam, isolating the loop's own cost.")
    print("case                                   seqlab      raw torch   ratio")
    # 1. many epochs on the toy problem (batch 3, like the notes)
    epochs = 300
    model = build(3)
    seq = timed(lambda: model.fit(x15, y15, epochs=epochs, batch_size=3, verbose=0, shuffle=False)) / epochs
    model = build(3)
    raw = timed(lambda: raw_torch_epochs(model, x15, y15, epochs, 3)) / epochs
    print(f"per epoch, 15 samples, batch 3       {seq * 1e3:8.3f} ms {raw * 1e3:8.3f} ms  {seq / raw:5.2f}x")
    model = build(3)
    keras_adam = seqlab.optimizers.Adam()
    keras_adam.build([(str(i), p) for i, p in enumerate(model.parameters())])
    keras_adam = keras_adam.engine  # zero_grad()/step() like a torch optimizer, Keras's rule
    same = timed(lambda: raw_torch_epochs(model, x15, y15, epochs, 3, keras_adam)) / epochs
    print(f"  same optimizer in the raw loop                 {same * 1e3:8.3f} ms  {seq / same:5.2f}x")
    model = build(3)
    seq_val = timed(lambda: model.fit(x15, y15, epochs=epochs, batch_size=3, verbose=0, shuffle=True,
                                      validation_split=0.2)) / epochs
    print(f"  with validation_split=0.2, shuffle {seq_val * 1e3:8.3f} ms")

    # 2. fit() called many times on one sample (the echo example)
    calls = 500
    model = build(3)
    seq = timed(lambda: [model.fit(x1, y1, epochs=1, verbose=0, shuffle=False) for _ in range(calls)]) / calls
    model = build(3)
    raw = timed(lambda: [raw_torch_epochs(model, x1, y1, 1, 32) for _ in range(calls)]) / calls
    print(f"per fit() call, 1 sample, 1 epoch    {seq * 1e3:8.3f} ms {raw * 1e3:8.3f} ms  {seq / raw:5.2f}x")

    # 3. predict() on one sample
    model = build(3)
    seq = timed(lambda: [model.predict(x1) for _ in range(calls)]) / calls
    with torch.no_grad():
        raw = timed(lambda: [model(torch.from_numpy(x1)).numpy() for _ in range(calls)]) / calls
    print(f"per predict() call, 1 sample         {seq * 1e3:8.3f} ms {raw * 1e3:8.3f} ms  {seq / raw:5.2f}x")
    notes_cases(calls)
    print("Keras-torch reference (PERF_NOTES.md): ~5.7 ms per fit call, ~5.5 ms per epoch")


def notes_cases(calls: int) -> None:
    """The notes' own recurrent toy problems (needs seqlab.layers.LSTM)."""
    from seqlab.layers import LSTM

    def many_to_one():
        seqlab.utils.set_random_seed(1)
        model = Sequential([LSTM(50, activation="relu", input_shape=(3, 1)), Dense(1)])
        model.compile(optimizer="adam", loss="mse")
        return model

    x = np.arange(1, 46, dtype="float32").reshape(15, 3, 1)
    y = x.sum(axis=1)
    epochs = 100
    model = many_to_one()
    seq = timed(lambda: model.fit(x, y, epochs=epochs, validation_split=0.2, batch_size=3, verbose=0), 3) / epochs
    model = many_to_one()
    raw = timed(lambda: raw_torch_epochs(model, x[:12], y[:12], epochs, 3), 3) / epochs
    print(f"notes many-to-one LSTM(50), per epoch {seq * 1e3:8.3f} ms {raw * 1e3:8.3f} ms  {seq / raw:5.2f}x"
          "  (seqlab also validates on 3 samples)")

    seqlab.utils.set_random_seed(0)
    echo = Sequential([LSTM(16, input_shape=(5, 10)), Dense(10, activation="softmax")])
    echo.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
    one_hot = np.eye(10, dtype="float32")[np.random.default_rng(0).integers(0, 10, 5)][None]
    target = one_hot[:, 2]
    seq = timed(lambda: [echo.fit(one_hot, target, shuffle=False, epochs=1, verbose=0) for _ in range(calls)], 3) / calls
    xt, yt = torch.from_numpy(one_hot), torch.from_numpy(target)
    optimizer = torch.optim.Adam(echo.parameters(), lr=1e-3, eps=1e-7)

    def raw_echo():
        for _ in range(calls):
            out = echo(xt)
            loss = -(yt * torch.log(out.clamp(1e-7, 1 - 1e-7))).sum(-1).mean()
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            loss.item()

    raw = timed(raw_echo, 3) / calls
    print(f"notes echo LSTM(16), per fit() call  {seq * 1e3:8.3f} ms {raw * 1e3:8.3f} ms  {seq / raw:5.2f}x")


if __name__ == "__main__":
    main()
