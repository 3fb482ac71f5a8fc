"""The explorer in a real browser: headless Chromium, driven through the DevTools protocol
(``chromium_cdp.py``), loads the page, hovers, brushes and reads back what the page shows; its
unit search agrees with seqlab.inspect.find_units.

Needs Debian's ``chromium``; skipped with that reason when it is absent, except under CI (env
``CI`` set), where its absence is a failure (``.ci/run`` installs it).
"""
import io
import json
import os
import time

import numpy as np
import pytest
from matplotlib.image import imread

import seqlab
from chromium_cdp import Browser, find_chromium
from seqlab.inspect import correlate_units, find_units, top_units, trace
from seqlab.inspect.explorer import explore, read_page
from seqlab.inspect.explorer.layers import layer_entry
from seqlab.inspect.explorer.packing import ArrayStore
from seqlab.inspect.explorer.page import page_html
from seqlab.inspect.recording import Trace
from seqlab.layers import LSTM, Dense, Embedding
from seqlab.models import Sequential
from test_inspect_units import planted  # the planted (3, 20, 6) array of find_units' own tests

pytestmark = pytest.mark.browser

# Sample 0 reads 1 over steps 5..8 and 14..16, sample 1 over 2..5, sample 2 over 10..12.
ONES = [(0, 5, 9), (0, 14, 17), (1, 2, 6), (2, 10, 13)]


@pytest.fixture(scope="module")
def browser():
    if find_chromium() is None:
        if os.environ.get("CI"):
            pytest.fail("headless Chromium is required in CI (apt-get install chromium)")
        pytest.skip("headless Chromium is not installed (apt-get install chromium)")
    with Browser.launch() as launched:
        yield launched


def planted_model():
    """An LSTM whose unit 0 is on (h ~ 0.75) exactly where the input is 1 and whose unit 1 is on
    where it is 0: gates and candidate driven by the input (weights ±10, biases ∓5), a forget
    bias of -10 so nothing is carried over; unit 2 has no weights (h = 0)."""
    model = Sequential([LSTM(3, return_sequences=True, input_shape=(20, 1), name="lstm"), Dense(1)])
    model.build((None, 20, 1))
    kernel, recurrent, bias = [np.zeros_like(w) for w in model.layers[0].get_weights()]
    for gate in (0, 2, 3):                      # input, candidate, output (Keras order i, f, c, o)
        kernel[0, gate * 3 + 0], kernel[0, gate * 3 + 1] = 10.0, -10.0
    bias[0 * 3 + 0], bias[0 * 3 + 1] = -5.0, 5.0  # input gates: open where unit 0 (1) should be on
    bias[3 * 3 + 0], bias[3 * 3 + 1] = -5.0, 5.0  # output gates likewise
    bias[2 * 3 + 1] = 5.0                       # candidates tanh(10 x) and tanh(5 - 10 x)
    bias[1 * 3:2 * 3] = -10.0                   # forget gates shut
    model.layers[0].set_weights([kernel, recurrent, bias])
    x = np.zeros((3, 20, 1), "float32")
    for sample, start, end in ONES:
        x[sample, start:end] = 1.0
    return model, x


@pytest.fixture(scope="module")
def planted_page(tmp_path_factory):
    model, x = planted_model()
    path = tmp_path_factory.mktemp("explorer") / "planted.html"
    explore(model, x, output=path, attribution=None, feature_names=["pulse"], signals={"pulse copy": x[:, :, 0]})
    return path, model, x


def open_page(browser, path, width=1400, height=1100):
    page = browser.open(path.as_uri(), width=width, height=height)
    deadline = time.monotonic() + 60
    while page.evaluate("document.body.dataset.ready") != "true":
        assert time.monotonic() < deadline, "the explorer did not finish drawing"
        time.sleep(0.05)
    return page


def step_x(page, selector, step):
    """Viewport (x, y) of the middle of ``step`` in the view ``selector``, scrolled into sight."""
    left, top, width, height, v0, v1, margin = page.evaluate(f"""(() => {{
        const e = document.querySelector({json.dumps(selector)}); e.scrollIntoView({{block: "center"}});
        const r = e.getBoundingClientRect(), s = seqlabExplorer.state;
        return [r.left, r.top, r.width, r.height, s.v0, s.v1, SeqlabExplorer.LEFT]; }})()""")
    plot = width - margin - 10
    return left + margin + (step + 0.5 - v0) * plot / (v1 - v0), top + height / 2


def test_js_search_and_correlations_agree_with_python_on_a_planted_trace(browser, planted_page):
    page = open_page(browser, planted_page[0])
    a = planted(seed=5)
    flat = json.dumps(a.astype(np.float32).ravel().tolist())
    queries = [((5, 9), 0.6, 0), ((5, 9), 0.3, 0), ((2, 6), 0.6, 1), ((0, 20), 0.0, 2), ((10, 13), 0.95, 2)]
    for (start, end), threshold, sample in queries:
        got = page.evaluate(f"SeqlabExplorer.findUnits(new Float32Array({flat}), 3, 20, 6, {sample}, {start}, {end}, {threshold})")
        want = find_units(a.astype(np.float32), span=(start, end), threshold=threshold, sample=sample)
        assert got["units"] == want.units, (start, end, threshold)
        np.testing.assert_allclose(got["unitScores"], want.unit_scores, rtol=1e-12, atol=1e-12)
        assert [(m["sample"], m["start"], m["end"]) for m in got["matches"]] == [m[:3] for m in want.matches]
        np.testing.assert_allclose([m["score"] for m in got["matches"]], [m.score for m in want.matches], rtol=1e-12)
    signal = np.random.default_rng(1).normal(size=(3, 20))
    got = page.evaluate(f"Array.from(SeqlabExplorer.correlations(new Float32Array({flat}), 6, "
                        f"new Float32Array({json.dumps(signal.astype(np.float32).ravel().tolist())}), null))")
    want = correlate_units(a.astype(np.float32), {"s": signal.astype(np.float32)})["s"].to_numpy()
    np.testing.assert_allclose(got, want, rtol=1e-9)


def test_hover_links_every_view_and_a_brush_finds_the_planted_unit(browser, planted_page):
    path, model, x = planted_page
    page = open_page(browser, path)
    # Hover step 7 of the hidden state's heat map: every view along time marks step 7.
    page.mouse("mouseMoved", *step_x(page, '#heatmaps .view[data-state="hidden"]', 7))
    marked = page.evaluate("Object.fromEntries([...document.querySelectorAll('.view')].map("
                           "(e, i) => [e.dataset.state || e.parentElement.id, e.dataset.hoverStep]))")
    assert marked == {"input-view": "7", "gradient-view": "7", "input": "7", "forget": "7", "candidate": "7",
                      "output": "7", "cell": "7", "hidden": "7"}
    assert page.evaluate("document.getElementById('readout').textContent").startswith("step 7  of sample 0\n  pulse = 1.000")
    # Brush steps 5..8 of sample 0 on the hidden state: unit 0 alone, found again where x is 1.
    start, end = step_x(page, '#heatmaps .view[data-state="hidden"]', 5), step_x(page, '#heatmaps .view[data-state="hidden"]', 8)
    page.drag(start, end)
    span = page.evaluate("Object.assign({}, document.getElementById('search-span').dataset)")
    assert span == {"sample": "0", "start": "5", "end": "9", "state": "hidden", "threshold": "0.5", "layer": "lstm"}
    units = page.evaluate("[...document.querySelectorAll('#search-units li')].map(li => Number(li.dataset.unit))")
    matches = page.evaluate("[...document.querySelectorAll('#search-matches li')].map(li => "
                            "[Number(li.dataset.sample), Number(li.dataset.start), Number(li.dataset.end)])")
    want = find_units(trace(model, x)["lstm"], span=(5, 9), threshold=0.5, sample=0)
    assert units == want.units == [0]
    assert [tuple(m) for m in matches] == [m[:3] for m in want.matches] == [(1, 2, 6), (0, 14, 17), (2, 10, 13)]
    # A click on a match shows that sample; a click on a row picks the unit that colours the input.
    page.evaluate("document.querySelector('#search-matches li').click()")
    assert page.evaluate("seqlabExplorer.state.sample") == 1
    page.drag(step_x(page, '#heatmaps .view[data-state="hidden"]', 3), step_x(page, '#heatmaps .view[data-state="hidden"]', 3), 1)
    assert page.evaluate("document.getElementById('picked').dataset.unit") == "1"  # the middle of 3 rows
    shot = imread(io.BytesIO(page.screenshot(full_page=True)), format="png")
    assert shot.shape[1] > 1300 and shot.shape[0] > 1100  # the whole page, less the scrollbar
    assert shot[..., :3].std() > 0.1                   # not a blank page
    assert len(np.unique(shot[..., :3].reshape(-1, 3), axis=0)) > 200  # heat maps draw many colours


def test_a_character_page_links_the_text_to_the_heat_maps(browser, tmp_path):
    seqlab.utils.set_random_seed(0)
    text = "to be, or not to be: that is the question."
    alphabet = sorted(set(text))
    ids = np.array([[alphabet.index(c) for c in text]])
    model = Sequential([Embedding(len(alphabet), 4), LSTM(6, return_sequences=True), Dense(len(alphabet))])
    path = explore(model, ids, output=tmp_path / "chars.html", vocabulary=alphabet, attribution="saliency")
    assert path == str(tmp_path / "chars.html")
    page = open_page(browser, tmp_path / "chars.html")
    assert page.evaluate("document.getElementById('text-view').textContent") == text
    page.evaluate("document.querySelector('#text-view span[data-step=\"10\"]').scrollIntoView({block: 'center'})")
    rect = page.evaluate("(() => { const r = document.querySelector('#text-view span[data-step=\"10\"]')"
                         ".getBoundingClientRect(); return [r.left + r.width / 2, r.top + r.height / 2]; })()")
    page.mouse("mouseMoved", *rect)
    assert page.evaluate("[...document.querySelectorAll('#heatmaps .view')].map(e => e.dataset.hoverStep)") == ["10"] * 6
    assert page.evaluate("document.querySelector('#attribution-view .view').dataset.hoverStep") == "10"
    assert 'token "n"' in page.evaluate("document.getElementById('readout').textContent")


def test_ten_thousand_steps_by_256_units_load_and_respond(browser, tmp_path):
    """A page of one LSTM-like layer of 256 units over 10,000 steps (synthetic arrays through the
    page's own packing). The load and hover times are printed, not asserted tightly."""
    rng = np.random.default_rng(0)
    steps, units = 10_000, 256
    sigmoid = lambda a: 1 / (1 + np.exp(-a))  # noqa: E731
    gates = {name: sigmoid(rng.normal(size=(1, steps, units))).astype("float32") for name in ("input", "forget", "output")}
    gates["candidate"] = np.tanh(rng.normal(size=(1, steps, units))).astype("float32")
    cell = rng.normal(size=(1, steps, units)).cumsum(axis=1).astype("float32") / 30
    record = Trace("lstm", gates, np.tanh(cell).astype("float32"), cell)
    store = ArrayStore()
    meta = {"title": "10,000 x 256", "version": "test", "notes": [], "samples": 1, "steps": steps,
            "sample_labels": None, "step_labels": None,
            "input": {"kind": "numbers", "features": ["x"], "array": store.add(rng.normal(size=(1, steps, 1)))},
            "signals": [], "layers": [layer_entry("lstm", record, rng.uniform(size=(1, steps)), store, True)],
            "gradient_of": "the loss", "attribution": {"missing": "not computed in this test"}}
    path = tmp_path / "large.html"
    path.write_text(page_html(meta, store), encoding="utf-8")
    began = time.perf_counter()
    page = open_page(browser, path)
    load_ms = (time.perf_counter() - began) * 1000
    zoom_ms = page.evaluate("(() => { const t0 = performance.now(); document.getElementById('zoom-all').click();"
                            " return performance.now() - t0; })()")
    assert page.evaluate("[seqlabExplorer.state.v0, seqlabExplorer.state.v1]") == [0, steps]
    hover_ms = page.evaluate("(() => { const t0 = performance.now(); for (let t = 0; t < 50; t++) seqlabExplorer.hover(t * 100, 3, 5);"
                             " return (performance.now() - t0) / 50; })()")
    redraw_ms = page.evaluate("(() => { const t0 = performance.now(); seqlabExplorer.drawAll(); return performance.now() - t0; })()")
    print(f"\n10,000 x 256 page: {path.stat().st_size / 2**20:.1f} MiB, opened and drawn in {load_ms:.0f} ms "
          f"(page's own count {page.evaluate('document.body.dataset.loadMs')} ms), hover {hover_ms:.1f} ms, "
          f"all 10,000 steps drawn in {zoom_ms:.0f} ms, full redraw {redraw_ms:.0f} ms")
    assert load_ms < 120_000 and hover_ms < 1000  # generous: a hang, not a speed claim


def test_the_signals_table_lists_the_units_python_ranks_first(browser, tmp_path):
    """The side panel's table: per signal, the 3 units of the hidden state with the largest |r|,
    equal to top_units(correlate_units(...)) of the very arrays the page holds; a click on a
    signal ranks the heat maps by it, a click on a unit picks it."""
    model, x = planted_model()
    noise = np.random.default_rng(2).normal(size=x.shape[:2])
    path = explore(model, x, output=tmp_path / "signals.html", attribution=None, feature_names=["pulse"],
                   signals={"pulse copy": x[:, :, 0], "noise": noise})
    meta, arrays = read_page((tmp_path / "signals.html").read_text(encoding="utf-8"))
    hidden = next(arrays[s["array"]] for s in meta["layers"][0]["states"] if s["name"] == "hidden")
    signals = {s["name"]: arrays[s["array"]] for s in meta["signals"]}
    want = top_units(correlate_units(hidden, signals), k=3)
    page = open_page(browser, tmp_path / "signals.html")
    got = page.evaluate("[...document.querySelectorAll('#signal-units tr')].map(tr => [tr.dataset.signal, "
                        "[...tr.querySelectorAll('span')].map(s => [Number(s.dataset.unit), Number(s.dataset.r)])])")
    assert [name for name, _ in got] == ["input: pulse", "pulse copy", "noise"] == list(want)
    for name, units in got:
        assert [u for u, _ in units] == want[name].index.tolist(), name
        # unit 2 never moves (h = 0): no correlation, NaN in Python, NaN (JSON null) on the page, ranked last
        np.testing.assert_allclose([np.nan if r is None else r for _, r in units], want[name].to_numpy(),
                                   rtol=1e-6, atol=1e-7)
    assert got[1][1][0][0] == 0 and got[1][1][0][1] > 0.99   # the planted unit follows the pulse
    page.evaluate("document.querySelector('#signal-units tr[data-signal=\"noise\"] td').click()")
    noise_index = [s["name"] for s in meta["signals"]].index("noise")
    assert page.evaluate("document.getElementById('rank').value") == f"signal:{noise_index}"
    assert page.evaluate("seqlabExplorer.order.slice(0, 3)") == want["noise"].index.tolist()
    page.evaluate("document.querySelector('#signal-units tr[data-signal=\"noise\"] span:nth-child(2)').click()")
    assert page.evaluate("document.getElementById('picked').dataset.unit") == str(want["noise"].index[1])
