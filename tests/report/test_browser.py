"""The report in a real browser: headless Chromium loads it, every figure decodes, nothing fails.

Needs Debian's ``chromium``; skipped with that reason when it is absent, except under CI (env
``CI`` set), where its absence is a failure (``.ci/run`` installs it).
"""
import os
import re
import shutil
import subprocess

import pytest

from seqlab.report import write

pytestmark = pytest.mark.browser

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def _chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    if os.environ.get("CI"):
        pytest.fail("headless Chromium is required in CI (apt-get install chromium)")
    pytest.skip("headless Chromium is not installed (apt-get install chromium)")


def _run(browser, tmp_path, *arguments) -> str:
    command = [browser, *FLAGS, f"--user-data-dir={tmp_path / 'profile'}", *arguments]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def test_report_renders_with_every_figure_loaded(report_data, tmp_path):
    browser = _chromium()
    page = tmp_path / "report.html"
    write(page, report_data)
    dom = _run(browser, tmp_path, "--virtual-time-budget=5000", "--dump-dom", page.as_uri())
    body = re.search(r"<body[^>]*>", dom).group(0)
    images = len(re.findall(r"<img ", page.read_text(encoding="utf-8")))
    assert 'data-images-ok="true"' in body, body
    assert f'data-image-count="{images}"' in body, body
    assert images == 5
    for section in ("data", "training", "forecasts", "metrics", "backtest", "model", "inside"):
        assert f'id="{section}"' in dom


def test_report_screenshot_is_drawn(report_data, tmp_path):
    browser = _chromium()
    page = tmp_path / "report.html"
    write(page, report_data)
    shot = tmp_path / "shot.png"
    _run(browser, tmp_path, "--window-size=1200,2000", f"--screenshot={shot}", page.as_uri())
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000  # a blank page is a few KB
