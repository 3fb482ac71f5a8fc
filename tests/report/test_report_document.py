"""The report's HTML: every section, honest sentences, escaped text, nothing external."""
import re

import numpy as np
import pandas as pd

from seqlab.report import ReportData, render, write


def test_every_section_is_present(report_data):
    page = render(report_data)
    for section in ("data", "training", "forecasts", "metrics", "backtest", "model", "inside", "spec"):
        assert f'<section id="{section}">' in page, section
    # data, loss, forecasts, backtest folds, one heat map per recurrent layer
    assert page.count("<img ") == 5
    assert "Total params: 4,385" in page
    assert "seasonal naive (season 5)" in page


def test_nothing_external_is_referenced(report_data):
    page = render(report_data)
    references = re.findall(r'(?:src|href)\s*=\s*"([^"]*)"', page)
    assert references, "the report has images and links"
    assert all(ref.startswith(("data:image/png;base64,", "#")) for ref in references), references
    assert "<link" not in page and "@import" not in page and "url(" not in page


def test_text_is_escaped(report_data):
    page = render(report_data)
    assert "tiny &lt;report&gt; &amp; test" in page
    assert "<report>" not in page


def test_the_report_says_plainly_when_the_model_loses(report_data):
    table = report_data.metrics["close"]
    table["model"]["mae"] = table["persistence"]["mae"] * 2
    page = render(report_data)
    assert 'class="verdict bad"' in page
    assert re.search(r"close: the model \(MAE [0-9.]+\) does NOT beat persistence", page)


def test_the_report_says_when_the_model_wins(report_data):
    for row in report_data.metrics["close"].values():
        row["mae"] = 10.0
    report_data.metrics["close"]["model"]["mae"] = 1.0
    page = render(report_data)
    assert 'class="verdict"' in page and "the model beats every baseline" in page


def test_minimal_report_without_optional_parts(tmp_path):
    series = pd.DataFrame({"y": np.arange(10.0)})
    predictions = pd.DataFrame({"time": [8, 9], "actual": [8.0, 9.0], "model": [7.5, 8.0], "persistence": [7.0, 8.0]})
    data = ReportData("minimal", series, {"train": (0, 8), "test": (8, 10)}, predictions,
                      {"y": {"model": {"mae": 0.75}, "persistence": {"mae": 1.0}}}, metric_names=["mae"])
    path = write(tmp_path / "report.html", data)
    page = open(path, encoding="utf-8").read()
    assert '<section id="training">' not in page and '<section id="inside">' not in page
    assert page.count("<img ") == 2

