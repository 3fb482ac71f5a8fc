"""The one-file HTML report of a run (figures embedded, no network needed to view it).

>>> import pandas as pd
>>> from seqlab.report import ReportData, render
>>> series = pd.DataFrame({"y": [1.0, 2.0, 3.0, 4.0]})
>>> predictions = pd.DataFrame({"time": [3], "actual": [4.0], "model": [3.5], "persistence": [3.0]})
>>> page = render(ReportData("demo", series, {"train": (0, 3), "test": (3, 4)}, predictions,
...                          {"y": {"model": {"mae": 0.5}, "persistence": {"mae": 1.0}}}, metric_names=["mae"]))
>>> page.startswith("<!DOCTYPE html>") and "http://" not in page and "https://" not in page
True
"""
from seqlab.report.document import ReportData, render, write

__all__ = ["ReportData", "render", "write"]
