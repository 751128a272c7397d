// 02's code axis in the page (explainer.widgets.code_space's live_figures): the code c under
// the pointer, hovering or dragging along the code axis (or the distance panel below it,
// which shares its x axis), decoded by the shown model (a 1-D code: decode([c])). The decode
// replaces the midpoint's above the true 3/4 moon, its label says c, the code is marked on
// the axis, and its RMS distances to the three moons and its lit fraction are marked on
// their curves. The pointer gone, the midpoint's decode is back. A state whose model the page
// does not carry (not in choose.table) decodes nothing: the figure stays as stored.
//
// spec: {kind: "code_axis", traces: {code, distances, pair}, axes: [[x, y], ...] (the panels
//        that point at a code), annotation: name of the pair's label, label: its text at rest,
//        references: [full, 3/4, half] (784 values each), lit_reference: a full moon's
//        total brightness, tile: {side, pad}, model: id | choose: {sliders, table, defaults}}
(function () {
  "use strict";
  const L = () => window.vaeLive, F = () => window.vaeForward;

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
      const d = state.distances;
      env.Plotly.update(gd, { x: [[c], [c, c, c, c]], y: [[0], d] },
                        { [`annotations[${annotationIndex()}].text`]: `at the pointer, c = ${c.toFixed(2)}` },
                        [live.traceIndex(gd, spec.traces.code), live.traceIndex(gd, spec.traces.distances)]);
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
      env.Plotly.update(gd, { x: [[], []], y: [[], []] },
                        { [`annotations[${annotationIndex()}].text`]: spec.label },
                        [live.traceIndex(gd, spec.traces.code), live.traceIndex(gd, spec.traces.distances)]);
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
      const timing = { handler: performance.now() - start,
                       sinceEvent: performance.now() - event.timeStamp, painted: null };
      // the next frame the browser paints shows the new panels
      requestAnimationFrame(() => { timing.painted = performance.now() - event.timeStamp; });
      gd.vaeLiveTimings.push(timing);
      if (gd.vaeLiveTimings.length > 1000) gd.vaeLiveTimings.shift();
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
        gd.removeEventListener("pointermove", onMove);
        gd.removeEventListener("pointerleave", onLeave);
      },
    };
  }

  window.vaeLive.register("code_axis", attachCodeAxis);
})();
