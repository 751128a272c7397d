// 02's code axis in the page (explainer.widgets.code_space's live_figures): the code c under
// the pointer, hovering or dragging along the code axis (or the distance panel below it,
// which shares its x axis), decoded by the shown model (a 1-D code: decode([c])). The decode
// replaces the midpoint's above the true 3/4 moon, its label says c, the code is marked on
// the axis, and its RMS distances to the three moons and its lit fraction are marked on
// their curves. The pointer gone, the midpoint's decode is back. The marks are an SVG layer
// over the figure and the label is set in place: a plotly restyle of this figure (its bands
// hold thousands of points) takes 40-180 ms, a pointer move must take one frame. A state whose model the page
// does not carry (not in choose.table) decodes nothing: the figure stays as stored.
//
// spec: {kind: "code_axis", traces: {code, distances, pair}, axes: [[x, y], ...] (the panels
//        that point at a code: the code axis's, then the distances'), annotation: name of the
//        pair's label, label: its text at rest, colours: {code, marks: [full, 3/4, half, lit]},
//        references: [full, 3/4, half] (784 values each), lit_reference: a full moon's
//        total brightness, tile: {side, pad}, model: id | choose: {sliders, table, defaults}}
(function () {
  "use strict";
  const L = () => window.vaeLive, F = () => window.vaeForward;
  const SVG = "http://www.w3.org/2000/svg";

  function attachCodeAxis(gd, spec, env) {
    const live = L(), forward = F();
    const side = spec.tile.side, pad = spec.tile.pad;
    const references = spec.references.map((r) => Float32Array.from(r));
    const state = {
      code: null, // the code under the pointer (null: the pointer is elsewhere)
      decoded: null, // its decode (784 values)
      distances: null, // [to full, to 3/4, to half, lit fraction]
      shown: null, // the model id it was decoded with
      resting: null, // the pair's picture while nothing is pointed at (the midpoint's)
      ours: null, // the pair's picture the pointer drew
    };
    gd.vaeLiveTimings = []; // pointer event -> panels redrawn, ms (benchmarks/live_pages.py)

    function modelId() {
      if (spec.model) return spec.model;
      const choose = spec.choose;
      const key = choose.sliders.map((name, k) => {
        const label = env.sliderLabel ? env.sliderLabel(gd, name) : live.sliderLabel(gd, name);
        return label === null ? choose.defaults[k] : label;
      }).join("|");
      return choose.table[key] || null;
    }

    function annotationIndex() {
      const notes = (gd.layout && gd.layout.annotations) || [];
      const i = notes.findIndex((a) => a.name === spec.annotation);
      if (i < 0) throw new Error(`the figure has no annotation named ${JSON.stringify(spec.annotation)}`);
      return i;
    }

    // d(x, r) = sqrt( mean_pixels (x - r)^2 ); lit = sum_pixels x / sum_pixels (full moon)
    function measure(x) {
      const out = references.map((r) => {
        let s = 0;
        for (let i = 0; i < x.length; i++) { const d = x[i] - r[i]; s += d * d; }
        return Math.sqrt(s / x.length);
      });
      let total = 0;
      for (let i = 0; i < x.length; i++) total += x[i];
      out.push(total / spec.lit_reference);
      return out;
    }

    // c decoded by the shown model and drawn: the pair's top tile, its label, the markers
    function decodeAt(c) {
      const id = modelId();
      if (id === null) { rest(); return false; }
      const pairIndex = live.traceIndex(gd, spec.traces.pair);
      const current = gd.data[pairIndex].source;
      if (current !== state.ours) state.resting = current; // a slider or the kernel drew it
      state.code = c;
      state.shown = id;
      state.decoded = forward.decode(live.model(spec, id), new Float32Array([c]));
      state.distances = measure(state.decoded);
      const pair = live.tile([state.decoded, references[1]], { side, nCols: 1, pad, padValue: 1 });
      state.ours = live.showImage(gd, spec.traces.pair, pair, env);
      drawMarks(c, state.distances);
      setLabel(`at the pointer, c = ${c.toFixed(2)}`);
      return true;
    }

    // the pointer gone: the midpoint's decode and label again, no markers
    function rest() {
      if (state.code === null) return;
      state.code = state.decoded = state.distances = null;
      if (state.resting && gd.data[live.traceIndex(gd, spec.traces.pair)].source === state.ours) {
        live.showSource(gd, spec.traces.pair, state.resting, env);
      }
      state.ours = null;
      overlay().style.display = "none";
      setLabel(spec.label);
    }

    // the layer of marks over the figure: a line at c across each panel, a dot on each curve
    function overlay() {
      let svg = gd.querySelector("svg.live-code-axis");
      if (svg) return svg;
      svg = document.createElementNS(SVG, "svg");
      svg.setAttribute("class", "live-code-axis");
      svg.style.cssText = "position:absolute;left:0;top:0;width:100%;height:100%;" +
        "pointer-events:none;overflow:visible;display:none";
      spec.axes.forEach(() => {
        const line = document.createElementNS(SVG, "line");
        line.setAttribute("stroke", spec.colours.code);
        line.setAttribute("stroke-width", "2");
        svg.appendChild(line);
      });
      spec.colours.marks.forEach((colour) => {
        const dot = document.createElementNS(SVG, "circle");
        dot.setAttribute("r", "5");
        dot.setAttribute("fill", colour);
        dot.setAttribute("stroke", "white");
        svg.appendChild(dot);
      });
      (gd.querySelector(".svg-container") || gd).appendChild(svg);
      return svg;
    }

    // pixel positions from the axes: offset + c2p(value)
    function drawMarks(c, values) {
      const svg = overlay(), layout = gd._fullLayout;
      const axis = (name, letter) => layout[`${letter}axis${name.slice(1)}`];
      const lines = svg.querySelectorAll("line"), dots = svg.querySelectorAll("circle");
      spec.axes.forEach(([x, y], k) => {
        const xa = axis(x, "x"), ya = axis(y, "y");
        const px = xa._offset + xa.c2p(c);
        lines[k].setAttribute("x1", px); lines[k].setAttribute("x2", px);
        lines[k].setAttribute("y1", ya._offset); lines[k].setAttribute("y2", ya._offset + ya._length);
      });
      const [x, y] = spec.axes[spec.axes.length - 1];
      const xa = axis(x, "x"), ya = axis(y, "y");
      values.forEach((v, k) => {
        dots[k].setAttribute("cx", xa._offset + xa.c2p(c));
        dots[k].setAttribute("cy", ya._offset + ya.c2p(v));
      });
      svg.style.display = "";
    }

    // the pair's label, in place (plotly's copies too, so a redraw keeps it)
    function setLabel(text) {
      const i = annotationIndex();
      gd.layout.annotations[i].text = text;
      const full = gd._fullLayout.annotations && gd._fullLayout.annotations[i];
      if (full) full.text = text;
      const el = gd.querySelector(`g.annotation[data-index="${i}"] text`);
      if (el) el.textContent = text; else env.Plotly.relayout(gd, { [`annotations[${i}].text`]: text });
    }

    function codeAt(event) {
      for (const [x, y] of spec.axes) {
        const xy = live.pointerOn(gd, event, x, y);
        if (xy) return xy[0];
      }
      return null;
    }

    const onMove = live.guard(env, (event) => {
      const start = performance.now();
      const c = codeAt(event);
      if (c === null || !decodeAt(c)) { rest(); return; }
      live.timeMove(gd, event, start);
    });
    const onLeave = live.guard(env, () => rest());
    gd.addEventListener("pointermove", onMove);
    gd.addEventListener("pointerleave", onLeave);

    // a slider chose another model (a page's frame drew its midpoint): decode with it
    function refresh() {
      if (state.code !== null && modelId() !== state.shown) decodeAt(state.code);
    }

    return {
      refresh: live.guard(env, refresh),
      state,
      decodeAt: (c) => decodeAt(c),
      rest: () => rest(),
      modelId: () => modelId(),
      detach() {
        rest();
        gd.removeEventListener("pointermove", onMove);
        gd.removeEventListener("pointerleave", onLeave);
      },
    };
  }

  window.vaeLive.register("code_axis", attachCodeAxis);
})();
