"""Images for the browser: tile many digits into one picture, send it as one PNG.

A decoded grid of 400 digits sent as a float heatmap redraws in over 1 s in the
browser; the same pixels as a PNG ``source`` of a ``go.Image`` trace take ~0.15 s.
"""

from __future__ import annotations

import base64
import io

import numpy as np
import plotly.graph_objects as go
import torch
from PIL import Image

from explainer.validation import check_int

# the name of image_grid_figure's one trace
IMAGES = "images"


def as_square_images(images: np.ndarray | torch.Tensor, *, side: int | None = None) -> np.ndarray:
    """Images of shape (n, side * side) or (n, side, side) as a float array (n, side, side)."""
    x = images.detach().cpu().numpy() if isinstance(images, torch.Tensor) else np.asarray(images)
    x = x.astype(np.float32, copy=False)
    if x.ndim == 2:
        side = side or int(round(np.sqrt(x.shape[1])))
        if side * side != x.shape[1]:
            raise ValueError(f"images must have a square number of pixels, got {x.shape[1]}")
        x = x.reshape(x.shape[0], side, side)
    if x.ndim != 3 or x.shape[1] != x.shape[2]:
        raise ValueError("images must have shape (n, side * side) or (n, side, side), "
                         f"got {x.shape}")
    return x


def tile_images(
    images: np.ndarray | torch.Tensor, *, n_cols: int, pad: int = 1, pad_value: float = 1.0
) -> np.ndarray:
    """Tile n square images row by row into one 2-D array, ``pad`` pixels between tiles."""
    x = as_square_images(images)
    n_cols = check_int("n_cols", n_cols, low=1)
    pad = check_int("pad", pad, low=0)
    n, side, _ = x.shape
    n_rows = -(-n // n_cols)
    step = side + pad
    canvas = np.full((n_rows * step - pad, n_cols * step - pad), pad_value, dtype=np.float32)
    for i in range(n):
        r, c = divmod(i, n_cols)
        canvas[r * step : r * step + side, c * step : c * step + side] = x[i]
    return canvas


def grey_levels(image: np.ndarray) -> np.ndarray:
    """Values in [0, 1] as 8-bit grey levels, round(255 v); values off [0, 1] (beyond
    1e-6) or not finite are refused, not clipped."""
    a = np.asarray(image, dtype=np.float64)
    if not np.isfinite(a).all() or a.min() < -1e-6 or a.max() > 1 + 1e-6:
        raise ValueError("image values must be finite and in [0, 1], "
                         f"got [{a.min():g}, {a.max():g}]")
    # 8-bit grey: round(255 * value)
    return np.rint(np.clip(a, 0.0, 1.0) * 255.0).astype(np.uint8)


def png_data_uri(image: np.ndarray, *, invert: bool = False) -> str:
    """A grey image with values in [0, 1] as a ``data:image/png;base64,...`` URI.

    Values outside [0, 1] are refused, not clipped. ``invert`` draws ink dark on light.
    """
    a = np.asarray(image, dtype=np.float64)
    if a.ndim != 2:
        raise ValueError(f"image must be 2-D, got shape {a.shape}")
    pixels = grey_levels(1.0 - a if invert else a)
    buffer = io.BytesIO()
    Image.fromarray(pixels, mode="L").save(buffer, format="PNG", optimize=False)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def image_trace(image: np.ndarray, *, name: str, invert: bool = False, **kwargs) -> go.Image:
    """A ``go.Image`` trace called ``name`` showing a grey [0, 1] image from a PNG source."""
    return go.Image(name=name, source=png_data_uri(image, invert=invert), **kwargs)


def image_grid_figure(
    images: np.ndarray | torch.Tensor,
    *,
    n_cols: int,
    titles: list[str] | None = None,
    invert: bool = False,
    height: int | None = None,
    title: str | None = None,
) -> go.Figure:
    """Images tiled into one PNG (one trace, named ``IMAGES``), with optional captions under
    each column of the first row."""
    canvas = tile_images(images, n_cols=n_cols, pad_value=0.0 if invert else 1.0)
    fig = go.Figure(image_trace(canvas, name=IMAGES, invert=invert, hoverinfo="skip"))
    side = as_square_images(images).shape[1]
    if titles:
        for i, text in enumerate(titles[:n_cols]):
            fig.add_annotation(x=i * (side + 1) + side / 2, y=-1, text=text, showarrow=False,
                               yanchor="bottom", font=dict(size=11))
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False, scaleanchor="x")
    fig.update_layout(
        margin=dict(l=10, r=10, t=40 if (title or titles) else 10, b=10),
        height=height or 60 + 160 * (canvas.shape[0] / max(canvas.shape[1], 1)) * 4,
        title=title,
        template="plotly_white",
    )
    return fig
