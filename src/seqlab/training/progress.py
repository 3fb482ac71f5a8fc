"""Keras-style progress output for ``fit``/``evaluate``/``predict``.

- ``verbose=1`` (and ``'auto'``): ``Epoch 3/10`` then a live bar (tqdm), refreshed at most every
  0.1 s, ending as ``32/32 [==============================] - 0s 2ms/step - loss: 0.1200 -
  val_loss: 0.1000``. When stdout is not a terminal (a log file, CI), only that final line is
  printed per epoch, so logs are not flooded with bar redraws. In a Jupyter notebook the bar is
  tqdm's notebook widget (``32/32 [bar] 0s 2ms/step - loss: 0.1200``), or the text bar when
  ipywidgets is not installed (``pip install seqlab[notebook]`` brings it).
- ``verbose=2``: one line per epoch: ``32/32 - 0s - 2ms/step - loss: 0.1200 - val_loss: 0.1000``.
- ``verbose=0``: nothing.

The running loss shown in the live bar needs a device synchronisation, so it is only read when
the bar is redrawn, never per batch.
"""
from __future__ import annotations

import shutil
import sys
import time

from tqdm.std import tqdm as _tqdm

from seqlab.notebook import in_notebook, widgets_available

REFRESH_SECONDS = 0.1
BAR_WIDTH = 30


def resolve_verbose(verbose, where: str) -> int:
    """``'auto'`` → 1; otherwise 0, 1 or 2."""
    if verbose == "auto":
        return 1
    if isinstance(verbose, bool) or verbose not in (0, 1, 2):
        raise ValueError(f"{where}: `verbose` must be 'auto', 0, 1 or 2, got {verbose!r}")
    return int(verbose)


def interactive() -> bool:
    """Whether the output can redraw a bar in place: a terminal, or a notebook (a widget, or the
    text bar, since a notebook's output honours ``\r``)."""
    stream = sys.stdout
    return bool(getattr(stream, "isatty", lambda: False)()) or in_notebook()


def format_value(value) -> str:
    # Keras's rule: 4 decimals, or scientific notation for tiny values; a metric with one value
    # per class (F1Score(average=None)) shows them all.
    if isinstance(value, list):
        return "[" + " ".join(format_value(item) for item in value) + "]"
    return f"{value:.4f}" if abs(value) > 1e-3 or value == 0 else f"{value:.4e}"


def format_logs(logs: dict) -> str:
    return " - ".join(f"{key}: {format_value(value)}" for key, value in logs.items())


def format_time_per_step(seconds: float) -> str:
    if seconds >= 1:
        return f"{seconds:.0f}s/step"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.0f}ms/step"
    return f"{seconds * 1e6:.0f}us/step"


class Progress:
    """Progress for one run: call ``begin(epoch)``, ``update(step, read_logs)``, ``end(logs)``.

    Args:
        verbose: 0, 1 or 2 (resolved with :func:`resolve_verbose`).
        steps: batches per epoch.
        epochs: total epochs, or None for ``evaluate``/``predict`` (no ``Epoch i/n`` header).
    """

    def __init__(self, verbose: int, steps: int, epochs: int | None = None):
        self.verbose = verbose
        self.steps = steps
        self.epochs = epochs
        self.live = verbose == 1 and interactive()
        self.widget = self.live and in_notebook() and widgets_available()
        self.bar = None
        self.started = 0.0
        self.last_refresh = 0.0

    def begin(self, epoch: int | None = None) -> None:
        if not self.verbose:
            return
        if self.epochs is not None and epoch is not None:
            print(f"Epoch {epoch + 1}/{self.epochs}", flush=not self.live)
        self.started = self.last_refresh = time.perf_counter()
        if self.widget:
            self.bar = self._widget_bar()
        if self.live and self.bar is None:
            # A terminal that reports a 0x0 size (e.g. under `script`) makes tqdm hide the bar;
            # use the usual defaults instead.
            size = shutil.get_terminal_size((120, 24))
            self.bar = _tqdm(
                total=self.steps, file=sys.stdout, ascii=".>=", leave=True,
                ncols=size.columns or 120, nrows=size.lines or 24,
                bar_format="{n_fmt}/{total_fmt} [{bar:" + str(BAR_WIDTH) + "}] - {desc}",
                mininterval=REFRESH_SECONDS,
            )

    def _widget_bar(self):
        """tqdm's notebook bar, or None when ipywidgets cannot make one (then the text bar)."""
        # Lazy: tqdm.notebook imports IPython and ipywidgets, which exist only in a kernel.
        import tqdm.notebook

        if tqdm.notebook.IProgress is None:
            # ipywidgets is there but could not be imported (too old, broken): tqdm would raise
            # "IProgress not found" and then fail again in its own __del__; draw text instead.
            self.widget = False
            return None
        # "{bar}" is where the widget goes (tqdm.notebook splits the text there)
        return tqdm.notebook.tqdm(total=self.steps, leave=True, mininterval=REFRESH_SECONDS,
                                  bar_format="{n_fmt}/{total_fmt} {bar} {desc}")

    def update(self, step: int, read_logs) -> None:
        """After batch ``step`` (0-based); ``read_logs()`` syncs, so it is called sparingly."""
        if self.bar is None:
            return
        now = time.perf_counter()
        if now - self.last_refresh < REFRESH_SECONDS and step + 1 < self.steps:
            return
        self.last_refresh = now
        self.bar.set_description_str(self._suffix(step + 1, now, read_logs()), refresh=False)
        self.bar.n = step + 1
        self.bar.refresh()

    def end(self, logs: dict) -> None:
        if not self.verbose:
            return
        now = time.perf_counter()
        suffix = self._suffix(self.steps, now, logs)
        if self.bar is not None:
            self.bar.n = self.steps
            self.bar.set_description_str(suffix, refresh=True)
            self.bar.close()
            self.bar = None
        elif self.verbose == 1:
            print(f"{self.steps}/{self.steps} [{'=' * BAR_WIDTH}] - {suffix}", flush=True)
        else:
            elapsed = now - self.started
            per_step = format_time_per_step(elapsed / max(self.steps, 1))
            text = f"{self.steps}/{self.steps} - {elapsed:.0f}s - {per_step}"
            print(f"{text} - {format_logs(logs)}" if logs else text, flush=True)

    def _suffix(self, done: int, now: float, logs: dict) -> str:
        elapsed = now - self.started
        text = f"{elapsed:.0f}s {format_time_per_step(elapsed / max(done, 1))}"
        return f"{text} - {format_logs(logs)}" if logs else text
