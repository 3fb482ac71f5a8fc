"""The report of a ``task = "generate"`` run: bits per token against the baselines, the loss
curves in bits, samples at several temperatures and the hidden units that follow something
readable. Same template, stylesheet and offline figures as the forecast report."""
from __future__ import annotations

import html
import math
from importlib import resources
from string import Template

import numpy as np
import pandas as pd

from matplotlib.ticker import MaxNLocator

from seqlab import __version__
from seqlab.report.plots import _axes, to_data_uri


def _e(text) -> str:
    return html.escape(str(text), quote=True)


def _figure(uri: str, caption: str) -> str:
    return f'<figure><img src="{uri}" alt="{_e(caption)}"><figcaption>{_e(caption)}</figcaption></figure>'


def bits_curves(history: pd.DataFrame, baselines: dict, unit: str) -> str:
    """Train and validation cross-entropy per epoch in bits per token, the baselines as lines."""
    figure, (ax,) = _axes(1, height=3.2, width=8.0)
    epochs = np.arange(1, len(history) + 1)
    for column in [c for c in history.columns if c.endswith("loss")]:
        ax.plot(epochs, history[column].to_numpy() / math.log(2), marker="o", markersize=3, label=column)
    for i, (name, bits) in enumerate(baselines.items()):
        ax.axhline(bits, linestyle="--", linewidth=0.9, color=f"C{i + 2}", label=f"{name} (test)")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("epoch")
    ax.set_ylabel(f"bits per {unit}")
    ax.set_title(f"Cross-entropy per epoch, in bits per {unit}")
    ax.legend(fontsize=8)
    return to_data_uri(figure)


def _scores_table(record: dict) -> str:
    bits, perplexity = record["test"]["bits"], record["test"]["perplexity"]
    best = min(bits.values())
    rows = "".join(f"<tr><td>{_e(name)}</td><td>{value:.4f}{' *' if value == best else ''}</td>"
                   f"<td>{perplexity[name]:.3f}</td></tr>" for name, value in bits.items())
    return (f"<table><thead><tr><th></th><th>bits per {_e(record['unit'])}</th><th>perplexity</th></tr></thead>"
            f"<tbody>{rows}</tbody></table>")


def _data_section(record: dict) -> str:
    data = record["data"]
    rows = "".join(f"<tr><td>{_e(part)}</td><td>{end - start}</td><td>{start}</td><td>{end}</td></tr>"
                   for part, (start, end) in data["bounds"].items())
    first, end = data["scored_positions"]
    return (f"<p>{_e(data['description'])}. The text is split by position; windows of "
            f"{record['settings']['sequence_length']} tokens are cut inside one part, never across a boundary. "
            f"The vocabulary comes from the train part only: {data['unknown_in_test']} test token(s) map to OOV.</p>"
            "<table><thead><tr><th>part</th><th>tokens</th><th>from</th><th>to</th></tr></thead>"
            f"<tbody>{rows}</tbody></table><p class='small'>Scored test positions: [{first}, {end}).</p>")


def _metrics_section(record: dict) -> str:
    return (f"<p>Mean cross-entropy of the next token over the test part (lower is better). The baselines are "
            "fitted on the train part and scored on the same positions: add-one unigram frequencies and "
            f"interpolated Kneser-Ney n-grams (discount {record['settings']['ngram_discount']}), their context "
            "never reaching back before the test part.</p>" + _scores_table(record))


def _samples_section(record: dict) -> str:
    parts = []
    for sample in record["samples"]:
        parts.append(f"<h3>temperature {sample['temperature']:g}</h3><pre style='white-space:pre-wrap'>{_e(sample['prime'])}"
                     f"<b>{_e(sample['text'])}</b></pre>")
    return ("<p>Drawn step by step from the prime (plain) with the run's seed; lower temperatures are "
            "safer and more repetitive. Repeat or vary them with <code>seqlab generate RUN_DIR</code>.</p>"
            + "".join(parts))


def _units_section(record: dict) -> str:
    if not record["units"]:
        return ""
    blocks = []
    for layer, signals in record["units"].items():
        rows = "".join(f"<tr><td>{_e(name)}</td><td>"
                       + ", ".join(f"unit {unit} (r = {'n/a' if r is None else f'{r:+.2f}'})" for unit, r in units)
                       + "</td></tr>" for name, units in signals.items())
        blocks.append(f"<h3>{_e(layer)}</h3><table><thead><tr><th>signal</th><th>units most correlated</th></tr>"
                      f"</thead><tbody>{rows}</tbody></table>")
    return (f"<p>Pearson correlation of each hidden unit with readable signals over the first "
            f"{record['settings']['trace_tokens']} test tokens (seqlab.inspect.correlate_units on the gate trace). "
            "Open every unit with <code>seqlab inspect RUN_DIR</code>.</p>" + "".join(blocks))


def render_generate(record: dict, history: pd.DataFrame, spec_text: str, summary: str, title: str) -> str:
    """The report of a generate run as one HTML string."""
    baselines = {name: bits for name, bits in record["test"]["bits"].items() if name != "model"}
    training = (f"<p>{record['training']['epochs_trained']} epoch(s), {record['training']['parameters']} parameters.</p>"
                + _figure(bits_curves(history, baselines, record["unit"]),
                          f"Cross-entropy per epoch in bits per {record['unit']}, the baselines' test scores dashed"))
    sections = [("data", "Data", _data_section(record)), ("training", "Training", training),
                ("metrics", "Test metrics", _metrics_section(record)), ("samples", "Samples", _samples_section(record)),
                ("units", "Readable units", _units_section(record)), ("model", "Model", f"<pre>{_e(summary)}</pre>"),
                ("spec", "Spec", f"<pre>{_e(spec_text)}</pre>")]
    sections = [(key, name, body) for key, name, body in sections if body]
    css = "verdict" if record["beats_all_baselines"] else "verdict bad"
    template = Template(resources.files("seqlab.report").joinpath("template.html").read_text("utf-8"))
    return template.substitute(
        version=_e(__version__), title=_e(title),
        css=resources.files("seqlab.report").joinpath("report.css").read_text("utf-8"),
        meta=_e(f"task: generate · {record['data']['description']}"), description="",
        nav="".join(f'<a href="#{key}">{_e(name)}</a>' for key, name, _ in sections),
        verdict=f'<div class="{css}">' + "".join(f"<p>{_e(s)}</p>" for s in record["verdict"]) + "</div>",
        sections="\n".join(f'<section id="{key}">\n<h2>{_e(name)}</h2>\n{body}\n</section>' for key, name, body in sections),
    )
