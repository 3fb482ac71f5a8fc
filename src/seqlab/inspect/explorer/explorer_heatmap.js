// seqlab explorer, part 3 of 5: a heat map of one state of one layer (units x timesteps) drawn
// on a canvas. When the window holds more steps than the plot has pixels, each pixel column
// shows the mean of the steps it covers; the image is built once per change of sample, window
// or ranking, and a hover redraws only the overlay, so 10,000 steps x 256 units stay responsive.
"use strict";
(function (X) {
  const MAP_HEIGHT = 256;   // CSS pixels a heat map may take before rows get thinner than 1 px
  const MAX_ROW = 8;

  X.makeHeatmap = function (app, container, stateIndex) {
    const layer = app.layer(), state = layer.states[stateIndex], H = layer.units;
    const rowHeight = Math.max(1, Math.min(MAX_ROW, Math.floor(MAP_HEIGHT / H)));
    const heading = document.createElement("div");
    heading.className = "state-label";
    heading.textContent = state.name + (state.name === "hidden" || state.name === "cell" ? " state" : " gate") +
      "  (" + X.format(state.low) + " … " + X.format(state.high) + (state.scale === "diverging" ? ", blue < 0 < red" : "") + ")";
    container.appendChild(heading);
    const map = { stateIndex: stateIndex, state: state, rowHeight: rowHeight, top: 4, H: H, brush: null };
    map.unitAt = function (y) {
      const row = Math.floor((y - map.top) / rowHeight);
      return row >= 0 && row < H ? app.order[row] : null;
    };
    map.view = X.makeView(container, H * rowHeight + 8, app, map);
    map.view.wrapper.dataset.state = state.name;
    attachBrush(app, map);
    map.drawMarks = ctx => drawMapMarks(app, map, ctx);
    return map;
  };

  // Drag across steps to search; a click without a drag picks the unit under the pointer.
  function attachBrush(app, map) {
    const overlay = map.view.overlay;
    overlay.addEventListener("mousedown", function (event) {
      const t = X.stepAt(app, map.view, event.offsetX);
      if (t === null) return;
      map.brush = { from: t, to: t, x: event.offsetX, y: event.offsetY };
      event.preventDefault();
    });
    overlay.addEventListener("mousemove", function (event) {
      if (!map.brush) return;
      const t = X.stepAt(app, map.view, Math.max(X.LEFT, Math.min(event.offsetX, map.view.width - 11)));
      if (t !== null) map.brush.to = t;
      X.drawMarks(app, map.view);
    });
    window.addEventListener("mouseup", function (event) {
      if (!map.brush) return;
      const brush = map.brush;
      map.brush = null;
      const moved = Math.abs(event.clientX - (overlay.getBoundingClientRect().left + brush.x));
      if (moved < 3 && brush.from === brush.to) {
        const unit = map.unitAt(brush.y);
        if (unit !== null) app.pick(unit, map.stateIndex);
        return;
      }
      app.search(map.stateIndex, Math.min(brush.from, brush.to), Math.max(brush.from, brush.to) + 1);
    });
  }

  X.drawHeatmap = function (app, map) {
    const s = app.state, L = app.meta.steps, H = map.H, state = map.state;
    const values = X.array(state.array).values;
    const view = map.view, ctx = view.base.getContext("2d");
    ctx.clearRect(0, 0, view.width, view.height);
    const steps = s.v1 - s.v0, columns = Math.min(steps, Math.floor(X.plotWidth(view)));
    const image = new ImageData(columns, H), lut = X.colourMaps[state.scale];
    const sums = new Float64Array(H);
    for (let c = 0; c < columns; c++) {
      const t0 = s.v0 + Math.floor(c * steps / columns), t1 = s.v0 + Math.floor((c + 1) * steps / columns);
      sums.fill(0);
      for (let t = t0; t < t1; t++) {
        const row = (s.sample * L + t) * H;
        for (let u = 0; u < H; u++) sums[u] += values[row + u];
      }
      for (let r = 0; r < H; r++) {
        const k = X.colourIndex(sums[app.order[r]] / (t1 - t0), state.low, state.high) * 3, p = (r * columns + c) * 4;
        image.data[p] = lut[k]; image.data[p + 1] = lut[k + 1]; image.data[p + 2] = lut[k + 2]; image.data[p + 3] = 255;
      }
    }
    const scratch = document.createElement("canvas");
    scratch.width = columns; scratch.height = H;
    scratch.getContext("2d").putImageData(image, 0, 0);
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(scratch, X.LEFT, map.top, X.plotWidth(view), H * map.rowHeight);
    const mask = app.layer().mask === null ? null : X.array(app.layer().mask).values;
    if (mask) {  // masked steps (the state was carried over) are hatched grey
      ctx.fillStyle = "rgba(255, 255, 255, 0.6)";
      for (let t = s.v0; t < s.v1; t++) if (!mask[s.sample * L + t]) {
        const x = X.stepX(app, view, t);
        ctx.fillRect(x, map.top, Math.max(X.stepX(app, view, t + 1) - x, 1), H * map.rowHeight);
      }
    }
    drawLegend(ctx, map, lut);
  };

  function drawLegend(ctx, map, lut) {
    const height = map.H * map.rowHeight, x = X.LEFT - 44;
    for (let i = 0; i < height; i++) {
      const k = Math.round((1 - i / Math.max(height - 1, 1)) * 255) * 3;
      ctx.fillStyle = "rgb(" + lut[k] + "," + lut[k + 1] + "," + lut[k + 2] + ")";
      ctx.fillRect(x, map.top + i, 8, 1);
    }
    ctx.fillStyle = "#374151";
    ctx.font = "11px system-ui, sans-serif";
    ctx.textAlign = "right";
    ctx.textBaseline = "top";
    ctx.fillText(X.format(map.state.high), x - 3, map.top);
    ctx.textBaseline = "bottom";
    ctx.fillText(X.format(map.state.low), x - 3, map.top + Math.max(height, 24));
    ctx.textBaseline = "middle";
    ctx.fillText(map.H + " units", x - 3, map.top + Math.max(height, 24) / 2);
  }

  // Ticks left of the rows: searched units (amber), the picked unit (black); the hovered row
  // is outlined; a drag in progress is shaded.
  function drawMapMarks(app, map, ctx) {
    const s = app.state, rows = app.rowOf, y = u => map.top + rows[u] * map.rowHeight;
    const height = Math.max(map.rowHeight, 2);
    if (s.search) {
      ctx.fillStyle = "#f59e0b";
      for (const u of s.search.result.units) ctx.fillRect(X.LEFT - 30, y(u), 12, height);
    }
    if (s.picked !== null) {
      ctx.fillStyle = "#111827";
      ctx.fillRect(X.LEFT - 16, y(s.picked.unit), 14, height);
    }
    if (s.hoverUnit !== null && s.hoverState === map.stateIndex) {
      ctx.strokeStyle = "#111827";
      ctx.strokeRect(X.LEFT - 0.5, y(s.hoverUnit) - 0.5, X.plotWidth(map.view) + 1, map.rowHeight + 1);
    }
    if (map.brush) {
      const a = Math.min(map.brush.from, map.brush.to), b = Math.max(map.brush.from, map.brush.to) + 1;
      ctx.fillStyle = "rgba(245, 158, 11, 0.3)";
      ctx.fillRect(X.stepX(app, map.view, a), 0, X.stepX(app, map.view, b) - X.stepX(app, map.view, a), map.view.height);
    }
  }
})(window.SeqlabExplorer);
