"""A plotly ``FigureWidget`` whose front-end code is compiled once per page, not once per figure.

plotly (>= 6) ships its ~5 MB front-end bundle with every ``FigureWidget``, and anywidget
imports each copy as a fresh module, so the browser parses and initialises plotly.js again
for every figure on the page. Measured here in Voila with four figures: about 4 s from the
end of execution to the last figure drawn, against about 1.8 s with the loader below.

The loader below hands anywidget a small module that imports the same bundle at most once
per page (kept on ``globalThis``) and returns that module's widget definition to every
later figure. Each instance still carries the bundle, so any figure can be the first one
rendered (after a reload, in any order); only the repeated compilation is saved.
"""

from __future__ import annotations

import json
from pathlib import Path

import plotly.basewidget
import plotly.graph_objects as go

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
