"""Whether a Jupyter kernel runs this process, and how seqlab shows things there.

Found without importing anything: a kernel has already imported IPython and ipykernel, so
:func:`kernel_shell` only looks in ``sys.modules`` and asks IPython's ``get_ipython()`` for the
running shell; a script, a terminal or IPython's terminal shell (whose ``TerminalInteractiveShell``
cannot show HTML) is not a notebook. What uses it: the live ``fit`` bar (a widget), the HTML of
``model.summary()``, of metric tables and of run results, and figures shown as PNG images.
"""
from __future__ import annotations

import importlib.util
import sys


def kernel_shell():
    """The running Jupyter kernel's shell (``ZMQInteractiveShell``, Colab's and VS Code's
    included: they derive from it), or None."""
    ipython = sys.modules.get("IPython")
    zmqshell = sys.modules.get("ipykernel.zmqshell")
    if ipython is None or zmqshell is None:
        return None
    shell = ipython.get_ipython()
    return shell if isinstance(shell, zmqshell.ZMQInteractiveShell) else None


def in_notebook() -> bool:
    """Whether output goes to a Jupyter front end (which renders HTML, images and widgets)."""
    return kernel_shell() is not None


def widgets_available() -> bool:
    """Whether ipywidgets is installed, which tqdm's notebook bar needs (the ``notebook`` extra)."""
    return importlib.util.find_spec("ipywidgets") is not None


def display(value) -> None:
    """Show ``value`` in the notebook as a cell's value is shown: its richest representation
    (``_repr_html_``, a PNG...), with ``str``-like text as the fallback for plain viewers."""
    # Lazy: IPython is present only in a kernel, and nothing calls this outside one.
    from IPython.display import display as ipython_display

    ipython_display(value)


def show_figures_inline() -> None:
    """In a kernel, let a matplotlib ``Figure`` left as a cell's value show as a PNG image.

    seqlab's figures are made without pyplot (so nothing opens a window or piles up in pyplot's
    list), and IPython renders a bare ``Figure`` as ``<Figure size ...>`` text until the inline
    backend is switched on, which importing pyplot does. This registers the same PNG formatter
    that the inline backend registers, once; a figure is drawn once, as the cell's value only,
    because the inline backend draws at the end of a cell only the figures pyplot holds.
    """
    shell = kernel_shell()
    if shell is None:
        return
    # Lazy: matplotlib and IPython's printer are needed only for a figure shown in a kernel.
    from IPython.core.pylabtools import print_figure
    from matplotlib.figure import Figure

    formatter = shell.display_formatter.formatters["image/png"]
    try:
        formatter.lookup_by_type(Figure)
    except KeyError:
        formatter.for_type(Figure, lambda figure: print_figure(figure, "png", bbox_inches="tight"))
