"""Keras's ``model.summary()`` table, in the Keras 2 layout the notes print.

A stack (``Sequential``, or a functional chain) prints three columns in 65 characters; a
functional graph that is not a chain adds Keras's "Connected to" column (98 characters), each
entry ``layer[node index][tensor index]`` (keras/src/utils/summary_utils.py, Keras 2's
``print_summary``). A subclassed model's output shapes are not recorded: "multiple", as Keras 2.
"""
from __future__ import annotations

import html
import textwrap
from dataclasses import dataclass

from seqlab.checks import format_shape


@dataclass(frozen=True)
class Summary:
    """A model's layer table: ``str(summary)`` is Keras's text layout; in a notebook it shows as
    an HTML table (``_repr_html_``), the text being the fallback of plain viewers.

    ``rows`` hold ``(layer (type), output shape, parameters, connected-to entries or None)``.
    """

    name: str
    rows: list
    trainable: int
    frozen: int
    notes: list
    line_length: int | None = None

    @property
    def total(self) -> int:
        return self.trainable + self.frozen

    @property
    def connected(self) -> bool:
        return bool(self.rows) and self.rows[0][3] is not None

    def __str__(self) -> str:
        if self.connected:
            line_length = self.line_length or 98
            widths = [int(line_length * f) for f in (0.33, 0.22, 0.12)]
            widths.append(line_length - sum(widths))
        else:
            line_length = self.line_length or 65
            widths = [29, 26, line_length - 55]
        rule = "_" * line_length
        lines = [f'Model: "{self.name}"', rule, _row(self._header(), widths), "=" * line_length]
        for index, (layer, shape, count, links) in enumerate(self.rows):
            cells = [layer, shape, f"{count}"]
            if self.connected:
                cells.append(links[0] if links else "")
            lines.append(_row(cells, widths))
            for link in (links or [])[1:]:
                lines.append(_row(["", "", "", link], widths))
            if index < len(self.rows) - 1:
                lines.append("")
        lines += ["=" * line_length, *self._totals(), rule]
        if self.notes:
            lines += ["Notes:"] + [f"  {note}" for note in self.notes]
        return "\n".join(lines)

    def _repr_pretty_(self, printer, cycle) -> None:
        printer.text(str(self))  # IPython's plain text: the table, not the fields

    def _repr_html_(self) -> str:
        escape = html.escape

        def row(tag, cells):  # cells are HTML already
            return "<tr>" + "".join(f"<{tag} style='text-align:left'>{cell}</{tag}>" for cell in cells) + "</tr>"

        body = "".join(
            row("td", [escape(layer), escape(shape), f"{count:,}"]
                + (["<br>".join(map(escape, links))] if self.connected else []))
            for layer, shape, count, links in self.rows)
        totals = "".join(f"<div>{escape(line)}</div>" for line in self._totals())
        notes = "".join(f"<li>{escape(note)}</li>" for note in self.notes)
        return (f"<div class='seqlab-summary'><strong>Model: \"{escape(self.name)}\"</strong><table>"
                f"<thead>{row('th', map(escape, self._header()))}</thead><tbody>{body}</tbody></table>"
                f"{totals}" + (f"<p>Notes:</p><ul>{notes}</ul>" if notes else "") + "</div>")

    def _header(self) -> tuple:
        return ("Layer (type)", "Output Shape", "Param #") + (("Connected to",) if self.connected else ())

    def _totals(self) -> list[str]:
        return [f"Total params: {self.total:,}", f"Trainable params: {self.trainable:,}",
                f"Non-trainable params: {self.frozen:,}"]


def summarize(model, line_length: int | None = None) -> Summary:
    """The :class:`Summary` of a built model (what ``model.summary()`` prints or shows)."""
    rows, notes = [], []
    trainable = frozen = 0
    for layer, shape, count, links in _rows(model):
        layer_trainable = sum(p.numel() for p in layer.parameters() if p.requires_grad)
        trainable += layer_trainable
        frozen += count - layer_trainable
        rows.append((f"{layer.name} ({type(layer).__name__})", shape, count, links))
        note = getattr(layer, "summary_note", lambda: None)()
        if note:
            notes.append(f"{layer.name}: {note}")
    return Summary(model.name, rows, trainable, frozen, notes, line_length)


def format_summary(model, line_length: int | None = None) -> str:
    return str(summarize(model, line_length))


def _rows(model) -> list[tuple]:
    """``(layer, output shape text, params, connected-to entries or None)`` per layer."""
    nodes_of = getattr(model, "nodes_of", None)
    if nodes_of is None:
        shapes = list(model.output_shapes) if len(model.output_shapes) == len(model.layers) else None
        return [(layer, format_shape(shapes[i]) if shapes else "multiple", layer.count_params(), None)
                for i, layer in enumerate(model.layers)]
    names = {}  # id(symbolic tensor) -> "layer[node][tensor]"
    for tensor in model.inputs:
        names[id(tensor)] = f"{tensor.layer.name}[0][0]"
    rows = []
    chain = True
    previous = None
    for layer in model.layers:
        nodes = nodes_of(layer)
        links = []
        for index, node in enumerate(nodes):
            links += [names[id(t)] for t in node.inputs]
            for tensor in node.outputs:
                names[id(tensor)] = f"{layer.name}[{index}][{tensor.index}]"
        outputs = nodes[0].outputs if nodes else [t for t in model.inputs if t.layer is layer]
        if len(nodes) > 1 or len(outputs) > 1 or (nodes and (len(nodes[0].inputs) != 1 or nodes[0].inputs[0] is not previous)):
            chain = False
        previous = outputs[0]
        shape = ", ".join(format_shape(t.shape) for t in outputs)
        rows.append((layer, f"[{shape}]" if len(outputs) > 1 else shape, layer.count_params(), links or ["-"]))
    if chain:
        return [(layer, shape, count, None) for layer, shape, count, _ in rows]
    return rows


def _row(cells, widths) -> str:
    # Like tf.keras 2.9+: a cell too long for its column wraps onto continuation lines,
    # so the columns stay aligned (e.g. "global_average_pooling1d (GlobalAveragePooling1D)").
    wrapped = [textwrap.wrap(cell, width - 1, break_on_hyphens=False) or [""] for cell, width in zip(cells, widths)]
    lines = []
    for line_index in range(max(len(parts) for parts in wrapped)):
        text = ""
        for parts, width in zip(wrapped, widths):
            part = parts[line_index] if line_index < len(parts) else ""
            text += (" " + part).ljust(width)
        lines.append(text.rstrip())
    return "\n".join(lines)
