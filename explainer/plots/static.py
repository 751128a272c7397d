"""Static PNG copies of figures, so stored notebooks read on GitHub and nbviewer (which
render neither plotly's JSON nor widgets).

Only when ``VAE_EXPLAINER_STATIC_PNG=1`` (``tools/execute_notebooks.py`` sets it):
static figures are then shown with the ``plotly_mimetype+png`` renderer and each
Explainer adds a PNG of its figures to its output. Without it nothing changes and no
browser is needed. kaleido (>= 1) draws the PNGs with Chromium; it finds the browser
through ``BROWSER_PATH``, which defaults here to Debian's ``/usr/bin/chromium``.
"""

from __future__ import annotations

import io
import os
from collections.abc import Sequence
from pathlib import Path

import plotly.graph_objects as go
import plotly.io as pio

ENV_VAR = "VAE_EXPLAINER_STATIC_PNG"
DEBIAN_CHROMIUM = Path("/usr/bin/chromium")
# PNGs at the figure's own width (or plotly's default 700 px), one pixel per pixel: a
# readable picture at ~20-120 KB, so a notebook stays well under 2 MB
SCALE = 1.0


def requested() -> bool:
    """Whether static PNGs were asked for (``VAE_EXPLAINER_STATIC_PNG=1``)."""
    return os.environ.get(ENV_VAR) == "1"


def use_browser() -> None:
    """Point kaleido at Debian's Chromium unless ``BROWSER_PATH`` names another."""
    if "BROWSER_PATH" not in os.environ and DEBIAN_CHROMIUM.exists():
        os.environ["BROWSER_PATH"] = str(DEBIAN_CHROMIUM)


def figure_png(fig: go.Figure, *, scale: float = SCALE) -> bytes:
    """``fig`` drawn as a PNG at its layout's size (plotly's default if it has none)."""
    if not isinstance(fig, go.Figure):
        raise ValueError(f"fig must be a plotly Figure or FigureWidget, got {type(fig).__name__}")
    if not 0 < scale <= 4:
        raise ValueError(f"scale must be in (0, 4], got {scale}")
    use_browser()
    return pio.to_image(fig, format="png", scale=scale)


def figures_png(figs: Sequence[go.Figure], *, scale: float = SCALE) -> bytes:
    """One PNG of ``figs`` stacked top to bottom (a single figure: its own PNG)."""
    if not figs:
        raise ValueError("figs must hold at least one figure")
    pngs = [figure_png(f, scale=scale) for f in figs]
    if len(pngs) == 1:
        return pngs[0]
    from PIL import Image

    images = [Image.open(io.BytesIO(p)) for p in pngs]
    sheet = Image.new("RGB", (max(i.width for i in images), sum(i.height for i in images)), "white")
    top = 0
    for image in images:
        sheet.paste(image, (0, top))
        top += image.height
    out = io.BytesIO()
    sheet.save(out, format="PNG", optimize=True)
    return out.getvalue()
