"""A plotly ``FigureWidget`` that follows the kernel however late plotly.js loads, compiles
plotly.js once per page, and keeps the kernel's copy of the figure in step with the page.

plotly (>= 6) ships its ~5 MB front-end bundle with every ``FigureWidget``: a page with five
figures received 25 MB from the kernel and parsed it before it could draw. Here one
:class:`PlotlyJavaScript` widget per kernel carries the bundle, and every figure names it
(``_plotly_js``), so a page receives and parses plotly.js once, whichever figure it renders
first (after a reload, in any order). anywidget also gives a model 2 s to load its module;
a model that takes longer drops every later message from the kernel, so on a busy machine
a figure could be drawn and then ignore every slider, with nothing reported anywhere. The
front end in ``figure_loader.js`` is ready at once, imports plotly's bundle at most once per
page (kept on ``globalThis``), keeps the kernel's messages that arrive before plotly.js is
ready and hands them to plotly in order once it is.

It also keeps the kernel's copy of the figure in step with the page. After every update the
page reports the defaults plotly.js filled in ("trace deltas", "layout delta"), and plotly's
front end compares our binary-transferred numpy arrays with the values it drew as if they were
objects, so an array we set (a trace's ``y``, an axis's ``tickvals``) comes back as an
index-keyed dict such as ``{"0": 0.0, "1": 0.0}``. plotly's Python handler then stops with
"The truth value of an array ... is ambiguous" halfway through removing the "overlapping"
properties: the error goes to the kernel's log (no page shows it), properties already removed
are lost from the kernel's copy only, and the traces after it are never updated. A value we
set ourselves is never a default, so the handlers below drop every reported entry whose
property we hold as an array before plotly applies the rest.
"""

from __future__ import annotations

import functools
import gzip
import json
from pathlib import Path
from typing import Any

import anywidget
import numpy as np
import plotly.basewidget
import plotly.graph_objects as go
import plotly.io as pio
import traitlets
from plotly.io.base_renderers import MimetypeRenderer

from explainer.plots import update_traces
from explainer.widgets.live import live_script

# the bundle plotly itself uses for FigureWidget (plotly/package_data/widgetbundle.js)
_BUNDLE = Path(plotly.basewidget.__file__).parent / "package_data" / "widgetbundle.js"
_LOADER = Path(__file__).with_name("figure_loader.js")
_LATE_BIND = Path(__file__).with_name("late_bind.js")
# one key per bundle version, so two plotly versions on one page never share a module
_KEY = f"__vae_explainer_plotly_widget_{_BUNDLE.stat().st_size}"


def _front_end() -> str:
    """The ES module of ``late_bind.js`` and ``figure_loader.js``, with the key plotly's
    module is shared under and the names of the kernel's update messages (``_py2js_*``)
    filled in."""
    messages = sorted(n for n in go.FigureWidget.class_trait_names() if n.startswith("_py2js_"))
    return (_LATE_BIND.read_text(encoding="utf-8") + "\n"
            + _LOADER.read_text(encoding="utf-8")
            .replace("__KEY__", json.dumps(_KEY))
            .replace("__MESSAGES__", json.dumps(messages)))


class PlotlyJavaScript(anywidget.AnyWidget):
    """plotly's widget bundle and the in-page models' script (``live_script``), sent to the
    page once per kernel; never displayed, read by every :class:`SharedFigureWidget`'s front
    end.

    The bundle travels gzipped, as a binary buffer: 1.5 MB instead of a 5 MB JSON string
    that the kernel would encode and the page decode and parse, inside the one reply in
    which Voila's page receives every widget's state. The script (70 KB) was part of every
    figure's module until lecture pages showed a dozen figures each."""

    _esm = "export default {};"
    gzipped = traitlets.Bytes().tag(sync=True)
    live_js = traitlets.Unicode().tag(sync=True)


_plotly_js: PlotlyJavaScript | None = None


@functools.cache
def _gzipped_bundle() -> bytes:
    # mtime=0: the same bytes in every kernel
    return gzip.compress(_BUNDLE.read_bytes(), compresslevel=6, mtime=0)


def plotly_javascript() -> PlotlyJavaScript:
    """This kernel's :class:`PlotlyJavaScript` (made again if it was closed)."""
    global _plotly_js
    if _plotly_js is None or _plotly_js.comm is None:
        _plotly_js = PlotlyJavaScript(gzipped=_gzipped_bundle(), live_js=live_script())
    return _plotly_js


class SharedFigureWidget(go.FigureWidget):
    """``go.FigureWidget`` with the front end above: same Python API, same drawing, but for
    one thing: plotly's page reports every hover and unhover to the kernel, a round trip per
    pointer move over a plot, which delayed the next redraw of a live figure (04's maps in
    JupyterLab, benchmarks/README.md). Here the page keeps them unless ``report_hover`` is
    true: a trace's ``on_hover`` and ``on_unhover`` callbacks run only then. Clicks and
    selections reach the kernel as in plotly."""

    _esm = _front_end()
    # "anywidget:<model id>" of the PlotlyJavaScript widget whose bundle draws this figure
    _plotly_js = traitlets.Unicode().tag(sync=True)

    @traitlets.default("_plotly_js")
    def _shared_plotly_js(self) -> str:
        # computed with the figure's first state, so the bundle's widget reaches the page first
        return f"anywidget:{plotly_javascript().model_id}"
    # the figure's in-page model, {"kind": ..., "spec": ...} (explainer.widgets.live); the
    # front end decodes under the pointer with it, with no round trip to the kernel
    live = traitlets.Dict().tag(sync=True)
    # send plotly's hover and unhover reports to the kernel (for on_hover, on_unhover)
    report_hover = traitlets.Bool(False).tag(sync=True)

    # each override is registered for its trait again: a plain method of the same name would
    # hide plotly's decorated handler from traitlets, and the page's reports would be ignored
    @traitlets.observe("_js2py_traceDeltas")
    def _handler_js2py_traceDeltas(self, change: dict[str, Any]) -> None:
        msg = change["new"]
        if msg:
            by_uid = {trace.uid: trace._props for trace in self.data}
            msg = {**msg, "trace_deltas": [
                without_echoed_arrays(delta, by_uid.get(delta.get("uid"), {}))
                for delta in msg["trace_deltas"]]}
        super()._handler_js2py_traceDeltas({**change, "new": msg})

    # (plotly 7.1's page sends its layout report as `_js2py_widget_layoutDelta`, a trait the
    # kernel does not have, so this one is not called today; it guards the same failure for
    # arrays in the layout, such as tick values, once the two names agree)
    @traitlets.observe("_js2py_layoutDelta")
    def _handler_js2py_layoutDelta(self, change: dict[str, Any]) -> None:
        msg = change["new"]
        if msg:
            msg = {**msg, "layout_delta": without_echoed_arrays(msg["layout_delta"],
                                                                self._widget_layout)}
        super()._handler_js2py_layoutDelta({**change, "new": msg})


class SharedFigureRenderer(MimetypeRenderer):
    """plotly's renderer for lecture mode: ``fig.show()`` shows the figure as a
    :class:`SharedFigureWidget`, drawn by the page's one plotly.js."""

    def to_mimebundle(self, fig_dict: dict) -> dict:
        return SharedFigureWidget(fig_dict)._repr_mimebundle_()


# the name SharedFigureRenderer is registered under in plotly's renderers
SHARED_RENDERER = "vae_explainer_shared_figure"


def use_shared_figures() -> None:
    """From now on ``fig.show()`` shows a :class:`SharedFigureWidget` (lecture mode:
    :mod:`explainer.renderers`)."""
    pio.renderers[SHARED_RENDERER] = SharedFigureRenderer()
    pio.renderers.default = SHARED_RENDERER


def apply_updates(fig: go.FigureWidget, traces: dict[str, dict[str, Any]],
                  layout: dict[str, Any] | None = None, *, title: str | None = None) -> None:
    """Copy a figure builder's ``*_updates`` (each trace's new data, by trace name, through
    :func:`explainer.plots.update_traces`), ``layout`` entries and the ``title`` into
    ``fig``, in one message."""
    with fig.batch_update():
        update_traces(fig, traces)
        if title is not None:
            fig.layout.title.text = title
        if layout:
            fig.layout.update(layout)


def without_echoed_arrays(delta: dict[str, Any], props: dict[str, Any]) -> dict[str, Any]:
    """``delta`` (defaults reported by the page) without the entries for properties that
    ``props`` (what we set) holds as arrays: those are our own data echoed back, never
    defaults. Nested dicts (``marker``, ``xaxis``) are filtered the same way."""
    clean = {}
    for key, value in delta.items():
        mine = props.get(key) if isinstance(props, dict) else None
        if _is_data_array(mine):
            continue
        if isinstance(value, dict) and isinstance(mine, dict):
            value = without_echoed_arrays(value, mine)
        clean[key] = value
    return clean


def _is_data_array(value: object) -> bool:
    """An array of values (a numpy array, plotly's typed-array form ``{"dtype", "bdata"}`` in
    which a figure's dict carries one, or a list of numbers or strings), not a list of
    objects such as ``layout.annotations``, whose defaults the page reports correctly."""
    if isinstance(value, np.ndarray):
        return True
    if isinstance(value, dict):
        return {"dtype", "bdata"} <= value.keys()
    return isinstance(value, (list, tuple)) and not (value and isinstance(value[0], dict))
