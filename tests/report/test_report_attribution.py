"""The report's "inside" section shows the attribution of one forecast to the steps of a window."""
import dataclasses
import re

import numpy as np

from seqlab.report import render


def test_attribution_figure_follows_the_gate_heat_maps(report_data):
    values = np.array([[0.1, -0.2], [0.0, 0.3], [-0.4, 0.1], [0.2, 0.2], [0.5, -0.1]])
    trace = {**report_data.trace, "attribution": {"values": values, "features": ["close", "volume"],
                                                  "explains": "the first forecast step of close"}}
    page = render(dataclasses.replace(report_data, trace=trace))
    inside = page[page.index('<section id="inside">'):]
    inside = inside[:inside.index("</section>")]
    captions = re.findall(r"<figcaption>(.*?)</figcaption>", inside)
    assert captions == ["Layer &#x27;lstm&#x27;",
                        "Attribution of the first forecast step of close to each input step of the window"]
    assert "seqlab inspect RUN_DIR" in inside


def test_without_captum_the_section_says_why(report_data):
    trace = {**report_data.trace, "attribution": {"missing": "attribute needs Captum: pip install 'seqlab[inspect]'"}}
    page = render(dataclasses.replace(report_data, trace=trace))
    assert "Attributions not shown: attribute needs Captum: pip install &#x27;seqlab[inspect]&#x27;" in page
    assert page.count("<img ") == 5  # the fixture's five figures (test_browser.py), no attribution figure
