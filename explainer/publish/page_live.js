// The page's live figures (explainer/widgets/live*.js): each `script.live-spec` is attached
// to its figure once page.js has drawn it (data-ready="1"), with the page's models
// (`script#vae-models`). A slider that moves the figure (plotly's animation of a stored
// frame) makes each live figure refresh what it computes (the decoded grid of a new model).
// An error shows under its figure; the figure then says data-live="error".
(function () {
  "use strict";
  const live = window.vaeLive;
  Object.assign(live.models, JSON.parse(document.getElementById("vae-models").textContent));

  function whenDrawn(gd) {
    return new Promise((resolve) => {
      if (gd.dataset.ready === "1") { resolve(gd); return; }
      const seen = new MutationObserver(() => {
        if (gd.dataset.ready === "1") { seen.disconnect(); resolve(gd); }
      });
      seen.observe(gd, { attributes: true, attributeFilter: ["data-ready"] });
    });
  }

  document.querySelectorAll("script.live-spec").forEach((el) => {
    const gd = document.getElementById(el.dataset.target);
    const shown = live.errorBox(gd.parentNode);
    const report = (err) => { gd.dataset.live = "error"; shown(err); };
    const env = { Plotly: window.Plotly, report, page: true };
    whenDrawn(gd).then(() => {
      const handles = JSON.parse(el.textContent).map((f) => live.attach(gd, f, env));
      gd.vaeLive = handles;
      const refresh = () => handles.forEach((h) => h.refresh && h.refresh());
      gd.on("plotly_animated", refresh);
      if (window.vaePage && window.vaePage.onChange) {
        window.vaePage.onChange((moved) => { if (moved === gd) refresh(); });
      }
      gd.dataset.live = "1";
    }).catch(report);
  });
})();
