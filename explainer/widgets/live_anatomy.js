// 03's live diagram in an exported page (explainer.widgets.anatomy.DiagramExplorer
// .live_figures): the digit and the KL weight come from the page's sliders; the noise e from
// controls this script builds above the figure ("draw new noise", "set e of", "e ="). The
// chosen VAE encodes the digit into (m, s); sigma = exp(s / 2); c = m + sigma e is decoded
// (explainer.anatomy.diagram); the five bar groups, the decoded image and the readings under
// the figure (DiagramExplorer._show_readings) follow.
//
// The noise: draw k is the kernel's (torch's draw from seed + k, shipped in the spec) for the
// first noise.n_draws draws; later draws come from this page's own generator, and the
// readings say so.
//
// spec: {kind: "anatomy", traces: {input, bars: [m, s, sigma, e, c names], decoded},
//        digit: {slider, labels, default, pixels: [base64 float32 per digit]},
//        model: {slider | null, table: {label: id}, default: label},
//        noise: {seed, draws: base64 float32 (n_draws * d), n_draws, draw, e, hand_set},
//        dimension, e_range: [low, high], e_step, controls: {resample, dimension, e},
//        readout: the readings' index among the explainer's readouts (div.readout),
//        models: {id: packed} (optional: else the page's store)}
(function () {
  "use strict";

  // base64 of little-endian float32 bytes -> Float32Array
  function float32(text) {
    return new Float32Array(window.vaeLive.bytes(text).buffer);
  }

  // e ~ N(0, I) of size d from the page's own generator (mulberry32, then Box-Muller): not
  // torch's generator, so these draws differ from the kernel's
  function pageNoise(d, seed) {
    let a = seed >>> 0;
    const uniform = () => {
      a = (a + 0x6d2b79f5) >>> 0;
      let t = a;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
    const out = new Float32Array(d);
    for (let j = 0; j < d; j++) {
      // e = sqrt(-2 log u1) cos(2 pi u2), u1 in (0, 1]
      const u1 = 1 - uniform(), u2 = uniform();
      out[j] = Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
    }
    return out;
  }

  function attachAnatomy(gd, spec, env) {
    const live = window.vaeLive, forward = window.vaeForward;
    const images = spec.digit.pixels.map(float32);
    const d = spec.noise.e.length;
    const draws = float32(spec.noise.draws);
    const [low, high] = spec.e_range;
    const state = {
      draw: spec.noise.draw,
      handSet: spec.noise.hand_set.slice(),
      e: Float32Array.from(spec.noise.e),
      dimension: spec.dimension,
      digit: null, // the index into spec.digit's lists shown
      model: null, // the model id shown
      diagram: null, // {mean, logvar, sigma, noise, code, decoded}
      readings: null,
    };
    const encoded = {}; // (model id, digit) -> {means, logvars}

    // the label of the page's slider `slider` (null: no slider), else `fallback`
    function chosen(slider, fallback) {
      if (!slider) return fallback;
      const label = env.sliderLabel ? env.sliderLabel(gd, slider) : live.sliderLabel(gd, slider);
      return label === null ? fallback : label;
    }

    function digitIndex() {
      const label = chosen(spec.digit.slider, spec.digit.labels[spec.digit.default]);
      const k = spec.digit.labels.indexOf(label);
      if (k < 0) throw new Error(`no digit in the page for ${spec.digit.slider} = ${label}`);
      return k;
    }

    function modelId() {
      const label = chosen(spec.model.slider, spec.model.default);
      const id = spec.model.table[label];
      if (!id) throw new Error(`no model in the page for ${spec.model.slider} = ${label}`);
      return id;
    }

    // ---------------------------------------------------------------- the controls
    const box = document.createElement("div");
    box.className = "live-noise";
    const resample = document.createElement("button");
    resample.textContent = spec.controls.resample;
    const dimLabel = document.createElement("label");
    dimLabel.textContent = `${spec.controls.dimension} `;
    const dimension = document.createElement("select");
    dimension.name = "dimension";
    for (let j = 0; j < d; j++) dimension.add(new Option(`dim ${j + 1}`, String(j)));
    dimension.value = String(state.dimension);
    dimLabel.append(dimension);
    const eLabel = document.createElement("label");
    eLabel.textContent = ` ${spec.controls.e} `;
    const slider = document.createElement("input");
    Object.assign(slider, { type: "range", name: "e", min: String(low), max: String(high),
                            step: String(spec.e_step) });
    const shown = document.createElement("output");
    eLabel.append(slider, " ", shown);
    box.append(resample, " ", dimLabel, eLabel);
    gd.parentNode.insertBefore(box, gd);
    // the readings: the page's stored readout of them (page.js swaps in the kernel's text when
    // a slider moves; this script then writes its own), else an element of its own
    const container = gd.closest(".explainer");
    const stored = container && container.querySelector(`.readout[data-readout="${spec.readout}"]`);
    const readout = stored || document.createElement("div");
    readout.classList.add("live-readout");
    if (!stored) gd.parentNode.insertBefore(readout, gd.nextSibling);

    // where the slider shows dimension j's e: on its step, at its end if e lies beyond
    // (DiagramExplorer._slider_value)
    function sliderValue(j) {
      const v = Math.min(high, Math.max(low, state.e[j]));
      // to the nearest step (0.1: one decimal; Python rounds an exact tie to even, this up)
      return Number((Math.round(v / spec.e_step) * spec.e_step).toFixed(1));
    }

    function syncSlider() {
      const v = sliderValue(state.dimension);
      slider.value = String(v);
      shown.textContent = v.toFixed(1);
    }

    // ---------------------------------------------------------------- the diagram
    function compute() {
      const k = digitIndex(), id = modelId();
      const key = `${id}|${k}`;
      const packed = live.model(spec, id);
      if (!encoded[key]) encoded[key] = forward.encode(packed, images[k]);
      const { means, logvars } = encoded[key];
      const sigma = new Float32Array(d), code = new Float32Array(d);
      for (let j = 0; j < d; j++) {
        // sigma = exp(s / 2)
        sigma[j] = Math.exp(Math.fround(0.5 * logvars[j]));
        // c = m + exp(s / 2) e
        code[j] = means[j] + Math.fround(sigma[j] * state.e[j]);
      }
      state.digit = k; state.model = id;
      state.diagram = { mean: means, logvar: logvars, sigma, noise: Float32Array.from(state.e),
                        code, decoded: forward.decode(packed, code) };
    }

    function draw() {
      const dg = state.diagram;
      const names = spec.traces.bars;
      env.Plotly.restyle(gd, { y: [dg.mean, dg.logvar, dg.sigma, dg.noise, dg.code].map((a) => Array.from(a)) },
                         names.map((n) => live.traceIndex(gd, n)));
      const side = Math.round(Math.sqrt(dg.decoded.length));
      live.showImage(gd, spec.traces.decoded, { values: dg.decoded, width: side, height: side }, env);
      showReadings();
    }

    // the tutorial's Minimize2 and the KL under both readings of s (anatomy.kl_readings)
    function klReadings(m, s) {
      let minimize2 = 0, klVar = 0, klStd = 0;
      for (let j = 0; j < m.length; j++) {
        const m2 = m[j] * m[j];
        // exp(s_j) - (1 + s_j) + m_j^2
        minimize2 += Math.exp(s[j]) - (1 + s[j]) + m2;
        // 1/2 (exp(s_j) - 1 - s_j + m_j^2): s_j is log sigma_j^2
        klVar += 0.5 * (Math.exp(s[j]) - 1 - s[j] + m2);
        // 1/2 (exp(2 s_j) - 1 - 2 s_j + m_j^2): s_j is log sigma_j
        klStd += 0.5 * (Math.exp(2 * s[j]) - 1 - 2 * s[j] + m2);
      }
      return { minimize2, kl_log_variance: klVar, kl_log_std: klStd };
    }

    // which noise this is (anatomy.DiagramNoise.describe)
    function describe() {
      const k = state.draw, seed = spec.noise.seed + k;
      let text = k < spec.noise.n_draws ? `e: draw ${k} (seed ${seed})`
        : `e: draw ${k}, from this page's own generator (seed ${seed}; the kernel's draw ${k} differs)`;
      if (state.handSet.length) {
        const dims = state.handSet.slice().sort((a, b) => a - b).map((j) => j + 1).join(", ");
        text += `, dim${state.handSet.length > 1 ? "s" : ""} ${dims} set by hand`;
      }
      return text;
    }

    // the noise the kernel's stored readings were measured with (its state when exported)
    function kernelsNoise() {
      return stored && state.draw === spec.noise.draw && state.dimension === spec.dimension &&
        state.handSet.length === spec.noise.hand_set.length &&
        state.handSet.every((j) => spec.noise.hand_set.includes(j)) &&
        state.e.every((v, j) => v === Math.fround(spec.noise.e[j]));
    }

    function showReadings() {
      const r = klReadings(state.diagram.mean, state.diagram.logvar);
      state.readings = r;
      // with the kernel's noise the stored text (page.js shows it for the sliders' steps) is
      // the kernel's own reading, torch's KL included: kept as it is
      if (kernelsNoise()) return;
      let html = `tutorial's Minimize2 = ${r.minimize2.toFixed(3)}; ` +
        `KL if s is the log-variance = ${r.kl_log_variance.toFixed(3)}; ` +
        `KL if s is the log-std = ${r.kl_log_std.toFixed(3)}<br>${describe()}`;
      const j = state.dimension, e = state.e[j];
      if (!(low <= e && e <= high)) {
        html += `<br>dim ${j + 1}'s e is ${e.toFixed(2)}, beyond the slider's range ` +
          `[${low}, ${high}]: the slider shows ${sliderValue(j)}`;
      }
      readout.innerHTML = html;
    }

    function update() { compute(); draw(); }

    // ---------------------------------------------------------------- the noise
    function drawNew() {
      state.draw += 1;
      state.handSet = [];
      const k = state.draw;
      state.e = k < spec.noise.n_draws ? draws.slice(k * d, (k + 1) * d)
        : pageNoise(d, spec.noise.seed + k);
      syncSlider();
      update();
    }

    function setE(j, value) {
      state.e = Float32Array.from(state.e);
      state.e[j] = value;
      state.handSet = [...state.handSet.filter((q) => q !== j), j];
      if (j === state.dimension) syncSlider();
      update();
    }

    function selectDimension(j) {
      state.dimension = j;
      syncSlider();
      showReadings();
    }

    resample.addEventListener("click", live.guard(env, drawNew));
    dimension.addEventListener("change", live.guard(env, () => selectDimension(Number(dimension.value))));
    slider.addEventListener("input", live.guard(env, () => {
      shown.textContent = Number(slider.value).toFixed(1);
      setE(state.dimension, Number(slider.value));
    }));

    syncSlider();
    update();
    return {
      state,
      // after a page slider moved (and page.js showed the stored readings)
      refresh: live.guard(env, () => {
        if (digitIndex() !== state.digit || modelId() !== state.model) update();
        else showReadings();
      }),
      drawNew: live.guard(env, drawNew),
      setE: live.guard(env, (j, value) => { selectDimension(j); setE(j, value); }),
      selectDimension: live.guard(env, selectDimension),
      detach() { box.remove(); if (!stored) readout.remove(); },
    };
  }

  window.vaeLive.register("anatomy", attachAnatomy);
})();
