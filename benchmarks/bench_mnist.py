"""Seconds per training epoch of the notes' MNIST CNN: seqlab against the same network in raw PyTorch.

Three ways of training the same network on the same data, same batch size, same optimiser
(Adam, lr 1e-3), interleaved epoch by epoch so that a busy machine slows all of them alike:

- ``torch``: ``nn.Conv2d``/``nn.Linear`` on channels-first tensors, logits +
  ``F.cross_entropy``, a hand-written loop over pre-shuffled tensor batches (the reference);
- ``torch NHWC``: the same, with ``torch.channels_last`` weights (for information: the memory
  layout that seqlab's channels-last tensors give torch's convolutions);
- ``seqlab layers``: the seqlab model (channels-last, softmax output) in that same hand-written
  loop — what seqlab's layers cost;
- ``seqlab fit``: the notes' listing as written, ``model.compile(...)`` + ``model.fit(...)`` —
  what a user of the notes gets.

Prints the median seconds per epoch and the ratio to torch (target: seqlab fit within 1.15x).

    make mnist
    python benchmarks/bench_mnist.py                 # full 60,000 images, 3 epochs each
    python benchmarks/bench_mnist.py --limit 12000 --epochs 2 --batch-size 200
"""
import argparse
import statistics
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

import seqlab
from seqlab.datasets import mnist
from seqlab.layers import Conv2D, Dense, Dropout, Flatten, MaxPooling2D
from seqlab.models import Sequential


class TorchNet(nn.Module):
    """The notes' network as a PyTorch user writes it (channels first, logits out)."""

    def __init__(self):
        super().__init__()
        self.conv1, self.conv2 = nn.Conv2d(1, 32, 3), nn.Conv2d(32, 32, 3)
        self.fc1, self.fc2 = nn.Linear(800, 128), nn.Linear(128, 10)

    def forward(self, x):  # (N, 1, 28, 28)
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = F.dropout(x, 0.2, self.training)
        return self.fc2(F.relu(self.fc1(x.flatten(1))))


def seqlab_model(dtype=None):
    model = Sequential(dtype=dtype)
    model.add(Conv2D(32, (3, 3), input_shape=(28, 28, 1), activation="relu"))
    model.add(MaxPooling2D(pool_size=(2, 2)))
    model.add(Conv2D(32, (3, 3), activation="relu"))
    model.add(MaxPooling2D(pool_size=(2, 2)))
    model.add(Dropout(0.2))
    model.add(Flatten())
    model.add(Dense(128, activation="relu"))
    model.add(Dense(10, activation="softmax", dtype="float32" if dtype else None))  # Keras's advice
    return model


def loop_part(model, x, labels, batch_size, optimizer, softmax_output):
    """The hand-written loop over one part of the data, shuffled."""
    model.train()
    order = torch.randperm(len(x))
    for i in range(0, len(x), batch_size):
        index = order[i:i + batch_size]
        optimizer.zero_grad()
        out = model(x[index])
        if softmax_output:  # the seqlab model ends in softmax, as the notes' listing
            loss = F.nll_loss(torch.log(out.clamp_min(1e-7)), labels[index])
        else:
            loss = F.cross_entropy(out, labels[index])
        loss.backward()
        optimizer.step()


def timed(run):
    """(wall seconds, CPU seconds of this process) of ``run()``."""
    wall, cpu = time.perf_counter(), time.process_time()
    run()
    return time.perf_counter() - wall, time.process_time() - cpu


def main(argv=None):
    parser = argparse.ArgumentParser(description="MNIST CNN: seqlab vs raw PyTorch, seconds per epoch")
    parser.add_argument("--epochs", type=int, default=3, help="timed epochs per contender")
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--limit", type=int, default=None, help="train on the first N images only")
    parser.add_argument("--parts", type=int, default=10, help="interleaving parts per epoch")
    parser.add_argument("--no-fit", action="store_true", help="skip the model.fit contender")
    parser.add_argument("--mixed", action="store_true",
                        help="add 'seqlab fit bf16': model.fit under the policy mixed_bfloat16")
    parser.add_argument("--contenders", default=None,
                        help="comma-separated subset to time, e.g. 'torch,seqlab fit bf16' (torch is always in)")
    args = parser.parse_args(argv)

    seqlab.utils.set_random_seed(0)
    (x_train, y_train), _ = mnist.load_data()
    if args.limit:
        x_train, y_train = x_train[:args.limit], y_train[:args.limit]
    x = (x_train.reshape(-1, 28, 28, 1) / 255).astype("float32")
    y_onehot = seqlab.utils.to_categorical(y_train, 10)
    x_nhwc, labels = torch.as_tensor(x), torch.as_tensor(y_train.astype("int64"))
    x_nchw = x_nhwc.reshape(-1, 1, 28, 28)  # one channel: the same memory

    torch_net = TorchNet()
    torch_opt = torch.optim.Adam(torch_net.parameters(), lr=1e-3)
    # The same torch network with channels-last weights: the layout seqlab's channels-last
    # tensors give torch's convolutions anyway (see docs/convolution.md).
    torch_cl_net = TorchNet().to(memory_format=torch.channels_last)
    torch_cl_opt = torch.optim.Adam(torch_cl_net.parameters(), lr=1e-3)
    layers_model = seqlab_model()
    layers_opt = torch.optim.Adam(layers_model.parameters(), lr=1e-3)
    contenders = {
        "torch": lambda part: loop_part(torch_net, x_nchw[part], labels[part], args.batch_size, torch_opt, False),
        "torch NHWC": lambda part: loop_part(torch_cl_net, x_nchw[part].contiguous(memory_format=torch.channels_last),
                                             labels[part], args.batch_size, torch_cl_opt, False),
        "seqlab layers": lambda part: loop_part(layers_model, x_nhwc[part], labels[part], args.batch_size,
                                                layers_opt, True),
    }
    if not args.no_fit:
        fit_model = seqlab_model()
        fit_model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
        contenders["seqlab fit"] = lambda part: fit_model.fit(
            x[part], y_onehot[part], batch_size=args.batch_size, epochs=1, verbose=0)
    if args.mixed:  # the same listing, its layers computing in bfloat16 (weights float32)
        mixed_model = seqlab_model(dtype="mixed_bfloat16")
        mixed_model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
        contenders["seqlab fit bf16"] = lambda part: mixed_model.fit(
            x[part], y_onehot[part], batch_size=args.batch_size, epochs=1, verbose=0)
    if args.contenders:
        keep = {"torch", *args.contenders.split(",")}
        contenders = {name: run for name, run in contenders.items() if name in keep}

    print(f"MNIST CNN, {len(x):,} images, batch {args.batch_size}, {torch.get_num_threads()} threads, "
          f"torch {torch.__version__}; each epoch in {args.parts} parts, contenders interleaved part by part")
    # The machine is shared: interleaving small parts spreads other processes' load evenly over
    # the contenders, and CPU seconds of this process are reported beside wall seconds.
    bounds = np.linspace(0, len(x), args.parts + 1).astype(int)
    bounds -= bounds % args.batch_size  # whole batches in every part but the last
    bounds[-1] = len(x)
    wall = {name: [0.0] * args.epochs for name in contenders}
    cpu = {name: [0.0] * args.epochs for name in contenders}
    for epoch in range(args.epochs):
        for start, stop in zip(bounds[:-1], bounds[1:]):
            for name, run in contenders.items():
                w, c = timed(lambda: run(slice(start, stop)))
                wall[name][epoch] += w
                cpu[name][epoch] += c
        print(f"epoch {epoch + 1}: " + ", ".join(f"{n} {wall[n][epoch]:.2f} s" for n in contenders), flush=True)
    # Medians over epochs: one slow epoch (a first call's one-off set-up) does not count.
    ref_wall, ref_cpu = statistics.median(wall["torch"]), statistics.median(cpu["torch"])
    print(f"\n{'contender':<15} {'wall s/epoch':>13} {'ratio':>7} {'CPU s/epoch':>13} {'ratio':>7}")
    for name in contenders:
        w, c = statistics.median(wall[name]), statistics.median(cpu[name])
        print(f"{name:<15} {w:>13.2f} {w / ref_wall:>6.2f}x {c:>13.2f} {c / ref_cpu:>6.2f}x")
    return wall, cpu

if __name__ == "__main__":
    main(sys.argv[1:])
