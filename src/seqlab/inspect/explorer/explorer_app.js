// seqlab explorer, part 5 of 5: the page's state (sample, layer, window of steps, hovered step,
// picked unit, search) and the wiring: every change goes through one of the app's methods,
// which redraws what depends on it. `window.seqlabExplorer` is the app, for scripts and tests.
"use strict";
(function (X) {
  const meta = JSON.parse(document.getElementById("seqlab-explorer-meta").textContent);
  const $ = id => document.getElementById(id);
  const DEFAULT_WINDOW = 500;
  const app = {
    meta: meta, order: [], rowOf: [], maps: [], views: {},
    state: { sample: 0, layer: 0, v0: 0, v1: Math.min(meta.steps, DEFAULT_WINDOW), hoverT: null, hoverUnit: null,
      hoverState: null, picked: null, search: null, rank: "index", rankState: null },
  };
  window.seqlabExplorer = app;
  X.app = app;

  app.layer = () => meta.layers[app.state.layer];
  app.sampleName = i => meta.sample_labels ? meta.sample_labels[i] : String(i);
  app.stateValues = index => X.array(app.layer().states[index].array).values;

  // The picked unit's activation at every step of the current sample, with its colour range.
  app.pickedSeries = function () {
    const s = app.state;
    if (s.picked === null) return null;
    const layer = app.layer(), state = layer.states[s.picked.stateIndex], H = layer.units, L = meta.steps;
    const values = X.array(state.array).values, series = new Float32Array(L);
    for (let t = 0; t < L; t++) series[t] = values[(s.sample * L + t) * H + s.picked.unit];
    return { values: series, range: state };
  };

  // The order of the rows of every heat map of the layer.
  app.rank = function () {
    const s = app.state, layer = app.layer(), H = layer.units;
    const units = Array.from({ length: H }, (_, u) => u);
    const mask = layer.mask === null ? null : X.array(layer.mask).values;
    let key = null;
    if (s.rank === "mean" || s.rank === "variance") key = X.unitStats(app.stateValues(s.rankState), H, mask)[s.rank];
    else if (s.rank.startsWith("signal:")) {
      const r = X.correlations(app.stateValues(s.rankState), H, X.array(meta.signals[Number(s.rank.slice(7))].array).values, mask);
      key = r.map(v => Math.abs(v));
    } else if (s.rank === "search" && s.search) {
      key = new Float64Array(H);
      s.search.result.units.forEach((u, i) => { key[u] = H - i; });
    }
    if (key) units.sort((a, b) => (Number.isNaN(key[a]) - Number.isNaN(key[b])) || (key[b] - key[a]) || (a - b));
    app.order = units;
    app.rowOf = new Int32Array(H);
    units.forEach((u, row) => { app.rowOf[u] = row; });
  };

  app.redrawMarks = function () {
    for (const view of app.allViews()) X.drawMarks(app, view);
    const text = $("text-view");
    for (const span of text.querySelectorAll("span.hover")) span.classList.remove("hover");
    if (app.state.hoverT !== null) {
      const span = text.querySelector('span[data-step="' + app.state.hoverT + '"]');
      if (span) span.classList.add("hover");
      text.dataset.hoverStep = String(app.state.hoverT);
    } else delete text.dataset.hoverStep;
    X.readout(app);
  };
  app.allViews = () => Object.values(app.views).filter(Boolean).concat(app.maps.map(map => map.view));

  app.hover = function (t, unit, stateIndex) {
    const s = app.state;
    s.hoverT = t; s.hoverUnit = t === null ? null : unit; s.hoverState = stateIndex === undefined ? null : stateIndex;
    app.redrawMarks();
  };

  app.pick = function (unit, stateIndex) {
    app.state.picked = { unit: unit, stateIndex: stateIndex };
    $("picked").textContent = "Unit " + unit + " (" + app.layer().states[stateIndex].name + ") colours the input.";
    $("picked").dataset.unit = unit;
    app.drawInput();
    app.redrawMarks();
    X.markSaturation(app);
  };

  app.search = function (stateIndex, start, end) {
    const s = app.state, layer = app.layer(), threshold = parseFloat($("threshold").value);
    const result = X.findUnits(app.stateValues(stateIndex), meta.samples, meta.steps, layer.units, s.sample, start, end, threshold);
    s.search = { stateIndex: stateIndex, sample: s.sample, start: start, end: end, threshold: threshold, result: result };
    X.showSearch(app);
    if (s.rank === "search") { app.rank(); app.drawMaps(); }
    app.redrawMarks();
    X.markSaturation(app);
  };

  // Show sample `sample` with steps [start, end) in the window.
  app.show = function (sample, start, end) {
    const s = app.state, length = Math.max(s.v1 - s.v0, end - start);
    s.sample = sample;
    $("sample").value = String(sample);
    setWindow(Math.round((start + end - length) / 2), length);
  };

  function setWindow(v0, length) {
    const s = app.state, L = meta.steps;
    length = Math.max(Math.min(length, L), Math.min(8, L));
    s.v0 = Math.max(0, Math.min(v0, L - length));
    s.v1 = s.v0 + length;
    const pan = $("pan");
    pan.max = String(L - length); pan.value = String(s.v0);
    $("view-range").textContent = s.v0 + "–" + (s.v1 - 1) + " of " + L;
    app.drawAll();
  }

  app.drawInput = function () {
    if (meta.input.kind === "numbers") X.drawNumbers(app, app.views.input);
    else { X.drawTokens(app, app.views.input); X.fillText(app, $("text-view")); }
  };
  app.drawMaps = function () { for (const map of app.maps) X.drawHeatmap(app, map); };
  app.drawAll = function () {
    app.drawInput();
    X.drawGradient(app, app.views.gradient);
    if (app.views.attribution) X.drawAttribution(app, app.views.attribution);
    app.drawMaps();
    app.redrawMarks();
  };

  function buildLayer() {
    const s = app.state, layer = app.layer(), container = $("heatmaps");
    s.picked = null; s.search = null; $("picked").textContent = "";
    container.innerHTML = "";
    $("layer-title").textContent = "Layer " + layer.name + " (" + layer.kind + ", " + layer.units + " units)";
    const rankState = $("rank-state");
    rankState.innerHTML = layer.states.map((st, i) => '<option value="' + i + '">' + st.name + "</option>").join("");
    s.rankState = layer.states.length - 1;  // the hidden state
    rankState.value = String(s.rankState);
    app.rank();
    app.maps = layer.states.map((_, i) => X.makeHeatmap(app, container, i));
    X.showSearch(app);
    X.showSignals(app);
    X.drawSaturation(app);
  }

  function buildControls() {
    const options = (items) => items.map(([value, text]) => '<option value="' + value + '">' + text + "</option>").join("");
    $("sample").innerHTML = options(Array.from({ length: meta.samples }, (_, i) => [i, app.sampleName(i)]));
    $("layer").innerHTML = options(meta.layers.map((layer, i) => [i, layer.name + " (" + layer.kind + ")"]));
    $("rank").innerHTML = options([["index", "unit index"], ["mean", "mean activation"], ["variance", "variance"]]
      .concat(meta.signals.map((signal, i) => ["signal:" + i, "|correlation| with " + signal.name.replace(/</g, "&lt;")]))
      .concat([["search", "searched units first"]]));
    $("sample").addEventListener("change", e => { app.state.sample = Number(e.target.value); app.drawAll(); });
    $("layer").addEventListener("change", e => { app.state.layer = Number(e.target.value); buildLayer(); resize(); });
    $("rank").addEventListener("change", e => { app.state.rank = e.target.value; app.rank(); app.drawMaps(); app.redrawMarks(); });
    $("rank-state").addEventListener("change", e => {
      app.state.rankState = Number(e.target.value); app.rank(); app.drawMaps(); app.redrawMarks(); X.showSignals(app);
    });
    $("zoom-in").addEventListener("click", () => { const s = app.state, n = s.v1 - s.v0; setWindow(s.v0 + Math.floor(n / 4), Math.ceil(n / 2)); });
    $("zoom-out").addEventListener("click", () => { const s = app.state, n = s.v1 - s.v0; setWindow(s.v0 - Math.floor(n / 2), n * 2); });
    $("zoom-all").addEventListener("click", () => setWindow(0, meta.steps));
    $("pan").addEventListener("input", e => setWindow(Number(e.target.value), app.state.v1 - app.state.v0));
  }

  function buildViews() {
    const tokens = meta.input.kind === "tokens";
    app.views.input = X.makeView($("input-view"), tokens ? 28 : 150, app, null);
    const text = $("text-view");
    text.addEventListener("mouseover", e => { if (e.target.dataset.step) app.hover(Number(e.target.dataset.step), null); });
    text.addEventListener("mouseleave", () => app.hover(null, null));
    $("gradient-note").textContent = "|∂ " + meta.gradient_of + " / ∂h_t|, the L2 norm over the units of the gradient " +
      "reaching each step's hidden state (log scale); a Bidirectional's backward half shown in input order.";
    app.views.gradient = X.makeView($("gradient-view"), 110, app, null);
    const attribution = meta.attribution;
    if (attribution.array) {
      const F = X.array(attribution.array).shape[2];
      $("attribution-note").textContent = attribution.method.replace(/_/g, " ") + " attributions to " + attribution.explains +
        " (red raises it, blue lowers it; scaled by the largest |value| of the sample).";
      app.views.attribution = X.makeView($("attribution-view"), (F <= 8 ? F : 1) * 18, app, null);
    } else {
      $("attribution-note").className = "note";
      $("attribution-note").textContent = "Attributions not shown: " + attribution.missing;
    }
  }

  function resize() {
    // the side panel sticks just under the controls bar, however many rows the bar wraps to
    document.querySelector("aside").style.top = ($("controls").offsetHeight + 8) + "px";
    const width = $("gradient-view").clientWidth;
    for (const view of app.allViews()) X.sizeView(view, width);
    app.drawAll();
  }

  const started = performance.now();
  $("notes").textContent = meta.notes.join(" ");
  buildControls();
  buildViews();
  buildLayer();
  // Sized once everything is on the page (a scrollbar may have taken some width meanwhile).
  for (const view of app.allViews()) X.sizeView(view, $("gradient-view").clientWidth);
  setWindow(0, app.state.v1);
  document.querySelector("aside").style.top = ($("controls").offsetHeight + 8) + "px";
  let pending = null;
  window.addEventListener("resize", () => { clearTimeout(pending); pending = setTimeout(resize, 150); });
  document.body.dataset.renderMs = String(Math.round(performance.now() - started));
  document.body.dataset.loadMs = String(Math.round(performance.now()));
  document.body.dataset.ready = "true";
})(window.SeqlabExplorer);
