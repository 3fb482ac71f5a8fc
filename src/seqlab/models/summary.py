"""Keras's ``model.summary()`` table, in the Keras 2 layout the notes print."""
from __future__ import annotations

import textwrap

from seqlab.checks import format_shape


def format_summary(model, line_length: int = 65) -> str:
    widths = (29, 26, line_length - 55)
    rule = "_" * line_length
    lines = [f'Model: "{model.name}"', rule, _row(("Layer (type)", "Output Shape", "Param #"), widths), "=" * line_length]
    trainable = frozen = 0
    notes = []
    for index, (layer, shape) in enumerate(zip(model.layers, model.output_shapes)):
        count = layer.count_params()
        layer_trainable = sum(p.numel() for p in layer.parameters() if p.requires_grad)
        trainable += layer_trainable
        frozen += count - layer_trainable
        lines.append(_row((f"{layer.name} ({type(layer).__name__})", format_shape(shape), str(count)), widths))
        note = getattr(layer, "summary_note", lambda: None)()
        if note:
            notes.append(f"{layer.name}: {note}")
        if index < len(model.layers) - 1:
            lines.append("")
    lines += [
        "=" * line_length,
        f"Total params: {trainable + frozen:,}",
        f"Trainable params: {trainable:,}",
        f"Non-trainable params: {frozen:,}",
        rule,
    ]
    if notes:
        lines += ["Notes:"] + [f"  {note}" for note in notes]
    return "\n".join(lines)


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
