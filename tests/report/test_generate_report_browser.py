"""The report of a generate run in headless Chromium: every figure decodes (as test_browser.py
checks the forecast report; the same skip rule: Chromium absent skips, except under CI)."""
import math
import re

import numpy as np
import pandas as pd

from seqlab.report.generate_section import render_generate
from test_browser import _chromium, _run  # the same Chromium finder and runner (tests/report is on sys.path)

RECORD = {
    "task": "generate", "unit": "character",
    "test": {"bits": {"model": 1.9, "unigram": 4.6, "3-gram KN": 2.9, "5-gram KN": 2.5},
             "perplexity": {"model": 2 ** 1.9, "unigram": 2 ** 4.6, "3-gram KN": 2 ** 2.9, "5-gram KN": 2 ** 2.5}},
    "verdict": ["The model scores 1.900 bits per character on the test part: better than the best baseline."],
    "beats_all_baselines": True,
    "data": {"description": "verse.txt: 1000 characters", "tokens": 1000, "vocabulary": 30,
             "bounds": {"train": [0, 850], "validation": [850, 900], "test": [900, 1000]},
             "scored_positions": [901, 991], "unknown_in_test": 0},
    "training": {"epochs_trained": 3, "best_epoch": 3, "parameters": 1234},
    "samples": [{"temperature": t, "prime": "ROMEO:", "text": "<b>\n & more"} for t in (0.2, 0.5, 1.0)],
    "units": {"lstm": {"line position": [[3, 0.8], [1, -0.5]], "inside quotes": [[0, None]], "upper case": [[2, 0.4]]}},
    "settings": {"level": "char", "sequence_length": 30, "ngram_discount": 0.75, "trace_tokens": 1000},
}


def test_the_generate_report_opens_with_its_figure_drawn(tmp_path):
    browser = _chromium()
    history = pd.DataFrame({"loss": [3.0, 2.0, 1.5], "val_loss": [3.1, 2.2, 1.6]})
    page = tmp_path / "report.html"
    text = render_generate(RECORD, history, 'task = "generate"\n', "Model: tiny", "gen")
    page.write_text(text, encoding="utf-8")
    dom = _run(browser, tmp_path, "--virtual-time-budget=5000", "--dump-dom", page.as_uri())
    body = re.search(r"<body[^>]*>", dom).group(0)
    assert 'data-images-ok="true"' in body and 'data-image-count="1"' in body, body
    for section in ("data", "training", "metrics", "samples", "units", "model", "spec"):
        assert f'id="{section}"' in dom
    assert "&lt;b&gt;" in text  # a sample's text is escaped, never markup
    assert "unit 3 (r = +0.80)" in text and "r = n/a" in text
    assert np.isclose(math.log2(RECORD["test"]["perplexity"]["model"]), 1.9)
