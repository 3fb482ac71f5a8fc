"""The explorer at its size limit: an LSTM of 256 units reading 10,000 steps.

    python benchmarks/bench_explorer.py

Measures, in one run: ``seqlab.inspect.trace`` alone (the reference: the recorded step loop
every view needs), ``explore`` (trace, gradients through time, saturation, saliency, packing),
and their ratio; the page's size; and, when headless Chromium is installed, the time the page
reports for opening and drawing (``data-load-ms``, read with ``--dump-dom``).
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
import time

import numpy as np
import torch

import seqlab
from seqlab.layers import LSTM, Dense
from seqlab.models import Sequential

STEPS, UNITS = 10_000, 256


def main() -> None:
    torch.set_num_threads(1)
    seqlab.utils.set_random_seed(0)
    model = Sequential([LSTM(UNITS, input_shape=(STEPS, 1)), Dense(1)])
    x = np.sin(np.arange(STEPS) / 40.0).reshape(1, STEPS, 1).astype("float32")
    began = time.perf_counter()
    seqlab.inspect.trace(model, x)
    traced = time.perf_counter() - began
    folder = tempfile.mkdtemp()
    path = os.path.join(folder, "explorer.html")
    began = time.perf_counter()
    seqlab.inspect.explore(model, x, output=path, attribution="saliency")
    explored = time.perf_counter() - began
    size = os.path.getsize(path) / 2**20
    print(f"LSTM({UNITS}) over {STEPS} steps, one CPU thread")
    print(f"trace          {traced:6.1f} s   (reference)")
    print(f"explore        {explored:6.1f} s   {explored / traced:.1f}x the trace (gradients, saliency, packing)")
    print(f"page           {size:6.1f} MiB")
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser:
        done = subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", f"--user-data-dir={folder}/profile",
                               "--virtual-time-budget=60000", "--dump-dom", "file://" + path],
                              capture_output=True, text=True, timeout=300)
        found = re.search(r'data-load-ms="(\d+)"', done.stdout)
        print(f"browser        {int(found.group(1)) / 1000 if found else float('nan'):6.1f} s   to open and draw "
              "(the page's own performance.now())")
    shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
