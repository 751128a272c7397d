// 04's latent maps in the page (explainer.widgets.latent_maps.LatentMapExplorer.live_figure):
// the point under the pointer, hovering or dragging over either map, decoded by both rows'
// models into the detail column's top tile ("at the click"); a click marks the point on both
// maps. In an exported page also: the decoded grid of each row's model, computed here when
// the sliders change the model, and a drawing pad whose digit (strokesToImage, as
// explainer.strokes.strokes_to_image) is encoded by both models: its code (and the VAE's
// 1-sigma ellipse) drawn on both maps, its reconstruction in the third tile.
//
// spec: {kind: "maps", rows: [{traces: {click, point, drawn_code, drawn_ellipse, detail,
//        manifold}, axes: [x, y], detail_axis, model: id | choose: {sliders, table, defaults}}],
//        models: {id: packed}, views: {id: {half_width}} (page), n_grid, tile: {side, pad},
//        labels: [3 tile labels], point, drawn (base64 grey bytes) | null, drawn_label,
//        pad: {size, pen_width} | null, clicks: whether a click is handled here}
(function () {
  "use strict";
  const L = () => window.vaeLive, F = () => window.vaeForward;
  const ELLIPSE_VERTICES = 24;

  function attachMaps(gd, spec, env) {
    const live = L(), forward = F();
    const rows = spec.rows;
    const tileSpec = spec.tile || { side: 28, pad: 2 };
    const state = {
      point: spec.point ? spec.point.slice() : null,
      drawn: spec.drawn ? live.greyPixels(spec.drawn) : null,
      drawnLabel: spec.drawn_label || spec.labels[1],
      pointer: null, // the last point decoded into the top tiles
      strokes: null, // the pad's strokes, as the pad gives them
      shown: rows.map(() => null), // the model id each row's panels were computed with
      tiles: rows.map(() => [null, null, null]), // at the pointer, drawn, reconstructed
    };
    gd.vaeLiveTimings = []; // pointer event -> panels redrawn, ms (benchmarks/live_pages.py)

    function rowModelId(r) {
      const row = rows[r];
      if (row.model) return row.model;
      const key = row.choose.sliders.map((name, k) => {
        const label = env.sliderLabel ? env.sliderLabel(gd, name) : live.sliderLabel(gd, name);
        return label === null ? row.choose.defaults[k] : label;
      }).join("|");
      const id = row.choose.table[key];
      if (!id) throw new Error(`no model in the page for ${row.choose.sliders.join(", ")} = ${key}`);
      return id;
    }

    function decodeOne(id, x, y) {
      return forward.decode(live.model(spec, id), new Float32Array([x, y]));
    }

    function redrawDetail(r) {
      const t = state.tiles[r];
      live.showImage(gd, rows[r].traces.detail,
                     live.tile(t, { side: tileSpec.side, nCols: 1, pad: tileSpec.pad }), env);
    }

    // the drawn digit encoded by row r's model: its code, ellipse and reconstruction
    function encodeDrawn(r, id) {
      const names = rows[r].traces;
      if (!state.drawn) {
        state.tiles[r][1] = state.tiles[r][2] = null;
        env.Plotly.restyle(gd, { x: [[], []], y: [[], []] },
                           [live.traceIndex(gd, names.drawn_code), live.traceIndex(gd, names.drawn_ellipse)]);
        return;
      }
      const packed = live.model(spec, id);
      const { means, logvars } = forward.encode(packed, state.drawn);
      const m = [means[0], means[1]];
      const ex = [], ey = [];
      if (logvars) {
        // x_k = m_1 + sigma_1 cos t_k, y_k = m_2 + sigma_2 sin t_k, sigma = exp(s / 2)
        const s1 = Math.exp(0.5 * logvars[0]), s2 = Math.exp(0.5 * logvars[1]);
        for (let k = 0; k < ELLIPSE_VERTICES; k++) {
          const t = (2 * Math.PI * k) / (ELLIPSE_VERTICES - 1);
          ex.push(m[0] + s1 * Math.cos(t)); ey.push(m[1] + s2 * Math.sin(t));
        }
      }
      state.tiles[r][1] = state.drawn;
      state.tiles[r][2] = forward.decode(packed, new Float32Array(m));
      env.Plotly.restyle(gd, { x: [[m[0]], ex], y: [[m[1]], ey] },
                         [live.traceIndex(gd, names.drawn_code), live.traceIndex(gd, names.drawn_ellipse)]);
    }

    // the decoded grid over the row's square: n_grid x n_grid codes, top row at y = +h
    // (explainer.map_views.grid_codes and tile_manifold)
    function drawManifold(r, id) {
      const view = spec.views && spec.views[id];
      if (!view) return;
      const n = spec.n_grid, h = view.half_width, side = tileSpec.side;
      const codes = new Float32Array(2 * n * n);
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < n; j++) {
          // row i at y = h - 2h i / (n - 1), column j at x = -h + 2h j / (n - 1)
          codes[2 * (i * n + j)] = -h + (2 * h * j) / (n - 1);
          codes[2 * (i * n + j) + 1] = h - (2 * h * i) / (n - 1);
        }
      }
      const decoded = forward.decode(live.model(spec, id), codes);
      const width = n * side;
      const values = new Float32Array(width * width);
      for (let k = 0; k < n * n; k++) {
        const i = Math.floor(k / n), j = k % n;
        for (let y = 0; y < side; y++) {
          for (let x = 0; x < side; x++) {
            values[(i * side + y) * width + j * side + x] = decoded[k * side * side + y * side + x];
          }
        }
      }
      live.showImage(gd, rows[r].traces.manifold, { values, width, height: width }, env);
    }

    // each row's panels for the model the controls now show (called after every change)
    function refresh(force) {
      rows.forEach((_, r) => {
        const id = rowModelId(r);
        if (!force && id === state.shown[r]) return;
        state.shown[r] = id;
        if (spec.views) drawManifold(r, id);
        state.tiles[r][0] = state.point ? decodeOne(id, state.point[0], state.point[1]) : null;
        if (spec.pad) { encodeDrawn(r, id); redrawDetail(r); }
      });
    }

    // ---------------------------------------------------------------- the pointer
    function atPointer(event) {
      for (const row of rows) {
        const xy = live.pointerOn(gd, event, row.axes[0], row.axes[1]);
        if (xy) return xy;
      }
      return null;
    }

    function decodeAt(xy) {
      state.pointer = xy;
      rows.forEach((_, r) => {
        state.tiles[r][0] = xy ? decodeOne(rowModelId(r), xy[0], xy[1]) : null;
        redrawDetail(r);
      });
    }

    // in Lab the kernel draws the drawn digit and its reconstruction: read them back from
    // the detail image it sent before drawing the pointer's tile over it
    const kernelTiles = rows.map(() => ({ source: null, tiles: null }));
    function syncFromKernel() {
      if (spec.pad) return Promise.resolve();
      return Promise.all(rows.map((row, r) => {
        const src = gd.data[live.traceIndex(gd, row.traces.detail)].source;
        if (!src || src === kernelTiles[r].source || src === kernelTiles[r].ours) return null;
        kernelTiles[r].source = src;
        return readTiles(src, tileSpec).then((tiles) => {
          state.tiles[r][1] = tiles[1]; state.tiles[r][2] = tiles[2];
        });
      }));
    }

    const onMove = live.guard(env, (event) => {
      const start = performance.now();
      const xy = atPointer(event);
      if (!xy) return;
      decodeAt(xy);
      rows.forEach((row, r) => {
        kernelTiles[r].ours = gd.data[live.traceIndex(gd, row.traces.detail)].source;
      });
      live.timeMove(gd, event, start);
    });
    // the pointer gone: the clicked point again (in Lab: the kernel's own picture)
    const onLeave = live.guard(env, () => {
      if (spec.pad) { decodeAt(state.point); return; }
      rows.forEach((row, r) => {
        if (kernelTiles[r].source) live.showSource(gd, row.traces.detail, kernelTiles[r].source, env);
      });
    });
    const onClick = live.guard(env, (event) => {
      const xy = atPointer(event);
      if (!xy) return;
      state.point = xy;
      const idx = rows.map((row) => live.traceIndex(gd, row.traces.point));
      env.Plotly.restyle(gd, { x: rows.map(() => [xy[0]]), y: rows.map(() => [xy[1]]) }, idx);
      decodeAt(xy);
    });

    const moved = (event) => {
      syncFromKernel().then(() => onMove(event), env.report);
    };
    gd.addEventListener("pointermove", moved);
    gd.addEventListener("pointerleave", onLeave);
    if (spec.clicks) gd.addEventListener("click", onClick);

    // ---------------------------------------------------------------- the pad (pages)
    let pad = null;
    if (spec.pad) {
      const box = document.createElement("div");
      box.className = "live-pad";
      const title = document.createElement("div");
      title.innerHTML = "<b>draw a digit</b> (white on black, like MNIST): its code appears " +
        "on both maps, its reconstruction in the third tile";
      const clear = document.createElement("button");
      clear.textContent = "clear drawing";
      box.append(title);
      gd.parentNode.insertBefore(box, gd.nextSibling);
      pad = window.vaeMountPad(box, {
        size: spec.pad.size, penWidth: spec.pad.pen_width,
        onStrokes: live.guard(env, (strokes) => setStrokes(strokes)),
      });
      pad.canvas.style.width = pad.canvas.style.height = "200px";
      box.append(clear);
      clear.addEventListener("click", live.guard(env, () => { pad.setStrokes([]); setStrokes([]); }));
    }

    function setStrokes(strokes) {
      state.strokes = strokes;
      const image = forward.strokesToImage(strokes, spec.pad.size, spec.pad.pen_width);
      state.drawn = image;
      state.drawnLabel = spec.labels[1];
      rows.forEach((row, r) => {
        encodeDrawn(r, rowModelId(r));
        redrawDetail(r);
        env.Plotly.relayout(gd, { [`${row.detail_axis}.ticktext`]: spec.labels });
      });
    }

    refresh(true);
    return {
      refresh: live.guard(env, () => refresh(false)),
      pad,
      state,
      decodeAt: (xy) => decodeAt(xy),
      setStrokes: (strokes) => setStrokes(strokes),
      detach() {
        gd.removeEventListener("pointermove", moved);
        gd.removeEventListener("pointerleave", onLeave);
        gd.removeEventListener("click", onClick);
      },
    };
  }

  // the three tiles of a detail image (PNG data URI), read back as Float32Arrays
  function readTiles(uri, tileSpec) {
    return new Promise((resolve, reject) => {
      const img = new Image();
      img.onload = () => {
        const canvas = document.createElement("canvas");
        canvas.width = img.width; canvas.height = img.height;
        const ctx = canvas.getContext("2d");
        ctx.drawImage(img, 0, 0);
        const data = ctx.getImageData(0, 0, img.width, img.height).data;
        const side = tileSpec.side, step = side + tileSpec.pad;
        const tiles = [0, 1, 2].map((t) => {
          const out = new Float32Array(side * side);
          for (let y = 0; y < side; y++) {
            for (let x = 0; x < side; x++) out[y * side + x] = data[4 * ((t * step + y) * img.width + x)] / 255;
          }
          return out;
        });
        resolve(tiles);
      };
      img.onerror = () => reject(new Error("the detail image could not be read"));
      img.src = uri;
    });
  }

  window.vaeLive.register("maps", attachMaps);
})();
