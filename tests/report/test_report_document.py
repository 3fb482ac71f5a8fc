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



def test_the_backtest_says_what_kind_it_was_from_the_record(report_data):
    # issue 15, finding 10: a train-once backtest was described as refitting its scalers per fold
    report_data.backtest.update(scalers="run", train_rows=[0, 84])
    page = render(report_data)
    assert ("A backtest without retraining: the run&#x27;s model, trained once on the train part (rows 0–83), is "
            "scored on 3 consecutive blocks of the test part with the run&#x27;s own scalers, fitted on the train "
            "part") in page
    assert "fitted on that fold" not in page and "refitted" not in page
    report_data.backtest.update(refit=True, scalers="per fold", retrained={"epochs": 40, "seeds": [1, 2, 3]})
    page = render(report_data)
    assert ("A walk-forward backtest that retrains: 3 forecast origins (expanding window); at each, a fresh model "
            "is trained for 40 epochs on the rows before it, with scalers fitted on that fold&#x27;s training rows "
            "only, then scored on the rows that follow.") in page


def test_an_old_backtest_record_gets_the_rule_its_code_applied(report_data):
    # run folders from before the record said which scalers: without refit the run's own were used
    assert report_data.backtest.get("scalers") is None and report_data.backtest["refit"] is False
    assert "with the run&#x27;s own scalers" in render(report_data)
