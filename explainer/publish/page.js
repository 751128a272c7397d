(function () {
  // The page's figures and its state. Each explainer (script.explainer-spec) holds the step
  // of each of its controls; a control may have a slider on several of its figures, and all
  // of them show that step. chooseStep is the one way a step is chosen: from a slider moved
  // with the mouse and from the page's address (#beta=3&noise=0.3). After a choice, show()
  // moves the sliders, plays each figure's frame (named by its group's steps: "g1:2-0"),
  // and swaps the readouts' text; then the address is written back and listeners are told.
  var OPTS = {mode: "immediate", frame: {duration: 0, redraw: true}, transition: {duration: 0}};
  var listeners = [], explainers = [], byKey = {}, isReady = false, resolveReady;
  var ready = new Promise(function (resolve) { resolveReady = resolve; });

  function draw(el) {  // a figure from its JSON, with its frames; resolves even if it fails
    var spec = JSON.parse(el.textContent), gd = document.getElementById(el.dataset.target);
    var fig = spec.figure;
    return Plotly.newPlot(gd, fig.data, fig.layout, PLOT_CONFIG).then(function () {
      return fig.frames && fig.frames.length ? Plotly.addFrames(gd, fig.frames) : null;
    }).then(null, function (err) { console.error(err); }).then(function () { return spec; });
  }

  function comboName(ex, gid) {
    var steps = ex.groups[gid].controls.map(function (c) { return ex.idx[c]; });
    return "g" + gid + ":" + steps.join("-");
  }

  function explainer(el, plotSpecs) {
    var spec = JSON.parse(el.textContent), ex = {spec: spec, groups: {}, figures: [], lastMoved: -1,
      idx: spec.controls.map(function (c) { return c.default; }), queue: Promise.resolve(),
      readouts: {}};
    spec.groups.forEach(function (g) { ex.groups[g.id] = g; });
    el.parentNode.querySelectorAll(".readout").forEach(function (r) {
      ex.readouts[r.dataset.readout] = r;
    });
    spec.figures.forEach(function (f) {
      var frames = ((plotSpecs[f.target] || {}).figure || {}).frames || [], names = {}, gids = {};
      frames.forEach(function (fr) {
        names[fr.name] = true;
        gids[fr.name.slice(1, fr.name.indexOf(":"))] = true;
      });
      var fig = {gd: document.getElementById(f.target), sliders: f.sliders, frames: names,
                 shown: {}, groups: Object.keys(gids).filter(function (g) {
                   return g in ex.groups;
                 })};
      fig.groups.forEach(function (g) { fig.shown[g] = comboName(ex, g); });
      ex.figures.push(fig);
      fig.gd.on("plotly_sliderchange", function (ev) {
        if (!ev.interaction) return;  // moved by the page itself (relayout, animation)
        var s = fig.gd._fullLayout.sliders.indexOf(ev.slider);
        if (s < 0 && ev.slider) s = ev.slider._index;
        var c = fig.sliders[s];
        if (c === undefined) return;
        // plotly itself plays the frame of a step that executes (a group of one on this figure)
        if (ev.step && ev.step.execute) fig.shown[groupOf(ex, c)] = ev.step.args[0][0];
        chooseStep(ex, c, ev.slider.active);
        show(ex).then(function (moved) {
          writeAddress();
          tell(moved.indexOf(fig.gd) < 0 ? [fig.gd].concat(moved) : moved);
        });
      });
    });
    spec.controls.forEach(function (c, i) { byKey[c.key] = {ex: ex, control: i}; });
    return ex;
  }

  function groupOf(ex, c) {
    for (var g in ex.groups) if (ex.groups[g].controls.indexOf(c) >= 0) return g;
    return null;
  }

  // choose step k of control c: a group stored one control at a time puts its others back
  function chooseStep(ex, c, k) {
    var g = groupOf(ex, c);
    ex.idx[c] = k;
    ex.lastMoved = c;
    if (g !== null && !ex.groups[g].product) {
      ex.groups[g].controls.forEach(function (o) {
        if (o !== c) ex.idx[o] = ex.spec.controls[o].default;
      });
    }
  }

  function activeOf(gd, s) {
    var a = gd.layout.sliders[s].active;
    return a === undefined ? 0 : a;
  }

  function showFigure(ex, fig) {  // resolves to whether any of its sliders or frames changed
    var update = {}, names = [];
    fig.sliders.forEach(function (c, s) {
      if (activeOf(fig.gd, s) !== ex.idx[c]) update["sliders[" + s + "].active"] = ex.idx[c];
    });
    fig.groups.forEach(function (g) {
      var name = comboName(ex, g);
      if (fig.shown[g] !== name && fig.frames[name]) names.push(name);
      fig.shown[g] = name;
    });
    var moved = Object.keys(update).length > 0;
    var done = moved ? Plotly.relayout(fig.gd, update) : Promise.resolve();
    names.forEach(function (name) {
      done = done.then(function () { return Plotly.animate(fig.gd, [name], OPTS); });
    });
    return done.then(function () { return moved || names.length > 0; });
  }

  function showReadouts(ex) {
    var strings = ex.spec.readouts.strings, defaults = ex.spec.controls.map(function (c) {
      return c.default;
    });
    ex.spec.readouts.tables.forEach(function (t) {
      var key = function (combo) { return combo.join("-"); };
      var values = t.values[key(t.controls.map(function (c) { return ex.idx[c]; }))];
      if (!values) {  // stored one control at a time: the last moved, the others at their defaults
        var moved = t.controls.filter(function (c) { return ex.idx[c] !== defaults[c]; });
        var one = moved.indexOf(ex.lastMoved) >= 0 ? ex.lastMoved : moved[0];
        values = t.values[key(t.controls.map(function (c) {
          return c === one ? ex.idx[c] : defaults[c];
        }))];
      }
      t.readouts.forEach(function (r, j) {
        var el = ex.readouts[r];
        if (el && values && el.dataset.text !== String(values[j])) {
          el.innerHTML = strings[values[j]];
          el.dataset.text = String(values[j]);
        }
      });
    });
  }

  function show(ex) {  // resolves to the figures whose sliders or frames changed
    ex.queue = ex.queue.then(function () {
      var moved = [];
      var done = ex.figures.reduce(function (p, fig) {
        return p.then(function () { return showFigure(ex, fig); }).then(function (changed) {
          if (changed) moved.push(fig.gd);
        });
      }, Promise.resolve());
      return done.then(function () { showReadouts(ex); return moved; });
    }).then(null, function (err) { console.error(err); return []; });
    return ex.queue;
  }

  function tell(gds) {
    gds.forEach(function (gd) {
      listeners.forEach(function (fn) {
        try { fn(gd); } catch (err) { console.error(err); }
      });
    });
  }

  function allFigures() {
    return [].concat.apply([], explainers.map(function (ex) {
      return ex.figures.map(function (f) { return f.gd; });
    }));
  }

  // ------------------------------------------------------------------ the page's address
  function number(s) {
    s = String(s).trim();
    var x = Number(s);
    return s && isFinite(x) ? x : null;
  }

  function stepFor(labels, value) {  // the step whose label is value (numbers compared as numbers)
    var i, x = number(value), low = value.trim().toLowerCase();
    for (i = 0; i < labels.length; i++) if (labels[i] === value) return i;
    for (i = 0; i < labels.length; i++) if (labels[i].trim().toLowerCase() === low) return i;
    for (i = 0; x !== null && i < labels.length; i++) {
      var y = number(labels[i]);
      if (y !== null && Math.abs(x - y) <= 1e-9 * Math.max(1, Math.abs(x), Math.abs(y))) return i;
    }
    return -1;
  }

  function address() {
    var parts = [];
    explainers.forEach(function (ex) {
      ex.spec.controls.forEach(function (c, i) {
        if (ex.idx[i] === c.default) return;
        parts.push(c.key + "=" + encodeURIComponent(c.labels[ex.idx[i]]));
      });
    });
    return parts.join("&");
  }

  function writeAddress() {
    var state = address(), url = location.href.split("#")[0] + (state ? "#" + state : "");
    if (url !== location.href) history.replaceState(history.state, "", url);
  }

  function decode(s) {
    try { return decodeURIComponent(s.replace(/\+/g, " ")); } catch (err) { return s; }
  }

  function isState(hash) {  // #key=value&...; a plain #Heading is an anchor, not a state
    return hash.indexOf("=") >= 0 && !document.getElementById(decode(hash));
  }

  function applyAddress() {
    var hash = location.hash.slice(1), problems = [], seen = {};
    explainers.forEach(function (ex) {
      ex.idx = ex.spec.controls.map(function (c) { return c.default; });
      ex.lastMoved = -1;
    });
    (isState(hash) ? hash.split("&") : []).forEach(function (part) {
      if (!part) return;
      var eq = part.indexOf("=");
      var key = decode(part.slice(0, eq)), value = decode(part.slice(eq + 1));
      var named = '"' + key + "=" + value + '"';
      var found = eq > 0 ? byKey[key] : undefined;
      if (eq <= 0) { problems.push('"' + decode(part) + '" is not a key=value pair.'); return; }
      if (!found) {
        var keys = Object.keys(byKey);
        problems.push(named + ": this page has no control " + key + (keys.length ?
                      " (its controls: " + keys.join(", ") + ")." : " (it has no controls)."));
        return;
      }
      var ex = found.ex, c = found.control, control = ex.spec.controls[c];
      var k = stepFor(control.labels, value);
      if (k < 0) {
        problems.push(named + ": " + control.label.replace(/[\s=:]+$/, "") + " is stored at " +
                      control.labels.join(", ") + " only; it stays at " +
                      control.labels[control.default] + ".");
        return;
      }
      if (key in seen) {
        problems.push(named + ": " + key + " is given twice; " + seen[key] + " is shown.");
        return;
      }
      var g = groupOf(ex, c), other = null;
      if (g !== null && !ex.groups[g].product) {
        ex.groups[g].controls.forEach(function (o) {
          if (o !== c && ex.idx[o] !== ex.spec.controls[o].default) other = o;
        });
      }
      if (other !== null) {
        var first = ex.spec.controls[other];
        problems.push(named + ": this page stores " + ex.groups[g].controls.map(function (o) {
          return ex.spec.controls[o].key;
        }).join(", ") + " one at a time (in JupyterLab they combine), so the address can move " +
                      "only one of them; " + first.key + "=" + first.labels[ex.idx[other]] +
                      " is shown.");
        return;
      }
      seen[key] = key + "=" + control.labels[k];
      chooseStep(ex, c, k);
    });
    showNote(problems);
    return Promise.all(explainers.map(show)).then(function () { tell(allFigures()); });
  }

  function showNote(problems) {  // one note for everything the address asked that is not here
    var note = document.getElementById("page-state-note");
    if (!problems.length) {
      if (note) note.remove();
      return;
    }
    if (!note) {
      note = document.createElement("p");
      note.id = "page-state-note";
      note.className = "note error page-state";
      note.setAttribute("role", "alert");
      var header = document.querySelector("header.export");
      if (header) header.after(note); else document.body.prepend(note);
    }
    note.textContent = "This page's address asks for a view the page does not hold; those " +
                       "controls show their starting values. " + problems.join(" ");
  }

  // ------------------------------------------------------------------ the API and the start
  window.vaePage = {
    // fn(gd) after any slider of figure gd has moved, and after the address has been applied
    onChange: function (fn) {
      listeners.push(fn);
      if (isReady) allFigures().forEach(function (gd) { fn(gd); });
    },
    // {key: label} of every control of the explainer that figure gd belongs to
    values: function (gd) {
      var out = {};
      explainers.forEach(function (ex) {
        if (ex.figures.some(function (f) { return f.gd === gd; })) {
          ex.spec.controls.forEach(function (c, i) { out[c.key] = c.labels[ex.idx[i]]; });
        }
      });
      return out;
    },
    ready: ready
  };

  var plotEls = document.querySelectorAll("script.plot-spec");
  Promise.all([].map.call(plotEls, draw)).then(function (specs) {
    var plotSpecs = {};
    specs.forEach(function (spec, i) { plotSpecs[plotEls[i].dataset.target] = spec; });
    document.querySelectorAll("script.explainer-spec").forEach(function (el) {
      explainers.push(explainer(el, plotSpecs));
    });
    return applyAddress();
  }).then(null, function (err) { console.error(err); }).then(function () {
    plotEls.forEach(function (el) {
      document.getElementById(el.dataset.target).dataset.ready = "1";
    });
    window.addEventListener("hashchange", applyAddress);
    isReady = true;
    document.documentElement.dataset.pageState = "ready";
    resolveReady();
  });
})();
