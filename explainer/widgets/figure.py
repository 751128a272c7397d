"""A plotly ``FigureWidget`` whose front-end code is compiled once per page, not once per figure.

plotly (>= 6) ships its ~5 MB front-end bundle with every ``FigureWidget``, and anywidget
imports each copy as a fresh module, so the browser parses and initialises plotly.js again
for every figure on the page. Measured here in Voila with four figures: about 4 s from the
end of execution to the last figure drawn, against about 1.8 s with the loader below.

The loader below hands anywidget a small module that imports the same bundle at most once
per page (kept on ``globalThis``) and returns that module's widget definition to every
later figure. Each instance still carries the bundle, so any figure can be the first one
rendered (after a reload, in any order); only the repeated compilation is saved.

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

import json
from pathlib import Path
from typing import Any

import numpy as np
import plotly.basewidget
import plotly.graph_objects as go
import traitlets

# the bundle plotly itself uses for FigureWidget (plotly/package_data/widgetbundle.js)
_BUNDLE = Path(plotly.basewidget.__file__).parent / "package_data" / "widgetbundle.js"
# one key per bundle version, so two plotly versions on one page never share a module
_KEY = f"__vae_explainer_plotly_{_BUNDLE.stat().st_size}"


def _shared_loader(bundle: str) -> str:
    """An ES module whose default export resolves to plotly's widget definition, importing
    ``bundle`` from a blob URL only the first time any figure on the page asks for it."""
    return (
        f"const key = {json.dumps(_KEY)};\n"
        f"const source = {json.dumps(bundle)};\n"
        "export default async () => {\n"
        "  if (!globalThis[key]) {\n"
        "    const url = URL.createObjectURL(new Blob([source], {type: 'text/javascript'}));\n"
        "    globalThis[key] = import(url);\n"
        "  }\n"
        "  const widget = (await globalThis[key]).default;\n"
        "  return typeof widget === 'function' ? await widget() : widget;\n"
        "};\n"
    )


class SharedFigureWidget(go.FigureWidget):
    """``go.FigureWidget`` with the shared loader: same Python API, same front end."""

    _esm = _shared_loader(_BUNDLE.read_text(encoding="utf-8"))

    # each override is registered for its trait again: a plain method of the same name would
    # hide plotly's decorated handler from traitlets, and the page's reports would be ignored
    @traitlets.observe("_js2py_traceDeltas")
    def _handler_js2py_traceDeltas(self, change: dict[str, Any]) -> None:
        msg = change["new"]
        if msg:
            by_uid = {trace.uid: trace._props for trace in self.data}
            msg = {**msg, "trace_deltas": [without_echoed_arrays(delta, by_uid.get(delta.get("uid"), {}))
                                           for delta in msg["trace_deltas"]]}
        super()._handler_js2py_traceDeltas({**change, "new": msg})

    # (plotly 7.1's page sends its layout report as `_js2py_widget_layoutDelta`, a trait the
    # kernel does not have, so this one is not called today; it guards the same failure for
    # arrays in the layout, such as tick values, once the two names agree)
    @traitlets.observe("_js2py_layoutDelta")
    def _handler_js2py_layoutDelta(self, change: dict[str, Any]) -> None:
        msg = change["new"]
        if msg:
            msg = {**msg, "layout_delta": without_echoed_arrays(msg["layout_delta"], self._widget_layout)}
        super()._handler_js2py_layoutDelta({**change, "new": msg})


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
    """An array of values (a numpy array, or a list of numbers or strings), not a list of
    objects such as ``layout.annotations``, whose defaults the page reports correctly."""
    if isinstance(value, np.ndarray):
        return True
    return isinstance(value, (list, tuple)) and not (value and isinstance(value[0], dict))
