"""The report of a classify run: scores against the baselines, per-class precision/recall, the
confusion matrix, ROC and precision–recall curves (two classes), the most confidently wrong
test samples, and the gates of one right and one wrong sample. Same page as a forecast report.
"""
from __future__ import annotations

import html
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from sklearn import metrics as sk

from seqlab.report import plots
from seqlab.report.document import page

SCORE_NAMES = ("accuracy", "balanced_accuracy", "macro_f1", "log_loss")
LOWER_IS_BETTER = {"log_loss"}


def _e(text) -> str:
    return html.escape(str(text), quote=True)


def _figure(uri: str, caption: str) -> str:
    return f'<figure><img src="{uri}" alt="{_e(caption)}"><figcaption>{_e(caption)}</figcaption></figure>'


class ClassifyTable:
    """The test scores of the model and each baseline, as ``seqlab run`` prints them (* = best)."""

    heading = "Test scores of the model and the baselines on the same test samples (* = best):"

    def __init__(self, table: dict, labels: dict):
        self.table, self.labels = table, labels

    def _best(self, score: str) -> float:
        values = [row[score] for row in self.table.values()]
        return min(values) if score in LOWER_IS_BETTER else max(values)

    def __str__(self) -> str:
        names = {name: self.labels.get(name, name) for name in self.table}
        width = max(len(label) for label in names.values())
        lines = [" " * width + "".join(f"{score:>19}" for score in SCORE_NAMES)]
        for name, row in self.table.items():
            cells = "".join(f"{row[s]:>18.4f}{'*' if row[s] == self._best(s) else ' '}" for s in SCORE_NAMES)
            lines.append(f"{names[name]:<{width}}{cells}")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        head = "".join(f"<th>{_e(s.replace('_', ' '))}</th>" for s in SCORE_NAMES)
        rows = "".join(
            f"<tr><td>{_e(self.labels.get(name, name))}</td>"
            + "".join(f"<td>{'<b>' if row[s] == self._best(s) else ''}{row[s]:.4f}{'</b>' if row[s] == self._best(s) else ''}</td>"
                      for s in SCORE_NAMES) + "</tr>"
            for name, row in self.table.items())
        return f"<table><thead><tr><th></th>{head}</tr></thead><tbody>{rows}</tbody></table>"


@dataclass
class ClassifyReport:
    title: str
    record: dict
    probabilities: np.ndarray  # (N_test, n_classes), the model's
    y_test: np.ndarray
    classes: list
    test_samples: object  # sentences, or (N_test, T, F) raw sequences
    description: str = ""
    history: pd.DataFrame | None = None
    traces: dict = field(default_factory=dict)
    model_summary: str = ""
    spec_text: str = ""
    wrong_shown: int = 5


def confusion_picture(confusion, classes) -> str:
    """The confusion matrix as a heat map, counts written in the cells (rows: true class)."""
    counts = np.asarray(confusion)
    size = max(3.2, 0.5 * len(classes) + 2)
    figure = Figure(figsize=(size + 1, size))
    ax = figure.subplots()
    image = ax.imshow(counts, cmap="Blues")
    for (i, j), count in np.ndenumerate(counts):
        ax.text(j, i, str(count), ha="center", va="center", color="white" if count > counts.max() / 2 else "black")
    ax.set_xticks(range(len(classes)), [str(c) for c in classes])
    ax.set_yticks(range(len(classes)), [str(c) for c in classes])
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    figure.colorbar(image, ax=ax, fraction=0.046)
    return plots.to_data_uri(figure)


def roc_pr_picture(y: np.ndarray, positive_probability: np.ndarray, positive: str) -> str:
    """ROC and precision–recall curves of a two-class model, for the class ``positive`` (id 1)."""
    figure = Figure(figsize=(10, 4))
    roc_ax, pr_ax = figure.subplots(1, 2)
    fpr, tpr, _ = sk.roc_curve(y, positive_probability, pos_label=1)
    roc_ax.plot(fpr, tpr, color="#dc2626", label=f"model (AUC {sk.auc(fpr, tpr):.3f})")
    roc_ax.plot([0, 1], [0, 1], color="#9ca3af", linestyle="--", label="chance")
    roc_ax.set(xlabel="false positive rate", ylabel="true positive rate", title=f"ROC, positive class {positive}")
    precision, recall, _ = sk.precision_recall_curve(y, positive_probability, pos_label=1)
    ap = sk.average_precision_score(y, positive_probability, pos_label=1)
    pr_ax.plot(recall, precision, color="#dc2626", label=f"model (AP {ap:.3f})")
    pr_ax.axhline(float(np.mean(y == 1)), color="#9ca3af", linestyle="--", label="chance (share of positives)")
    pr_ax.set(xlabel="recall", ylabel="precision", title="precision–recall")
    for ax in (roc_ax, pr_ax):
        ax.legend(loc="lower right", fontsize=8)
    return plots.to_data_uri(figure)


def sequences_picture(sequences: np.ndarray, captions: list) -> str:
    """Small plots of raw sequences ``(k, T, F)``, one panel each (NaN padding not drawn)."""
    figure = Figure(figsize=(10, 1.9 * len(sequences)), layout="constrained")  # titles clear of the ticks above
    axes = np.atleast_1d(figure.subplots(len(sequences), 1, squeeze=False)[:, 0])
    for ax, sequence, caption in zip(axes, sequences, captions):
        ax.plot(sequence, linewidth=1.2)
        ax.set_title(caption, fontsize=9)
    return plots.to_data_uri(figure)


def _scores_section(data: ClassifyReport) -> str:
    from_table = ClassifyTable(data.record["test"], data.record.get("labels", {}))
    rows = "".join(f"<tr><td>{_e(c)}</td><td>{v['precision']:.3f}</td><td>{v['recall']:.3f}</td><td>{v['support']}</td></tr>"
                   for c, v in data.record["per_class"].items())
    text = (f"<p>On the same {len(data.y_test)} test samples. Balanced accuracy is the mean recall over classes "
            "(chance = 1/classes); log loss rewards honest probabilities (a baseline certain and wrong pays a lot). "
            "The best value of each column is in bold.</p>")
    figures = [_figure(confusion_picture(data.record["confusion"], data.classes), "Confusion matrix of the model (rows: true class)")]
    if len(data.classes) == 2:
        figures.append(_figure(roc_pr_picture(data.y_test, data.probabilities[:, 1], data.classes[1]),
                               f"ROC and precision–recall curves, class {data.classes[1]} as positive"))
    return (text + from_table._repr_html_() + "<h3>Per class (model)</h3><table><thead><tr><th>class</th><th>precision</th>"
            f"<th>recall</th><th>test samples</th></tr></thead><tbody>{rows}</tbody></table>" + "".join(figures))


def _wrong_section(data: ClassifyReport) -> str:
    predicted = data.probabilities.argmax(axis=1)
    wrong = np.flatnonzero(predicted != data.y_test)
    if not len(wrong) or not data.wrong_shown:
        return "<p>No test sample is wrong.</p>" if not len(wrong) else ""
    wrong = wrong[np.argsort(-data.probabilities[wrong].max(axis=1))][: data.wrong_shown]
    captions = [f"test sample {i}: true {data.classes[data.y_test[i]]}, predicted {data.classes[predicted[i]]} "
                f"with p = {data.probabilities[i].max():.3f}" for i in wrong]
    if isinstance(data.test_samples, list):
        rows = "".join(f"<tr><td>{_e(data.test_samples[i])}</td><td>{_e(data.classes[data.y_test[i]])}</td>"
                       f"<td>{_e(data.classes[predicted[i]])}</td><td>{data.probabilities[i].max():.3f}</td></tr>" for i in wrong)
        return ("<p>The test samples the model got wrong with the most confidence.</p><table><thead><tr><th>sentence</th>"
                f"<th>true</th><th>predicted</th><th>p</th></tr></thead><tbody>{rows}</tbody></table>")
    return ("<p>The test samples the model got wrong with the most confidence (raw values, before scaling).</p>"
            + _figure(sequences_picture(data.test_samples[wrong], captions), "Most confidently wrong test sequences"))


def _trace_section(data: ClassifyReport) -> str:
    parts = []
    for kind, traced in data.traces.items():
        i = traced["sample"]
        about = (f"the most confidently {kind} test sample ({i}: true {data.classes[data.y_test[i]]}, predicted "
                 f"{data.classes[int(data.probabilities[i].argmax())]})")
        for layer, panels in traced["layers"].items():
            parts.append(_figure(plots.gate_heatmaps(layer, panels), f"Layer '{layer}' reading {about}"))
    if not parts:
        return ""
    return ("<p>Gates (0 closed, 1 open), cell and hidden state of each recurrent layer while it reads one sample "
            "(rows: units, columns: timesteps).</p>" + "".join(parts))


def _data_section(data: ClassifyReport) -> str:
    info = data.record["data"]
    parts = ", ".join(f"{name} {count}" for name, count in info["parts"].items())
    counts = ", ".join(f"{c}: {n}" for c, n in info["class_counts"].items())
    split = "the set's own train/test split, validation drawn from its train part (stratified)" if info["own_split"] \
        else "a stratified split (each part keeps the classes' proportions)"
    settings = ", ".join(f"{k} = {v}" for k, v in data.record["settings"].items() if v is not None)
    return (f"<p>{_e(info['description'])}: {info['samples']} samples ({_e(counts)}); {_e(split)}: {_e(parts)}. "
            + ("The vocabulary is built on the train part only; words unseen there map to the OOV id."
               if data.record["settings"].get("input") == "word ids" else
               "The scaling is fitted on the train part's values only.") + "</p>"
            f"<p class='small'>{_e(settings)}</p>")


def render_classify(data: ClassifyReport) -> str:
    """The classify report as one HTML string."""
    beats = data.record.get("beats_all_baselines")
    verdict = (f'<div class="{"verdict" if beats else "verdict bad"}">'
               + "".join(f"<p>{_e(s)}</p>" for s in data.record["verdict"]) + "</div>")
    training = ""
    if data.history is not None and len(data.history):
        training = (f"<p>{len(data.history)} epoch(s) trained.</p>"
                    + _figure(plots.loss_curves(data.history), "Cross-entropy per epoch"))
    sections = [
        ("data", "Data", _data_section(data)),
        ("training", "Training", training),
        ("scores", "Test scores", _scores_section(data)),
        ("wrong", "Confidently wrong", _wrong_section(data)),
        ("model", "Model", f"<pre>{_e(data.model_summary)}</pre>" if data.model_summary else ""),
        ("inside", "Inside the recurrent layers", _trace_section(data)),
        ("spec", "Spec", f"<pre>{_e(data.spec_text)}</pre>" if data.spec_text else ""),
    ]
    return page(data.title, _e("task: classify"), data.description, verdict, sections)
