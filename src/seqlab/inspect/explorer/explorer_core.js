// seqlab explorer, part 1 of 5: the data (decoding the embedded typed arrays), colours, and the
// numbers every view shares — the unit search (the contract of seqlab.inspect.find_units) and
// the unit statistics used for ranking.
"use strict";
window.SeqlabExplorer = (function () {
  const X = {};
  const cache = {};

  // An embedded array, decoded on first use. Bytes are little-endian (every browser that runs
  // this page); uint8 arrays with a scale are quantised gates, returned as floats.
  X.array = function (id) {
    if (id === null || id === undefined) return null;
    if (cache[id]) return cache[id];
    const element = document.getElementById("seqlab-array-" + id);
    const text = atob(element.textContent);
    const bytes = new Uint8Array(text.length);
    for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
    const dtype = element.dataset.dtype;
    let values;
    if (dtype === "float32") values = new Float32Array(bytes.buffer);
    else if (dtype === "int32") values = new Int32Array(bytes.buffer);
    else values = bytes;
    if (element.dataset.scale !== undefined) {
      const scale = parseFloat(element.dataset.scale), offset = parseFloat(element.dataset.offset);
      const floats = new Float32Array(values.length);
      for (let i = 0; i < values.length; i++) floats[i] = values[i] * scale + offset;
      values = floats;
    }
    const shape = element.dataset.shape.split(",").map(Number);
    cache[id] = { values: values, shape: shape };
    return cache[id];
  };

  // Colour maps as 256-entry tables: viridis for [0, high] (gates: 0 closed, 1 open) and a
  // blue-white-red diverging map for values around 0 (tanh states, the cell, attributions).
  function table(anchors) {
    const lut = new Uint8ClampedArray(256 * 3);
    for (let i = 0; i < 256; i++) {
      const p = i / 255 * (anchors.length - 1), k = Math.min(Math.floor(p), anchors.length - 2), f = p - k;
      for (let c = 0; c < 3; c++) lut[i * 3 + c] = anchors[k][c] + (anchors[k + 1][c] - anchors[k][c]) * f;
    }
    return lut;
  }
  X.colourMaps = {
    sequential: table([[68, 1, 84], [72, 40, 120], [62, 74, 137], [49, 104, 142], [38, 130, 142],
      [31, 158, 137], [53, 183, 121], [109, 205, 89], [180, 222, 44], [253, 231, 37]]),
    diverging: table([[33, 102, 172], [103, 169, 207], [209, 229, 240], [247, 247, 247],
      [253, 219, 199], [239, 138, 98], [178, 24, 43]]),
  };
  // The table index of a value on a colour range {low, high} (values beyond it clip to the ends).
  X.colourIndex = function (value, low, high) {
    const i = Math.round((value - low) / (high - low) * 255);
    return i < 0 ? 0 : i > 255 ? 255 : (i | 0);
  };
  X.rgb = function (scale, value, low, high) {
    const lut = X.colourMaps[scale], i = X.colourIndex(value, low, high) * 3;
    return "rgb(" + lut[i] + "," + lut[i + 1] + "," + lut[i + 2] + ")";
  };

  X.format = function (value) {
    if (value === null || value === undefined || Number.isNaN(value)) return "–";
    const size = Math.abs(value);
    if (size !== 0 && (size < 1e-3 || size >= 1e5)) return value.toExponential(2);
    return value.toFixed(size >= 100 ? 1 : 3);
  };

  // The unit-pattern contract of seqlab.inspect.find_units, step for step (values a: N x L x H,
  // row-major; the span is [start, end) of `sample`):
  // 1. selected units: on (>= threshold) at every step of the span, ranked by (mean over the
  //    span) - (mean over the sample's other steps, 0 if none), descending; ties by unit index.
  // 2. matches: every maximal run [s, e) of any sample where all selected units are on, except
  //    the run of `sample` holding the span; scored by the mean over the run and the units;
  //    ranked by |run length - span length|, then score (descending), then (sample, s).
  // 3. no unit selected: an empty result. Masks are not applied.
  X.findUnits = function (a, N, L, H, sample, start, end, threshold) {
    const at = (m, t, u) => a[(m * L + t) * H + u];
    const selected = [];
    for (let u = 0; u < H; u++) {
      let on = true;
      for (let t = start; t < end && on; t++) on = at(sample, t, u) >= threshold;
      if (on) selected.push(u);
    }
    if (!selected.length) return { units: [], unitScores: [], matches: [] };
    const scores = selected.map(function (u) {
      let inside = 0, outside = 0;
      for (let t = start; t < end; t++) inside += at(sample, t, u);
      for (let t = 0; t < L; t++) if (t < start || t >= end) outside += at(sample, t, u);
      const others = L - (end - start);
      return inside / (end - start) - (others ? outside / others : 0);
    });
    const order = selected.map((u, i) => i).sort((i, j) => (scores[j] - scores[i]) || (selected[i] - selected[j]));
    const units = order.map(i => selected[i]);
    const matches = [];
    for (let m = 0; m < N; m++) {
      let s = -1;
      for (let t = 0; t <= L; t++) {
        let on = t < L;
        for (let k = 0; k < units.length && on; k++) on = at(m, t, units[k]) >= threshold;
        if (on && s < 0) s = t;
        if (!on && s >= 0) {
          if (!(m === sample && s <= start && end <= t)) {
            let sum = 0;
            for (let r = s; r < t; r++) for (let k = 0; k < units.length; k++) sum += at(m, r, units[k]);
            matches.push({ sample: m, start: s, end: t, score: sum / ((t - s) * units.length) });
          }
          s = -1;
        }
      }
    }
    const length = end - start;
    matches.sort((p, q) => (Math.abs(p.end - p.start - length) - Math.abs(q.end - q.start - length))
      || (q.score - p.score) || (p.sample - q.sample) || (p.start - q.start));
    return { units: units, unitScores: order.map(i => scores[i]), matches: matches };
  };

  // Per-unit mean and variance over the counted steps of every sample (mask: 1 = counted).
  X.unitStats = function (a, H, mask) {
    const mean = new Float64Array(H), square = new Float64Array(H);
    let n = 0;
    for (let r = 0; r < a.length / H; r++) {
      if (mask && !mask[r]) continue;
      n++;
      for (let u = 0; u < H; u++) { const v = a[r * H + u]; mean[u] += v; square[u] += v * v; }
    }
    const variance = new Float64Array(H);
    for (let u = 0; u < H; u++) { mean[u] /= n; variance[u] = Math.max(square[u] / n - mean[u] * mean[u], 0); }
    return { mean: mean, variance: variance };
  };

  // Pearson correlation of every unit with a signal (N x L) over the counted steps, as
  // seqlab.inspect.correlate_units; NaN where the unit or the signal is constant.
  X.correlations = function (a, H, signal, mask) {
    let n = 0, signalMean = 0;
    const rows = signal.length, unitMean = new Float64Array(H);
    for (let r = 0; r < rows; r++) {
      if (mask && !mask[r]) continue;
      n++; signalMean += signal[r];
      for (let u = 0; u < H; u++) unitMean[u] += a[r * H + u];
    }
    signalMean /= n;
    for (let u = 0; u < H; u++) unitMean[u] /= n;
    const cross = new Float64Array(H), unitSquares = new Float64Array(H);
    let signalSquares = 0;
    for (let r = 0; r < rows; r++) {
      if (mask && !mask[r]) continue;
      const s = signal[r] - signalMean;
      signalSquares += s * s;
      for (let u = 0; u < H; u++) { const d = a[r * H + u] - unitMean[u]; cross[u] += d * s; unitSquares[u] += d * d; }
    }
    const r = new Float64Array(H);
    for (let u = 0; u < H; u++) {
      const spread = Math.sqrt(unitSquares[u] * signalSquares);
      r[u] = spread > 0 ? cross[u] / spread : NaN;
    }
    return r;
  };

  // The k units of largest |r|, as seqlab.inspect.top_units: by |r| descending, NaN last, ties by
  // unit index; [{unit, r}] with the signed r.
  X.topUnits = function (r, k) {
    const units = Array.from({ length: r.length }, (_, u) => u);
    const key = u => Number.isNaN(r[u]) ? -1 : Math.abs(r[u]);
    units.sort((a, b) => (key(b) - key(a)) || (a - b));
    return units.slice(0, k).map(u => ({ unit: u, r: r[u] }));
  };

  return X;
})();
