"""The classify report in a real browser: headless Chromium loads it and every figure decodes
(confusion matrix, ROC/PR, loss curves, confidently wrong sequences, gates of a right and a
wrong sample). Skipped without Chromium, except under CI (as tests/report/test_browser.py)."""
import re

import numpy as np
import pandas as pd
import pytest
from test_browser import _chromium, _run

from seqlab.experiment.classify import scores
from seqlab.report.classify_section import ClassifyReport, render_classify

pytestmark = pytest.mark.browser


def _report(text: bool) -> ClassifyReport:
    rng = np.random.default_rng(0)
    y = np.arange(20) % 2
    p1 = np.clip(0.5 + (y - 0.5) * 0.6 + rng.normal(0, 0.3, 20), 0.01, 0.99)  # some wrong
    probabilities = np.c_[1 - p1, p1]
    table = {"model": {**scores.score(y, probabilities), "n": 20},
             "majority": {**scores.score(y, np.tile([1.0, 0.0], (20, 1))), "n": 20}}
    details = scores.per_class(y, probabilities, ["neg", "pos"])
    record = {"test": table, "verdict": scores.verdict(table, {}), "beats_all_baselines": scores.beats_best(table),
              "labels": {"majority": "majority class"}, "per_class": details["classes"], "confusion": details["confusion"],
              "data": {"description": "toy", "samples": 20, "parts": {"train": 0, "validation": 0, "test": 20},
                       "own_split": False, "class_counts": {"neg": 10, "pos": 10}},
              "settings": {"length": 8}}
    panels = {"input gate": rng.uniform(0, 1, (8, 4)), "cell": rng.normal(0, 1, (8, 4)), "hidden": rng.uniform(-1, 1, (8, 4))}
    wrong = int(np.flatnonzero(probabilities.argmax(1) != y)[0])
    samples = [f"sentence number {i}" for i in range(20)] if text else rng.normal(0, 1, (20, 8, 1))
    return ClassifyReport("toy", record, probabilities, y, ["neg", "pos"], samples,
                          history=pd.DataFrame({"loss": [0.7, 0.6, 0.5], "val_loss": [0.72, 0.65, 0.6]}),
                          traces={"right": {"sample": int(np.argmax(p1 * y)), "layers": {"lstm": panels}},
                                  "wrong": {"sample": wrong, "layers": {"lstm": panels}}},
                          model_summary="Model: toy", spec_text='task = "classify"')


@pytest.mark.parametrize("text, figures", [(False, 6), (True, 5)])
def test_classify_report_opens_with_every_figure_drawn(tmp_path, text, figures):
    browser = _chromium()
    page = tmp_path / "report.html"
    page.write_text(render_classify(_report(text)), encoding="utf-8")
    images = len(re.findall(r"<img ", page.read_text(encoding="utf-8")))
    assert images == figures  # loss, confusion, ROC/PR, 2 gate maps (+ the wrong sequences' plot)
    dom = _run(browser, tmp_path, "--virtual-time-budget=5000", "--dump-dom", page.as_uri())
    body = re.search(r"<body[^>]*>", dom).group(0)
    assert 'data-images-ok="true"' in body and f'data-image-count="{images}"' in body, body
    for section in ("data", "training", "scores", "wrong", "model", "inside", "spec"):
        assert f'id="{section}"' in dom
    assert ("sentence number" in dom) == text  # wrong sentences are shown as text
