"""``seqlab.inspect.explore``: one self-contained HTML page to look inside a model while it reads
``x`` — the input, every gate and state of every recurrent layer, unit search, saturation,
gradients through time and attributions, all linked.

The page is plain HTML, CSS and JavaScript written in this package (``explorer.html``,
``explorer.css``, ``explorer_*.js``), inlined with the data into one file: it opens from disk,
offline, and loads nothing from the network.
"""
from __future__ import annotations

import html
import os
from importlib import resources
from string import Template

from seqlab import __version__
from seqlab.inspect.explorer import inputs
from seqlab.inspect.explorer.layers import attribution_entry, explained_output, layer_entries
from seqlab.inspect.explorer.packing import ArrayStore, json_script

# The scripts, in the order the page runs them: helpers first, the app that wires them last.
SCRIPTS = ("explorer_core.js", "explorer_time.js", "explorer_heatmap.js", "explorer_panels.js", "explorer_app.js")
# Beyond this much array data a page takes long to open and a browser tab may run out of memory.
MAX_BYTES = 512 * 2**20


def explore(model, x, *, output, y=None, loss=None, mask=None, signals=None, tokens=None, vocabulary=None,
            feature_names=None, step_labels=None, sample_labels=None, attribution="integrated_gradients",
            target=None, quantize_gates: bool = True, title: str | None = None, notes=()) -> str:
    """Write the explorer of ``model`` reading ``x`` to ``output``, one self-contained HTML file.

    The page shows the input (a line per feature for numbers, the tokens for text, coloured by
    the unit you pick), heat maps of every gate, the cell and hidden state of every recurrent
    layer (units × timesteps; rank the units by mean, variance or correlation with a signal),
    the unit search of :func:`~seqlab.inspect.find_units` (drag over a span of a heat map: the
    units on all through it, and every other place they turn on together), each gate's
    saturation (Karpathy et al.'s left/right fractions), ``|d objective / d h_t|`` through
    time, and attributions to the input. Hovering a timestep in any view marks it in all.

    Args:
        model: a seqlab model holding recurrent layers (SimpleRNN, LSTM, GRU, Bidirectional).
        x: ``(N, L, F)`` numbers, or ``(N, L)`` integer token ids for a model starting with an
            ``Embedding``.
        output: the path of the HTML file to write.
        y, loss: targets and loss for the gradient through time (see
            :func:`~seqlab.inspect.gradients_through_time`); default: the gradient of the
            output the attributions explain (``target``).
        mask: optional ``(N, L)`` mask passed to the model.
        signals: ``{name: (N, L) array}`` to rank units against, besides the input features.
        tokens: for token ids, the string of every step, ``N`` sequences of ``L`` strings...
        vocabulary: ...or the strings of the ids (a :class:`seqlab.data.Vocabulary` or a list,
            id ``i`` → ``vocabulary[i]``). Neither: the ids are shown.
        feature_names: names of the ``F`` input features.
        step_labels: labels of the timesteps, ``(L,)`` or ``(N, L)`` (dates, positions).
        sample_labels: a label per sample.
        attribution: ``'integrated_gradients'`` (default), ``'saliency'``, ``'occlusion'`` or
            None (see :func:`~seqlab.inspect.attribute`); without Captum the page says so.
        target: the flattened output index the attributions (and, without ``y``, the gradients)
            explain, an int or one per sample (see :func:`~seqlab.inspect.attribute`); default:
            the single output, else each sample's largest output (of the last step, for a
            sequence output).
        quantize_gates: store gates whose values lie in ``[0, 1]`` or ``[-1, 1]`` as 256 levels
            (a quarter of the size; the hidden and cell states are always float32).
        title: the page's title.
        notes: sentences shown under the title (where the data came from).

    Returns:
        ``output``, as a string.

    >>> import numpy as np, seqlab, tempfile, os
    >>> model = seqlab.models.Sequential([seqlab.layers.LSTM(4, input_shape=(6, 2)), seqlab.layers.Dense(1)])
    >>> path = seqlab.inspect.explore(model, np.ones((3, 6, 2), "float32"), attribution=None,
    ...                               output=os.path.join(tempfile.mkdtemp(), "inspect.html"))
    >>> open(path).read().startswith("<!DOCTYPE html>")
    True
    """
    page = render_explorer(model, x, y=y, loss=loss, mask=mask, signals=signals, tokens=tokens,
                           vocabulary=vocabulary, feature_names=feature_names, step_labels=step_labels,
                           sample_labels=sample_labels, attribution=attribution, target=target,
                           quantize_gates=quantize_gates, title=title, notes=notes)
    with open(output, "w", encoding="utf-8") as stream:
        stream.write(page)
    return os.fspath(output)


def render_explorer(model, x, *, y=None, loss=None, mask=None, signals=None, tokens=None, vocabulary=None,
                    feature_names=None, step_labels=None, sample_labels=None, attribution="integrated_gradients",
                    target=None, quantize_gates: bool = True, title: str | None = None, notes=()) -> str:
    """The explorer page as one HTML string (what :func:`explore` writes)."""
    x = inputs.as_numpy_input(x)
    samples, steps = x.shape[:2]
    store = ArrayStore()
    input_entry = inputs.input_meta(x, store, feature_names, tokens, vocabulary)
    target, explained = explained_output(model, x, target)
    meta = {
        "title": title or f"Inside {getattr(model, 'name', type(model).__name__)}",
        "version": __version__,
        "notes": [str(note) for note in notes],
        "samples": samples, "steps": steps,
        "sample_labels": inputs.labels(sample_labels, samples, "sample", "sample_labels"),
        "step_labels": inputs.step_labels(step_labels, samples, steps),
        "input": input_entry,
        "signals": inputs.signals_meta(x, signals, input_entry.get("features"), store),
        "layers": layer_entries(model, x, store, y=y, loss=loss, mask=mask, quantize_gates=quantize_gates,
                                target=target),
        "gradient_of": "the loss" if y is not None else explained,
        "attribution": attribution_entry(model, x, store, attribution, target, explained),
    }
    if store.nbytes > MAX_BYTES:
        raise ValueError(f"explore: the page would hold {store.nbytes / 2**20:.0f} MiB of arrays, more than "
                         f"{MAX_BYTES / 2**20:.0f} MiB a browser tab opens comfortably; pass fewer samples or "
                         f"timesteps (x has shape {x.shape})")
    return page_html(meta, store)


def page_html(meta: dict, store: ArrayStore) -> str:
    """The page: the template with the CSS, the scripts, the JSON and the arrays inlined."""
    package = resources.files("seqlab.inspect.explorer")
    template = Template(package.joinpath("explorer.html").read_text("utf-8"))
    script = "\n".join(package.joinpath(name).read_text("utf-8") for name in SCRIPTS)
    return template.substitute(version=html.escape(__version__), title=html.escape(meta["title"]),
                               css=package.joinpath("explorer.css").read_text("utf-8"),
                               meta=json_script(meta), arrays=store.script_elements(),
                               script=script.replace("</script", "<\\/script"))

