// seqlab explorer, part 4 of 5: the panels beside the time views — the readout of the hovered
// step, the unit search's results, the units that follow each signal, and the gate-saturation plots.
"use strict";
(function (X) {
  const SVG = "http://www.w3.org/2000/svg";

  // What is under the pointer: the step, its label, the input, the gradient, the attribution
  // and, over a heat map, the unit's value.
  X.readout = function (app) {
    const s = app.state, meta = app.meta, L = meta.steps, element = document.getElementById("readout");
    if (s.hoverT === null) { element.textContent = "Hover a timestep in any view."; return; }
    const t = s.hoverT, lines = [];
    const labels = meta.step_labels ? meta.step_labels[s.sample] : null;
    lines.push("step " + t + (labels ? "  (" + labels[t] + ")" : "") + "  of sample " + app.sampleName(s.sample));
    if (meta.input.kind === "numbers") {
      const data = X.array(meta.input.array), F = data.shape[2];
      meta.input.features.slice(0, 6).forEach((name, f) => lines.push("  " + name + " = " + X.format(data.values[(s.sample * L + t) * F + f])));
    } else {
      const token = meta.input.vocabulary[X.array(meta.input.ids).values[s.sample * L + t]];
      lines.push("  token " + JSON.stringify(token));
    }
    const layer = app.layer();
    lines.push("  gradient |∂/∂h_t| = " +
      X.format(X.array(layer.gradient).values[s.sample * L + t]));
    if (meta.attribution.array) {
      const data = X.array(meta.attribution.array), F = data.shape[2];
      let sum = 0;
      for (let f = 0; f < F; f++) sum += data.values[(s.sample * L + t) * F + f];
      lines.push("  attribution = " + X.format(sum));
    }
    if (s.hoverUnit !== null && s.hoverState !== undefined && s.hoverState !== null) {
      const state = layer.states[s.hoverState], values = X.array(state.array).values;
      lines.push("unit " + s.hoverUnit + " " + state.name + " = " + X.format(values[(s.sample * L + t) * layer.units + s.hoverUnit]));
    }
    element.textContent = lines.join("\n");
  };

  // The search's query and results; a click on a unit picks it, on a match jumps there.
  X.showSearch = function (app) {
    const search = app.state.search, span = document.getElementById("search-span");
    const unitsList = document.getElementById("search-units"), matchesList = document.getElementById("search-matches");
    unitsList.innerHTML = ""; matchesList.innerHTML = "";
    if (!search) { span.textContent = "Drag across a span of a heat map."; delete span.dataset.state; return; }
    const layer = app.layer(), state = layer.states[search.stateIndex];
    Object.assign(span.dataset, { sample: search.sample, start: search.start, end: search.end,
      state: state.name, threshold: search.threshold, layer: layer.name });
    const result = search.result;
    span.textContent = "Sample " + app.sampleName(search.sample) + ", steps " + search.start + "–" + (search.end - 1) +
      " of " + state.name + " (" + layer.name + "), threshold " + search.threshold + ": " +
      (result.units.length ? result.units.length + " unit(s) on all through the span; " +
        result.matches.length + " other place(s) where they are all on." : "no unit is on all through the span.");
    result.units.forEach(function (unit, i) {
      const item = document.createElement("li");
      item.dataset.unit = unit;
      item.textContent = "unit " + unit + "   (inside − outside: " + X.format(result.unitScores[i]) + ")";
      item.addEventListener("click", () => app.pick(unit, search.stateIndex));
      unitsList.appendChild(item);
    });
    result.matches.slice(0, 200).forEach(function (match) {
      const item = document.createElement("li");
      Object.assign(item.dataset, { sample: match.sample, start: match.start, end: match.end });
      item.textContent = "sample " + app.sampleName(match.sample) + ", steps " + match.start + "–" + (match.end - 1) +
        "  (" + (match.end - match.start) + " steps, mean " + X.format(match.score) + ")";
      item.addEventListener("click", function () {
        for (const other of matchesList.children) other.classList.toggle("current", other === item);
        app.show(match.sample, match.start, match.end);
      });
      matchesList.appendChild(item);
    });
    if (result.matches.length > 200) {
      const more = document.createElement("li");
      more.textContent = "… and " + (result.matches.length - 200) + " more";
      matchesList.appendChild(more);
    }
  };

  const SIGNAL_UNITS = 3;  // units shown per signal (the page's text says 3)

  // Per signal, the units of the ranked state most correlated with it (X.correlations, X.topUnits:
  // the rule of correlate_units and top_units); a click on a signal ranks the heat maps by it,
  // on a unit picks it.
  X.showSignals = function (app) {
    const meta = app.meta, body = document.getElementById("signal-units"), s = app.state, layer = app.layer();
    body.innerHTML = "";
    document.getElementById("signals-panel").hidden = !meta.signals.length;
    const mask = layer.mask === null ? null : X.array(layer.mask).values;
    document.getElementById("signals-state").textContent = layer.states[s.rankState].name + " of " + layer.name;
    meta.signals.forEach(function (signal, i) {
      const row = body.insertRow(), name = row.insertCell(), units = row.insertCell();
      row.dataset.signal = signal.name;
      name.textContent = signal.name;
      name.className = "signal-name";
      name.addEventListener("click", function () {
        s.rank = "signal:" + i; document.getElementById("rank").value = s.rank;
        app.rank(); app.drawMaps(); app.redrawMarks();
      });
      const r = X.correlations(app.stateValues(s.rankState), layer.units, X.array(signal.array).values, mask);
      X.topUnits(r, SIGNAL_UNITS).forEach(function (top) {
        const item = document.createElement("span");
        Object.assign(item.dataset, { unit: top.unit, r: top.r });
        item.textContent = top.unit + " (" + (Number.isNaN(top.r) ? "–" : (top.r >= 0 ? "+" : "") + top.r.toFixed(2)) + ")";
        item.addEventListener("click", () => app.pick(top.unit, s.rankState));
        units.appendChild(item);
      });
    });
  };

  // Karpathy et al.'s saturation plot per sigmoid gate: a dot per unit at (fraction of steps
  // < 0.1, fraction > 0.9), the fractions computed in Python by seqlab.inspect.saturation.
  X.drawSaturation = function (app) {
    const container = document.getElementById("saturation"), layer = app.layer();
    container.innerHTML = "";
    if (!layer.saturation) {
      container.innerHTML = '<p class="note">Layer ' + layer.name + " (" + layer.kind + ") has no sigmoid gates.</p>";
      return;
    }
    const grid = document.createElement("div");
    grid.className = "saturation-grid";
    container.appendChild(grid);
    const size = 200, pad = 30;
    for (const [gate, sides] of Object.entries(layer.saturation)) {
      const figure = document.createElement("figure"), svg = document.createElementNS(SVG, "svg");
      svg.setAttribute("width", size + pad + 10); svg.setAttribute("height", size + pad + 10);
      svg.dataset.gate = gate;
      const add = function (name, attributes, text) {
        const node = document.createElementNS(SVG, name);
        for (const [k, v] of Object.entries(attributes)) node.setAttribute(k, v);
        if (text !== undefined) node.textContent = text;
        svg.appendChild(node);
        return node;
      };
      add("rect", { x: pad, y: 10, width: size, height: size, fill: "#f9fafb", stroke: "#9ca3af" });
      add("line", { x1: pad, y1: 10 + size, x2: pad + size, y2: 10, stroke: "#d1d5db", "stroke-dasharray": "3 3" });
      add("text", { x: pad + size / 2, y: size + 36, "text-anchor": "middle", "font-size": 11 }, "fraction < 0.1 (left)");
      add("text", { x: 10, y: 10 + size / 2, "text-anchor": "middle", "font-size": 11, transform: "rotate(-90 10 " + (10 + size / 2) + ")" }, "fraction > 0.9 (right)");
      for (const [label, x, y] of [["0", pad - 4, size + 22], ["1", pad + size, size + 22], ["1", pad - 8, 14]]) add("text", { x: x, y: y, "font-size": 10 }, label);
      sides.left.forEach(function (left, unit) {
        const dot = add("circle", { cx: pad + left * size, cy: 10 + (1 - sides.right[unit]) * size, r: 3.5 });
        dot.dataset.unit = unit;
        dot.appendChild(document.createElementNS(SVG, "title")).textContent =
          "unit " + unit + ": " + X.format(left) + " left, " + X.format(sides.right[unit]) + " right";
        dot.addEventListener("click", () => app.pick(unit, layer.states.findIndex(st => st.name === gate)));
      });
      const caption = document.createElement("figcaption");
      caption.textContent = gate + " gate";
      figure.append(svg, caption);
      grid.appendChild(figure);
    }
  };

  // Dots of the searched and picked units stand out.
  X.markSaturation = function (app) {
    const s = app.state, on = new Set(s.search ? s.search.result.units : []);
    if (s.picked !== null) on.add(s.picked.unit);
    for (const dot of document.querySelectorAll("#saturation circle")) dot.classList.toggle("on", on.has(Number(dot.dataset.unit)));
  };
})(window.SeqlabExplorer);
