// seqlab explorer, part 2 of 5: the shared time axis and the views along it — the input (a line
// per feature, or the tokens), the gradient through time and the attribution strip. Every view
// along time uses the same axis, so one step sits in the same pixel column in all of them.
"use strict";
(function (X) {
  const LEFT = 150, RIGHT = 10;
  X.LEFT = LEFT;
  const LINE_COLOURS = ["#111827", "#2563eb", "#dc2626", "#059669", "#7c3aed", "#d97706", "#db2777", "#0891b2"];

  // A view: a base canvas (redrawn when the data or the window change) under an overlay canvas
  // (redrawn on every hover: only the marks). `height` in CSS pixels.
  X.makeView = function (container, height, app, owner) {
    const wrapper = document.createElement("div");
    wrapper.className = "view";
    const base = document.createElement("canvas"), overlay = document.createElement("canvas");
    overlay.className = "overlay";
    wrapper.append(base, overlay);
    container.appendChild(wrapper);
    const view = { wrapper: wrapper, base: base, overlay: overlay, height: height, owner: owner };
    X.sizeView(view, container.clientWidth);
    overlay.addEventListener("mousemove", function (event) {
      const t = X.stepAt(app, view, event.offsetX);
      app.hover(t, owner && owner.unitAt ? owner.unitAt(event.offsetY) : null, owner && owner.stateIndex);
    });
    overlay.addEventListener("mouseleave", function () { app.hover(null, null); });
    return view;
  };

  X.sizeView = function (view, width) {
    const ratio = window.devicePixelRatio || 1;
    view.width = Math.max(width, LEFT + RIGHT + 100);
    for (const canvas of [view.base, view.overlay]) {
      canvas.width = Math.round(view.width * ratio);
      canvas.height = Math.round(view.height * ratio);
      canvas.style.width = view.width + "px";
      canvas.style.height = view.height + "px";
      canvas.getContext("2d").setTransform(ratio, 0, 0, ratio, 0, 0);
    }
  };

  X.plotWidth = view => view.width - LEFT - RIGHT;
  // Left edge of step t's column, and the step under pixel x (null outside the plot).
  X.stepX = (app, view, t) => LEFT + (t - app.state.v0) * X.plotWidth(view) / (app.state.v1 - app.state.v0);
  X.stepAt = function (app, view, x) {
    const s = app.state, t = s.v0 + Math.floor((x - LEFT) * (s.v1 - s.v0) / X.plotWidth(view));
    return x < LEFT || t < s.v0 || t >= s.v1 ? null : t;
  };

  // The marks every view along time shares: the searched span, the matches in this sample,
  // and the hovered step. Records the hovered step on the view's element (data-hover-step).
  X.drawMarks = function (app, view) {
    const ctx = view.overlay.getContext("2d"), s = app.state;
    ctx.clearRect(0, 0, view.width, view.height);
    const column = t => [X.stepX(app, view, t), Math.max(X.stepX(app, view, t + 1) - X.stepX(app, view, t), 1)];
    if (s.search && s.search.sample === s.sample) {
      const [x0] = column(s.search.start), [x1, w1] = column(s.search.end - 1);
      ctx.fillStyle = "rgba(245, 158, 11, 0.18)";
      ctx.fillRect(x0, 0, x1 + w1 - x0, view.height);
      ctx.fillStyle = "rgba(245, 158, 11, 0.9)";
      for (const match of s.search.result.matches) {
        if (match.sample !== s.sample || match.end <= s.v0 || match.start >= s.v1) continue;
        const [a] = column(Math.max(match.start, s.v0)), [b, wb] = column(Math.min(match.end, s.v1) - 1);
        ctx.fillRect(a, 0, b + wb - a, 3);
      }
    }
    if (s.hoverT !== null && s.hoverT >= s.v0 && s.hoverT < s.v1) {
      const [x, w] = column(s.hoverT);
      ctx.fillStyle = "rgba(17, 24, 39, 0.15)";
      ctx.fillRect(x, 0, w, view.height);
      ctx.fillStyle = "#111827";
      ctx.fillRect(x + w / 2 - 0.5, 0, 1, view.height);
      view.wrapper.dataset.hoverStep = String(s.hoverT);
    } else {
      delete view.wrapper.dataset.hoverStep;
    }
    if (view.owner && view.owner.drawMarks) view.owner.drawMarks(ctx);
  };

  function label(ctx, text, y, colour) {
    ctx.fillStyle = colour || "#374151";
    ctx.font = "12px system-ui, sans-serif";
    ctx.textAlign = "right";
    ctx.textBaseline = "middle";
    ctx.fillText(text.length > 22 ? text.slice(0, 21) + "…" : text, LEFT - 8, y);
  }
  X.label = label;

  // A colour band under the plot: the picked unit's activation at every step (what "colour
  // the input by a unit" means for numbers and tokens alike).
  function pickedBand(app, view, ctx, top, height) {
    const picked = app.pickedSeries();
    if (!picked) return;
    const s = app.state;
    for (let t = s.v0; t < s.v1; t++) {
      ctx.fillStyle = X.rgb(picked.range.scale, picked.values[t], picked.range.low, picked.range.high);
      const x = X.stepX(app, view, t);
      ctx.fillRect(x, top, Math.max(X.stepX(app, view, t + 1) - x, 1), height);
    }
  }

  // The input: a line per feature, each scaled to its own range over the window.
  X.drawNumbers = function (app, view) {
    const ctx = view.base.getContext("2d"), s = app.state, input = app.meta.input;
    const data = X.array(input.array), F = data.shape[2], L = app.meta.steps;
    ctx.clearRect(0, 0, view.width, view.height);
    const top = 6, bottom = view.height - 18;
    pickedBand(app, view, ctx, view.height - 12, 10);
    input.features.slice(0, LINE_COLOURS.length).forEach(function (name, f) {
      let low = Infinity, high = -Infinity;
      for (let t = s.v0; t < s.v1; t++) { const v = data.values[(s.sample * L + t) * F + f]; low = Math.min(low, v); high = Math.max(high, v); }
      const span = high - low || 1;
      ctx.strokeStyle = LINE_COLOURS[f];
      ctx.lineWidth = 1.3;
      ctx.beginPath();
      for (let t = s.v0; t < s.v1; t++) {
        const v = data.values[(s.sample * L + t) * F + f];
        const x = (X.stepX(app, view, t) + X.stepX(app, view, t + 1)) / 2, y = bottom - (v - low) / span * (bottom - top);
        if (t === s.v0) ctx.moveTo(x, y); else ctx.lineTo(x, y);
      }
      ctx.stroke();
      label(ctx, name + " " + X.format(low) + "…" + X.format(high), top + 8 + f * 15, LINE_COLOURS[f]);
    });
    if (input.features.length > LINE_COLOURS.length) label(ctx, "(first " + LINE_COLOURS.length + " features)", bottom, "#6b7280");
  };

  // The input as tokens: each token in its column while columns are wide enough to read.
  X.drawTokens = function (app, view) {
    const ctx = view.base.getContext("2d"), s = app.state, input = app.meta.input;
    const ids = X.array(input.ids).values, L = app.meta.steps;
    ctx.clearRect(0, 0, view.width, view.height);
    pickedBand(app, view, ctx, 0, view.height);
    const width = X.plotWidth(view) / (s.v1 - s.v0);
    label(ctx, "tokens", view.height / 2);
    if (width < 7) { label(ctx, "(zoom in to read)", view.height - 6, "#6b7280"); return; }
    ctx.fillStyle = "#111827";
    ctx.textAlign = "center";
    ctx.textBaseline = "middle";
    ctx.font = Math.min(14, Math.floor(width * 0.9)) + "px ui-monospace, monospace";
    for (let t = s.v0; t < s.v1; t++) {
      const token = input.vocabulary[ids[s.sample * L + t]];
      const shown = token === "\n" ? "↵" : token === " " ? "·" : token.length * 7 > width ? token.slice(0, Math.max(1, Math.floor(width / 7))) : token;
      ctx.fillText(shown, (X.stepX(app, view, t) + X.stepX(app, view, t + 1)) / 2, view.height / 2);
    }
  };

  // The tokens of the window as running text, each coloured by the picked unit.
  X.fillText = function (app, element) {
    const s = app.state, input = app.meta.input, L = app.meta.steps, ids = X.array(input.ids).values;
    const picked = app.pickedSeries(), parts = [];
    const end = Math.min(s.v1, s.v0 + 5000);  // a DOM span per token: a few thousand at most
    for (let t = s.v0; t < end; t++) {
      const token = input.vocabulary[ids[s.sample * L + t]].replace(/&/g, "&amp;").replace(/</g, "&lt;");
      // the colour at 55% over white, so that black text stays readable at both ends of a map
      const colour = picked ? X.rgb(picked.range.scale, picked.values[t], picked.range.low, picked.range.high)
        .replace("rgb(", "rgba(").replace(")", ",0.55)") : null;
      const style = colour ? ' style="background:' + colour + '"' : "";
      parts.push('<span data-step="' + t + '"' + style + ">" + token + "</span>" + input.join);
    }
    element.innerHTML = parts.join("");
  };

  // |d objective / d h_t| of every layer over the window, on a log scale.
  X.drawGradient = function (app, view) {
    const ctx = view.base.getContext("2d"), s = app.state, L = app.meta.steps;
    ctx.clearRect(0, 0, view.width, view.height);
    const series = app.meta.layers.map(layer => X.array(layer.gradient).values.subarray(s.sample * L, (s.sample + 1) * L));
    let low = Infinity, high = 0;
    for (const g of series) for (let t = s.v0; t < s.v1; t++) if (g[t] > 0) { low = Math.min(low, g[t]); high = Math.max(high, g[t]); }
    if (!(high > 0)) { label(ctx, "zero over these steps", view.height / 2); return; }
    if (low === high) low = high / 10;
    const top = 6, bottom = view.height - 6, log = v => Math.log10(Math.max(v, low));
    const y = v => bottom - (log(v) - Math.log10(low)) / (Math.log10(high) - Math.log10(low)) * (bottom - top);
    series.forEach(function (g, k) {
      ctx.strokeStyle = LINE_COLOURS[k % LINE_COLOURS.length];
      ctx.lineWidth = k === s.layer ? 2 : 1;
      ctx.beginPath();
      for (let t = s.v0; t < s.v1; t++) {
        const x = (X.stepX(app, view, t) + X.stepX(app, view, t + 1)) / 2;
        if (t === s.v0) ctx.moveTo(x, y(g[t])); else ctx.lineTo(x, y(g[t]));
      }
      ctx.stroke();
      label(ctx, app.meta.layers[k].name, top + 26 + k * 15, LINE_COLOURS[k % LINE_COLOURS.length]);
    });
    label(ctx, X.format(high), top + 4, "#6b7280");
    label(ctx, X.format(low), bottom - 4, "#6b7280");
  };

  // The attributions: a row per feature (at most 8, else their sum), diverging around 0 and
  // scaled by the largest |value| of the sample.
  X.drawAttribution = function (app, view) {
    const ctx = view.base.getContext("2d"), s = app.state, L = app.meta.steps;
    const data = X.array(app.meta.attribution.array), F = data.shape[2];
    ctx.clearRect(0, 0, view.width, view.height);
    const rows = F <= 8 ? F : 1, height = view.height / rows;
    const value = (t, f) => {
      if (rows === F) return data.values[(s.sample * L + t) * F + f];
      let sum = 0; for (let k = 0; k < F; k++) sum += data.values[(s.sample * L + t) * F + k]; return sum;
    };
    let bound = 0;
    for (let t = 0; t < L; t++) for (let f = 0; f < rows; f++) bound = Math.max(bound, Math.abs(value(t, f)));
    bound = bound || 1;
    for (let f = 0; f < rows; f++) {
      for (let t = s.v0; t < s.v1; t++) {
        const x = X.stepX(app, view, t);
        ctx.fillStyle = X.rgb("diverging", value(t, f), -bound, bound);
        ctx.fillRect(x, f * height, Math.max(X.stepX(app, view, t + 1) - x, 1), height - 1);
      }
      const names = app.meta.input.features || ["token"];
      label(ctx, rows === F ? names[f] : "sum of " + F + " features", (f + 0.5) * height);
    }
    app.attributionBound = bound;
  };
})(window.SeqlabExplorer);
