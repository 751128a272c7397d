"""SharedFigureWidget: plotly's own widget, its bundle sent and imported once per page, its
early update messages kept (the browser tests drive the front end itself)."""

import gzip
import json

import ipywidgets as widgets
import numpy as np
import plotly.graph_objects as go
import pytest

from explainer.plots import trace
from explainer.widgets.figure import (
    _BUNDLE,
    PlotlyJavaScript,
    SharedFigureWidget,
    apply_updates,
    plotly_javascript,
)


def test_it_is_a_plotly_figure_widget_with_the_same_api():
    fig = SharedFigureWidget(go.Scatter(y=[1, 3, 2], name="points"))
    assert isinstance(fig, go.FigureWidget)
    with fig.batch_update():
        trace(fig, "points").y = [2, 2, 2]
    assert list(trace(fig, "points").y) == [2, 2, 2]


def test_updates_are_applied_by_trace_name_in_one_message():
    fig = SharedFigureWidget([go.Scatter(y=[1, 3, 2], name="points"), go.Bar(y=[1], name="bars")])
    sent = []
    fig._send_update_msg = lambda *args, **kwargs: sent.append(args)  # one per batch
    apply_updates(fig, {"bars": {"y": [5]}, "points": {"y": [0, 0, 0]}}, {"title.text": "new"})
    assert list(trace(fig, "points").y) == [0, 0, 0] and list(trace(fig, "bars").y) == [5]
    assert fig.layout.title.text == "new" and len(sent) == 1
    with pytest.raises(KeyError, match="one trace named 'line'"):
        apply_updates(fig, {"line": {"y": [1]}})


def test_one_widget_per_kernel_carries_plotlys_bundle_and_every_figure_names_it():
    first, second = SharedFigureWidget(), SharedFigureWidget(go.Scatter(y=[1]))
    shared = plotly_javascript()
    assert isinstance(shared, PlotlyJavaScript)
    # gzipped, as a binary buffer: a third of the bytes, and no 5 MB string to parse
    assert gzip.decompress(shared.gzipped) == _BUNDLE.read_bytes()
    assert len(shared.gzipped) < _BUNDLE.stat().st_size / 2
    _state, buffer_paths, _buffers = widgets.widget._remove_buffers(shared.get_state())
    assert buffer_paths == [["gzipped"]]
    # the figures' first state names it, so the page has the bundle before it draws one
    for fig in (first, second):
        assert fig.get_state()["_plotly_js"] == f"anywidget:{shared.model_id}"
    # closed (e.g. by Widget.close_all), it is made again for the next figure
    shared.close()
    third = SharedFigureWidget()
    assert plotly_javascript() is not shared
    assert third._plotly_js == f"anywidget:{plotly_javascript().model_id}"


def test_its_module_imports_the_bundle_once_per_page_and_never_carries_it():
    esm = SharedFigureWidget._esm
    assert len(esm) < len(_BUNDLE.read_text(encoding="utf-8")) / 20
    # the import is guarded by a page-wide key: later figures reuse the first module
    assert "if (!globalThis[key])" in esm
    assert esm.count("await import(url)") == 1
    # every placeholder filled in
    assert "__KEY__" not in esm and "__MESSAGES__" not in esm and "__BUNDLE__" not in esm


def test_its_module_keeps_every_kind_of_update_message_the_kernel_sends():
    # the messages kept while plotly.js loads are exactly the kernel's _py2js_* traits
    line = next(ln for ln in SharedFigureWidget._esm.splitlines()
                if ln.startswith("const messages = "))
    kept = json.loads(line.removeprefix("const messages = ").rstrip(";"))
    sent = {name for name in go.FigureWidget.class_trait_names() if name.startswith("_py2js_")}
    assert set(kept) == sent and {"_py2js_restyle", "_py2js_relayout", "_py2js_update"} <= sent


def _page_reports_defaults(fig, **delta):
    """What the page sends after drawing an update: the defaults plotly.js filled in for the
    trace called "codes", as the front end computes them (our numpy ``y`` echoed as an index
    dict)."""
    # through the synced trait, as the page's message arrives, so the handler must be observed
    fig._js2py_traceDeltas = {"trace_deltas": [{"uid": trace(fig, "codes").uid, **delta}],
                              "trace_edit_id": fig._last_trace_edit_id}


ECHO = {"y": {"0": 0.0, "1": 0.0}, "line": {"width": 2, "dash": "solid"}, "visible": True}


def test_plotlys_own_widget_fails_on_an_echoed_numpy_array():
    # the error seen in notebooks 02 and 05 on every slider move (kernel log only): this
    # pins the upstream behaviour that SharedFigureWidget works around
    fig = go.FigureWidget(go.Scatter(x=np.array([1.0, 2.0]), y=np.zeros(2), line=dict(color="red"),
                                     name="codes"))
    with fig.batch_update():
        trace(fig, "codes").y = np.zeros(2)
    with pytest.raises(ValueError, match="truth value of an array"):
        _page_reports_defaults(fig, **ECHO)


def test_echoed_arrays_are_not_taken_for_defaults_and_the_rest_is_applied():
    fig = SharedFigureWidget(go.Scatter(x=np.array([1.0, 2.0]), y=np.zeros(2),
                                        line=dict(color="red"), name="codes"))
    codes = trace(fig, "codes")
    with fig.batch_update():
        codes.y = np.zeros(2)
    _page_reports_defaults(fig, **ECHO)
    assert np.array_equal(codes.y, np.zeros(2))  # the kernel's data are intact
    assert codes.line.color == "red"
    assert codes._prop_defaults["line"] == {"width": 2, "dash": "solid"}
    assert "y" not in codes._prop_defaults
    assert not fig._trace_edit_in_process  # the edit completed


def test_an_array_held_in_plotlys_typed_array_form_is_not_taken_for_a_default():
    # a figure made from a figure's dict (lecture mode's static figures, plotly >= 6) holds
    # its arrays as {"dtype", "bdata"}; the page echoes a heatmap's z back as a list of rows,
    # and plotly's own handler stopped on `assert isinstance(delta_data, dict)`
    z = go.Figure(go.Heatmap(z=np.zeros((2, 3), dtype=np.float32), name="codes")).to_dict()
    fig = SharedFigureWidget(z)
    codes = trace(fig, "codes")
    assert isinstance(codes._props["z"], dict) and "bdata" in codes._props["z"]
    _page_reports_defaults(fig, z=[{"dtype": "float32", "shape": [3]}] * 2, visible=True)
    assert codes._prop_defaults["visible"] is True and "z" not in codes._prop_defaults
    assert not fig._trace_edit_in_process


def test_layout_deltas_keep_numpy_tick_values():
    fig = SharedFigureWidget(go.Scatter(y=[1, 2], name="points"),
                             layout=dict(xaxis=dict(tickvals=np.array([0.0, 1.0]))))
    fig._js2py_layoutDelta = {
        "layout_delta": {"xaxis": {"tickvals": {"0": 0.0, "1": 1.0}, "type": "linear"}},
        "layout_edit_id": fig._last_layout_edit_id}
    assert np.array_equal(fig.layout.xaxis.tickvals, [0.0, 1.0])
    assert fig._layout_defaults["xaxis"] == {"type": "linear"}


def test_every_anywidget_of_the_library_routes_the_kernels_messages_past_anywidgets_limit():
    # late_bind.js is prepended to each module and armed on the model's first change
    from explainer.widgets.drawing_pad import DrawingPad

    for esm in (SharedFigureWidget._esm, DrawingPad._esm):
        module = esm if isinstance(esm, str) else esm.default_value
        assert "function followTheKernel(model)" in module
        assert 'model.on("change", followTheKernel);' in module


def test_lecture_mode_shows_static_figures_as_shared_figure_widgets(monkeypatch):
    import plotly.io as pio

    from explainer.renderers import LECTURE_MODE, use_notebook_renderer

    default = pio.renderers.default
    try:
        monkeypatch.setenv(LECTURE_MODE, "1")
        use_notebook_renderer()
        bundle = go.Figure(go.Scatter(y=[1, 2], name="points"))._repr_mimebundle_()
        from ipywidgets.widgets.widget import _instances  # the kernel's live widgets by id

        shown = _instances[bundle["application/vnd.jupyter.widget-view+json"]["model_id"]]
        assert isinstance(shown, SharedFigureWidget) and trace(shown, "points").y is not None
        assert "application/vnd.plotly.v1+json" not in bundle
        monkeypatch.setenv(LECTURE_MODE, "0")
        use_notebook_renderer()
        assert "application/vnd.plotly.v1+json" in go.Figure()._repr_mimebundle_()
        monkeypatch.setenv(LECTURE_MODE, "yes")
        with pytest.raises(ValueError, match="VAE_EXPLAINER_LECTURE must be 1"):
            use_notebook_renderer()
    finally:
        pio.renderers.default = default
