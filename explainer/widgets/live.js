// The models in the page: figures that decode and encode in the browser (forward.js), with no
// kernel, in the exported pages and in JupyterLab/Voila (the SharedFigureWidget front end).
// Plain code, after forward.js; each kind of live figure (live_maps.js, ...) registers itself.
//
// window.vaeLive = {register, attach, models, ...helpers}
//   register(kind, attach)      attach(gd, spec, env) -> {update(spec)?, detach()?}
//   attach(gd, {kind, spec}, env)  explainer.widgets.live.LiveFigure's kind and spec; env:
//                               {Plotly, report(error), page: true in an exported page,
//                                sliderLabel(name): the current label of the page's slider}
//   models                      a page's packed models by id (spec.models may refer to them)
(function () {
  "use strict";
  // shared with any earlier copy of this script in the page
  const kinds = (window.vaeLive && window.vaeLive.kinds) || {};
  const store = (window.vaeLive && window.vaeLive.models) || {};

  function register(kind, attach) { kinds[kind] = attach; }

  // figure: {kind, spec}, as explainer.widgets.live.LiveFigure gives them
  function attach(gd, figure, env) {
    const make = kinds[figure.kind];
    if (!make) throw new Error(`no in-page model for figures of kind ${JSON.stringify(figure.kind)}`);
    const guarded = { ...env, report: env.report || ((err) => { throw err; }) };
    return make(gd, figure.spec, guarded);
  }

  // a packed model (explainer.packing.pack_model's dict), from the spec or the page's store
  function model(spec, id) {
    const found = (spec.models && spec.models[id]) || store[id];
    if (!found) throw new Error(`model ${JSON.stringify(id)} is not in the page`);
    return found;
  }

  function traceIndex(gd, name) {
    const i = gd.data.findIndex((t) => t.name === name);
    if (i < 0) throw new Error(`the figure has no trace named ${JSON.stringify(name)}`);
    return i;
  }

  // a function called with the event, its errors reported (never lost in the console)
  function guard(env, fn) {
    return function (...args) {
      try { return fn.apply(this, args); } catch (err) { env.report(err); return undefined; }
    };
  }

  // ------------------------------------------------------------------ grey images
  // values in [0, 1] (width * height, row by row) as an RGBA canvas: round(255 v), as
  // explainer.plots.images.png_data_uri draws them
  // one canvas (and its pixel buffer) per size, reused: a pointer move draws two a frame
  const canvases = new Map();
  function greyCanvas(values, width, height) {
    const key = `${width}x${height}`;
    let made = canvases.get(key);
    if (!made) {
      const canvas = document.createElement("canvas");
      canvas.width = width; canvas.height = height;
      const ctx = canvas.getContext("2d");
      made = { canvas, ctx, img: ctx.createImageData(width, height) };
      canvases.set(key, made);
    }
    const { canvas, ctx, img } = made;
    for (let i = 0; i < width * height; i++) {
      const v = Math.round(255 * Math.min(1, Math.max(0, values[i])));
      img.data[4 * i] = v; img.data[4 * i + 1] = v; img.data[4 * i + 2] = v;
      img.data[4 * i + 3] = 255;
    }
    ctx.putImageData(img, 0, 0);
    return canvas;
  }

  // square side x side images (each a Float32Array) tiled row by row, `pad` pixels of
  // `padValue` between tiles (explainer.plots.images.tile_images); null tiles are mid-grey
  function tile(images, { side = 28, nCols, pad = 1, padValue = 1 }) {
    const nRows = Math.ceil(images.length / nCols);
    const step = side + pad;
    const width = nCols * step - pad, height = nRows * step - pad;
    const out = new Float32Array(width * height).fill(padValue);
    images.forEach((img, i) => {
      const r = Math.floor(i / nCols), c = i % nCols;
      for (let y = 0; y < side; y++) {
        for (let x = 0; x < side; x++) {
          out[(r * step + y) * width + c * step + x] = img ? img[y * side + x] : 0.5;
        }
      }
    });
    return { values: out, width, height };
  }

  // base64 of bytes -> Uint8Array
  function bytes(text) {
    const bin = atob(text);
    const out = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  }

  // 8-bit grey pixels (base64) -> Float32Array of values in [0, 1]
  function greyPixels(text) {
    const b = bytes(text);
    const out = new Float32Array(b.length);
    for (let i = 0; i < b.length; i++) out[i] = b[i] / 255;
    return out;
  }

  // The image trace `name` shows `image` ({values, width, height}). Plotly draws an image
  // trace with a source as one SVG <image>; setting its href is a fraction of a restyle
  // (which recomputes every trace). plotly's copy of the source is set too, so a later
  // redraw keeps the picture. Without that element (not drawn yet) a restyle does it.
  function showImage(gd, name, image, env) {
    const uri = greyCanvas(image.values, image.width, image.height).toDataURL("image/png");
    return showSource(gd, name, uri, env);
  }

  function showSource(gd, name, uri, env) {
    const i = traceIndex(gd, name);
    const el = imageElement(gd, i);
    gd.data[i].source = uri;
    if (el && gd._fullData[i] && gd._fullData[i]._realImage) {
      el.setAttribute("href", uri);
      el.setAttributeNS("http://www.w3.org/1999/xlink", "xlink:href", uri);
      gd._fullData[i].source = uri;
    } else {
      env.Plotly.restyle(gd, { source: [uri] }, [i]);
    }
    return uri;
  }

  function imageElement(gd, i) {
    for (const g of gd.querySelectorAll("g.im")) {
      const cd = g.__data__;
      const trace = cd && (cd[0] ? cd[0].trace : cd.trace);
      if (trace && trace.index === i) return g.querySelector("image");
    }
    return null;
  }

  // ------------------------------------------------------------------ the pointer
  // One pointer move's timings, kept on gd.vaeLiveTimings (benchmarks/live_pages.py), ms:
  // handler: our handler's own work (from `start`); sinceEvent: from the event's time stamp
  // to the handler's end; painted: to the next animation frame, the frame that shows the
  // new panels; rendered: to the end of that frame's rendering work (style, layout, paint),
  // read by a message posted from the frame's callback, which runs once the frame is done.
  const afterFrame = new MessageChannel();
  const waiting = [];
  afterFrame.port1.onmessage = () => { const f = waiting.shift(); if (f) f(); };
  function timeMove(gd, event, start) {
    const now = performance.now();
    const timing = { handler: now - start, sinceEvent: now - event.timeStamp,
                     painted: null, rendered: null };
    requestAnimationFrame(() => {
      timing.painted = performance.now() - event.timeStamp;
      waiting.push(() => { timing.rendered = performance.now() - event.timeStamp; });
      afterFrame.port2.postMessage(null);
    });
    gd.vaeLiveTimings.push(timing);
    if (gd.vaeLiveTimings.length > 1000) gd.vaeLiveTimings.shift();
  }

  // The data coordinates under a pointer event if it is inside the plot area of the
  // subplot drawn on axes (xName, yName), e.g. ("x", "y") or ("x4", "y4"); else null.
  function pointerOn(gd, event, xName, yName) {
    const layout = gd._fullLayout;
    const xa = layout[axisKey(xName, "x")], ya = layout[axisKey(yName, "y")];
    if (!xa || !ya) return null;
    const box = gd.getBoundingClientRect();
    const px = event.clientX - box.left - xa._offset, py = event.clientY - box.top - ya._offset;
    if (px < 0 || px > xa._length || py < 0 || py > ya._length) return null;
    return [xa.p2c(px), ya.p2c(py)];
  }

  function axisKey(name, letter) {
    return `${letter}axis${name.slice(1)}`;
  }

  // the page's slider called `name`: the label of its current step (null: no such slider)
  function sliderLabel(gd, name) {
    const sliders = (gd.layout && gd.layout.sliders) || [];
    const s = sliders.find((x) => x.name === name);
    if (!s) return null;
    const k = s.active === undefined ? 0 : s.active;
    return s.steps[k].label;
  }

  // a visible note under the figure when the in-page model fails (and the console's copy)
  function errorBox(el) {
    return (err) => {
      console.error(err);
      let box = el.querySelector(":scope > .live-error");
      if (!box) {
        box = document.createElement("pre");
        box.className = "live-error";
        box.style.cssText = "color:#a00;background:#fee;padding:4px;white-space:pre-wrap";
        el.appendChild(box);
      }
      box.textContent = `The model in the page failed: ${err && err.message ? err.message : err}`;
    };
  }

  window.vaeLive = Object.assign(window.vaeLive || {}, {
    register, attach, kinds, model, models: store, traceIndex, guard, greyCanvas, tile, bytes,
    greyPixels, showImage, showSource, pointerOn, timeMove, sliderLabel, errorBox,
  });
})();
