// 04's interpolation in an exported page (explainer.widgets.latent_maps.InterpolationExplorer
// .live_figures): any two of the offered test digits, chosen in two menus above the figure;
// each model encodes both, and the straight line between the code means,
// c(t) = (1 - t) m(a) + t m(b), t = 0 ... 1 in n_steps steps, is decoded into its strip:
// real a, a gap, the decoded path, a gap, real b (explainer.plots.latent_maps.interpolation_strip).
//
// spec: {kind: "interpolation", models: [id per strip], labels: [model label per strip],
//        options: [{label, pixels}], first, second (indices into options), n_steps,
//        strip_pad, source_gap, traces: [strip trace names], titles: [title annotation names]}
(function () {
  "use strict";

  function attachInterpolation(gd, spec, env) {
    const live = window.vaeLive, forward = window.vaeForward;
    const side = 28;
    const images = spec.options.map((o) => live.greyPixels(o.pixels));
    const box = document.createElement("div");
    box.className = "live-choices";
    const menus = ["from", "to"].map((what, k) => {
      const label = document.createElement("label");
      label.textContent = `${what} `;
      const select = document.createElement("select");
      select.name = what;
      spec.options.forEach((o, i) => select.add(new Option(o.label, String(i))));
      select.value = String(k === 0 ? spec.first : spec.second);
      label.append(select);
      box.append(label, " ");
      return select;
    });
    gd.parentNode.insertBefore(box, gd);

    function strip(a, b, path) {
      const n = spec.n_steps, gap = spec.source_gap, pad = spec.strip_pad;
      const width = side + gap + n * (side + pad) - pad + gap + side;
      const values = new Float32Array(width * side).fill(1);
      const put = (img, x0) => {
        for (let y = 0; y < side; y++) {
          for (let x = 0; x < side; x++) values[y * width + x0 + x] = img[y * side + x];
        }
      };
      put(a, 0);
      for (let k = 0; k < n; k++) put(path.subarray(k * side * side, (k + 1) * side * side), side + gap + k * (side + pad));
      put(b, width - side);
      return { values, width, height: side };
    }

    function redraw() {
      const i = Number(menus[0].value), j = Number(menus[1].value);
      const a = images[i], b = images[j];
      const pair = new Float32Array(2 * a.length);
      pair.set(a, 0); pair.set(b, a.length);
      const relayout = {};
      spec.models.forEach((id, s) => {
        const packed = live.model(spec, id);
        const { means } = forward.encode(packed, pair);
        const d = means.length / 2, n = spec.n_steps;
        const codes = new Float32Array(n * d);
        for (let k = 0; k < n; k++) {
          const t = n === 1 ? 0 : k / (n - 1);
          // c(t) = (1 - t) m_a + t m_b
          for (let q = 0; q < d; q++) codes[k * d + q] = (1 - t) * means[q] + t * means[d + q];
        }
        live.showImage(gd, spec.traces[s], strip(a, b, forward.decode(packed, codes)), env);
        const note = gd.layout.annotations.findIndex((x) => x.name === spec.titles[s]);
        if (note >= 0) {
          relayout[`annotations[${note}].text`] =
            `${spec.labels[s]}: from ${spec.options[i].label} to ${spec.options[j].label}`;
        }
      });
      env.Plotly.relayout(gd, relayout);
    }

    const changed = live.guard(env, redraw);
    menus.forEach((m) => m.addEventListener("change", changed));
    return { menus, redraw: changed, detach() { box.remove(); } };
  }

  window.vaeLive.register("interpolation", attachInterpolation);
})();
