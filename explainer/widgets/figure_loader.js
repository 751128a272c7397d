// The front end of SharedFigureWidget (explainer/widgets/figure.py), which fills in the two
// names below: the key plotly's widget module is shared under, and the trait names of the
// kernel's update messages. plotly's widget bundle (5 MB) and the in-page models' script
// (live.js and its kinds, 70 KB) are not in this module: one PlotlyJavaScript widget per
// kernel carries them, and each figure names that widget in its `_plotly_js` trait, so a
// page receives and runs them once, however many figures it shows.
//
// anywidget gives a model 2 s to load its module and drops every later message from the kernel
// if it takes longer; plotly.js (5 MB) can take longer on a busy machine. So this module is
// ready at once, imports plotly's bundle at most once per page, keeps the kernel's messages
// that arrive before plotly is ready, and hands them to plotly in order once it is. Should the
// page's thread be held past the 2 s all the same, followTheKernel (late_bind.js) keeps the
// figure receiving the kernel's messages from its first drawing on.
const key = __KEY__;
const messages = __MESSAGES__;
const REF = "anywidget:";
// plotly reports every hover and unhover to the kernel, a round trip per pointer move over a
// plot; the kernel listens to clicks and selections only (the maps' on_click), so those two
// reports stay in the page unless the figure's `report_hover` asks for them
const POINTS = "_js2py_pointsCallback";
const PAGE_ONLY = new Set(["plotly_hover", "plotly_unhover"]);

// plotly's widget definition, from the bundle the PlotlyJavaScript widget named by `ref` holds
function plotlyWidget(model) {
  if (!globalThis[key]) {
    const ref = model.get("_plotly_js");
    if (typeof ref !== "string" || !ref.startsWith(REF)) {
      return Promise.reject(new Error(`no plotly.js bundle named by this figure (${ref})`));
    }
    globalThis[key] = model.widget_manager.get_model(ref.slice(REF.length)).then(async (owner) => {
      // the in-page models (live.js and the scripts of its kinds), run once per page
      if (!(window.vaeLive && window.vaeLive.attach)) await importBlob(new Blob([owner.get("live_js")]));
      // the bundle arrives gzipped, as a binary buffer (a DataView)
      const gzipped = new Blob([owner.get("gzipped")]).stream();
      const source = await new Response(gzipped.pipeThrough(new DecompressionStream("gzip"))).blob();
      const widget = (await importBlob(source)).default;
      return typeof widget === "function" ? widget : () => widget;
    });
    // a failed load is reported by the figure that asked, and the next figure tries again
    globalThis[key].catch(() => { delete globalThis[key]; });
  }
  return globalThis[key];
}

// a script's text (a Blob) imported as an ES module
async function importBlob(source) {
  const url = URL.createObjectURL(new Blob([source], { type: "text/javascript" }));
  try {
    return await import(url);
  } finally {
    URL.revokeObjectURL(url);
  }
}

export default () => {
  let figure; // plotly's widget definition for this model, once loaded
  let ready; // settles when plotly holds this model and every early message

  return {
    initialize({ model, experimental }) {
      // the first change (at the latest plotly's report after drawing) hands us the real model
      model.on("change", followTheKernel);
      const early = []; // [name, message] received before plotly listened, in order
      const listening = new Set(); // events plotly's own handlers now receive
      const replaying = new Map(); // name -> the early message plotly is reading now
      const keep = (name) => () => {
        const message = model.get(name);
        if (message !== null && !listening.has(`change:${name}`)) early.push([name, message]);
      };
      const keepers = messages.map((name) => [`change:${name}`, keep(name)]);
      for (const [event, keeper] of keepers) model.on(event, keeper);

      // the model plotly sees: reads an early message while it is replayed, and until the
      // replay ends its handlers for messages are held back (the keepers queue instead)
      const held = new Set(keepers.map(([event]) => event));
      const handlers = new Map(); // event -> plotly's handlers, for the replay
      const wrapped = new Map(); // plotly's handler -> what the model calls instead
      let dropped = false; // plotly's last report stayed in the page: its save sends nothing
      const plotlyModel = {
        ...model,
        get: (name) => (replaying.has(name) ? replaying.get(name) : model.get(name)),
        set: (name, value) => {
          dropped = name === POINTS && PAGE_ONLY.has(value?.event_type)
            && !model.get("report_hover");
          if (!dropped) model.set(name, value);
        },
        save_changes: () => {
          if (!dropped) model.save_changes();
          dropped = false;
        },
        on: (event, handler) => {
          if (!handlers.has(event)) handlers.set(event, []);
          handlers.get(event).push(handler);
          const call = (...args) => {
            if (listening.has(event) || !held.has(event)) handler(...args);
          };
          wrapped.set(handler, call);
          model.on(event, call);
        },
        off: (event, handler) => model.off(event, wrapped.get(handler) ?? handler),
      };

      ready = plotlyWidget(model).then(async (make) => {
        figure = await make();
        await figure.initialize?.({ model: plotlyModel, experimental });
        for (const [name, message] of early) {
          replaying.set(name, message);
          for (const handler of handlers.get(`change:${name}`) ?? []) handler();
          replaying.delete(name);
        }
        for (const [event, keeper] of keepers) {
          listening.add(event);
          model.off(event, keeper);
        }
      });
    },

    async render({ model, el, signal, experimental }) {
      await ready;
      await nearTheScreen(model, el, signal);
      const drawn = catchUpAfterDrawing(model, el);
      const done = await figure.render({ model, el, signal, experimental });
      el.style.minHeight = ""; // drawn: the figure holds its own height
      el.classList.remove(WAITING);
      drawn.catch(window.vaeLive.errorBox(el)); // shown on the page, as the live models' errors
      followLive(model, el);
      return done;
    },
  };
};

// plotly's view listens for the kernel's updates and then draws (Plotly.newPlot, which takes
// a while); an update that arrives while it draws is applied to a plot not yet drawn and can
// be lost: the figure then stays as it was while the model, and the widget's readouts, move
// on (seen in 01's trainer, its figure drawn as it scrolled into view while a press of
// "train" streamed). So the updates that arrive before plotly reports the plot drawn are
// noted, and if there were any, the plot is drawn again from the model's current state.
const AFTER_RENDER = "plotlywidget-after-render";
function catchUpAfterDrawing(model, el) {
  let missed = false;
  const note = () => { missed = true; };
  const events = messages.map((name) => `change:${name}`);
  for (const event of events) model.on(event, note);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => finish(null), 20_000);
    function finish(gd) {
      clearTimeout(timer);
      document.removeEventListener(AFTER_RENDER, onDrawn);
      for (const event of events) model.off(event, note);
      if (!gd || !missed || !window.Plotly) { resolve(gd); return; } // (not drawn: no report came)
      try {
        // the model's copy of the figure holds every update (plotly's FigureModel keeps it)
        const data = structuredClone(model.get("_widget_data"));
        const layout = structuredClone(model.get("_widget_layout"));
        layout.height ||= 360; // as plotly's view draws it
        Promise.resolve(window.Plotly.react(gd, data, layout, model.get("_config")))
          .then(() => resolve(gd), reject);
      } catch (err) {
        reject(err);
      }
    }
    function onDrawn(event) {
      if (el.contains(event.detail?.element)) finish(event.detail.element);
    }
    document.addEventListener(AFTER_RENDER, onDrawn);
  });
}

// In a Voila page (lecture mode) a figure is drawn when it scrolls into view, so that a page
// opens with what the learner sees drawn first and is interactive sooner; until then it keeps
// its height, so nothing below it moves when it is drawn. In JupyterLab every figure is drawn
// at once (the notebook has its own windowing). Drawing a screen's height ahead was measured
// too (benchmarks/README.md): it drew a few more figures during the load, and made the load
// a little slower, for a scroll that is drawn in a third of a second either way.
const AHEAD = "0px"; // the margin around the view within which figures are drawn
const WAITING = "vae-figure-waiting"; // the class of a figure's element until it is drawn
// what scrolls in Voila's lab template (a margin applies to the observer's root only; with
// the whole screen as root, this scrolling box would clip the figures below it first)
const SCROLLER = "rendered_cells";
function nearTheScreen(model, el, signal) {
  if (document.body.dataset.voila !== "voila" || typeof IntersectionObserver === "undefined") {
    return Promise.resolve();
  }
  const layout = model.get("_layout") || {};
  el.style.minHeight = `${typeof layout.height === "number" ? layout.height : 450}px`;
  el.classList.add(WAITING);
  return new Promise((resolve) => {
    const observer = new IntersectionObserver((entries) => {
      if (!entries.some((entry) => entry.isIntersecting)) return;
      observer.disconnect();
      resolve();
    }, { root: document.getElementById(SCROLLER), rootMargin: AHEAD });
    observer.observe(el);
    signal?.addEventListener("abort", () => observer.disconnect());
  });
}

// The figure's in-page model (SharedFigureWidget.live, explainer/widgets/live.py): attached to
// the drawn plot once plotly has drawn it, and again whenever the kernel sends a new one.
function followLive(model, el) {
  const report = window.vaeLive.errorBox(el);
  let handle = null;
  function plotOf(tries) {
    const gd = el.classList.contains("js-plotly-plot") ? el : el.querySelector(".js-plotly-plot");
    if (gd && gd._fullLayout && gd.data) return Promise.resolve(gd);
    if (tries <= 0) return Promise.reject(new Error("the figure was not drawn within 20 s"));
    return new Promise((r) => setTimeout(r, 50)).then(() => plotOf(tries - 1));
  }
  function follow() {
    const live = model.get("live");
    if (handle && handle.detach) handle.detach();
    handle = null;
    if (!live || !live.kind) return;
    plotOf(400).then((gd) => {
      handle = window.vaeLive.attach(gd, live, { Plotly: window.Plotly, report });
      gd.vaeLive = [handle];
      gd.dataset.live = "1";
    }).catch(report);
  }
  model.on("change:live", follow);
  follow();
}
