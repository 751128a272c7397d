(function () {
  var OPTS = {mode: "immediate", frame: {duration: 0, redraw: true}, transition: {duration: 0}};
  function activeOf(gd, s, fallback) {
    var a = gd.layout.sliders[s].active;
    return a === undefined ? fallback : a;
  }
  function drive(gd, groups) {
    if (!groups.length) return;
    var resetting = false;
    gd.on("plotly_sliderchange", function (ev) {
      if (resetting) return;
      var moved = gd._fullLayout.sliders.indexOf(ev.slider);
      if (moved < 0 && ev.slider) moved = ev.slider._index;
      groups.forEach(function (g) {
        var pos = g.sliders.indexOf(moved);
        if (pos < 0) return;
        var reset = {}, combo = g.sliders.map(function (s, k) {
          if (k === pos) return activeOf(gd, s, g.defaults[k]);
          if (g.product) return activeOf(gd, s, g.defaults[k]);
          if (activeOf(gd, s, g.defaults[k]) !== g.defaults[k]) reset["sliders[" + s + "].active"] = g.defaults[k];
          return g.defaults[k];
        });
        var name = "g" + g.id + ":" + combo.join("-");
        var go = function () { return Plotly.animate(gd, [name], OPTS); };
        if (Object.keys(reset).length) {
          resetting = true;
          Plotly.relayout(gd, reset).then(function () { resetting = false; return go(); });
        } else { go(); }
      });
    });
  }
  document.querySelectorAll("script.plot-spec").forEach(function (el) {
    var spec = JSON.parse(el.textContent);
    var gd = document.getElementById(el.dataset.target);
    var fig = spec.figure;
    Plotly.newPlot(gd, fig.data, fig.layout, PLOT_CONFIG).then(function () {
      return fig.frames && fig.frames.length ? Plotly.addFrames(gd, fig.frames) : null;
    }).then(function () { drive(gd, spec.groups || []); gd.dataset.ready = "1"; });
  });
})();
