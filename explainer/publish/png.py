"""Compact PNG copies of figures, so stored notebooks read on GitHub and nbviewer (which
render neither plotly's JSON nor widgets).

kaleido (>= 1, in the ``[export]`` extra) draws them with Chromium; it finds the browser
through ``BROWSER_PATH``, which defaults here to Debian's ``/usr/bin/chromium``.
"""

from __future__ import annotations

import io
import os
from collections.abc import Sequence
from pathlib import Path

import plotly.graph_objects as go
import plotly.io as pio
from plotly.basedatatypes import BaseFigure

from explainer.publish.extras import require

DEBIAN_CHROMIUM = Path("/usr/bin/chromium")
# PNGs at the figure's own width (or plotly's default 700 px), one pixel per pixel, in
# 256 colours: the 1100 x 820 latent maps take ~90 KB instead of ~380 KB, so every
# notebook stays well under 2 MB
SCALE = 1.0
COLORS = 256


def use_browser() -> None:
    """Point kaleido at Debian's Chromium unless ``BROWSER_PATH`` names another."""
    if "BROWSER_PATH" not in os.environ and DEBIAN_CHROMIUM.exists():
        os.environ["BROWSER_PATH"] = str(DEBIAN_CHROMIUM)


def figure_png(fig: BaseFigure | dict, *, scale: float = SCALE) -> bytes:
    """``fig`` drawn as a PNG at its layout's size (plotly's default if it has none),
    reduced to ``COLORS`` colours."""
    if isinstance(fig, dict):
        fig = go.Figure(fig)
    if not isinstance(fig, BaseFigure):
        raise ValueError(f"fig must be a plotly Figure or FigureWidget, got {type(fig).__name__}")
    if not 0 < scale <= 4:
        raise ValueError(f"scale must be in (0, 4], got {scale}")
    require("kaleido")
    use_browser()
    return compact_png(pio.to_image(fig, format="png", scale=scale))


def compact_png(png: bytes, *, colors: int = COLORS) -> bytes:
    """``png`` on white, in at most ``colors`` colours (no dithering), optimised."""
    from PIL import Image

    if not 2 <= colors <= 256:
        raise ValueError(f"colors must be in [2, 256], got {colors}")
    image = Image.open(io.BytesIO(png)).convert("RGBA")
    flat = Image.new("RGB", image.size, "white")
    flat.paste(image, mask=image.getchannel("A"))
    small = flat.quantize(colors=colors, method=Image.Quantize.FASTOCTREE,
                          dither=Image.Dither.NONE)
    out = io.BytesIO()
    small.save(out, format="PNG", optimize=True)
    return out.getvalue()


def figures_png(figs: Sequence[BaseFigure], *, scale: float = SCALE) -> bytes:
    """One PNG of ``figs`` stacked top to bottom (a single figure: its own PNG)."""
    if not figs:
        raise ValueError("figs must hold at least one figure")
    pngs = [figure_png(f, scale=scale) for f in figs]
    if len(pngs) == 1:
        return pngs[0]
    from PIL import Image

    images = [Image.open(io.BytesIO(p)).convert("RGB") for p in pngs]
    sheet = Image.new("RGB", (max(i.width for i in images), sum(i.height for i in images)), "white")
    top = 0
    for image in images:
        sheet.paste(image, (0, top))
        top += image.height
    out = io.BytesIO()
    sheet.save(out, format="PNG")
    return compact_png(out.getvalue())
