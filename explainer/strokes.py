"""A drawing on the pad as MNIST would have it: strokes of canvas pixels to a 28 x 28 digit.

:func:`check_strokes` bounds what the page may send (count, finite points near the
canvas); :func:`strokes_to_image` draws the ink, scales its bounding box to 20 x 20 and
centres its mass in 28 x 28, the way MNIST was made.
"""

from __future__ import annotations

import numpy as np

from explainer.validation import check_int, check_real

# Bounds of a drawing (the pad sends its strokes from the page): far above any real
# drawing, low enough that no drawing keeps the kernel busy for more than a few seconds.
MAX_CANVAS = 1024
MAX_POINTS = 10_000
# With pointer capture a pointer dragged off the pad keeps sending points; they draw no
# ink (clipped at the edge, as in the browser). No pointer is this many pixels away.
OFF_CANVAS = 10_000
_STROKE_TYPES = (list, tuple, np.ndarray)


def check_strokes(strokes: object, *, canvas_size: int) -> list[np.ndarray]:
    """``strokes`` as a list of (n_k, 2) float arrays, else raise naming the bad stroke.

    At most ``MAX_POINTS`` points (and strokes) in all; every coordinate finite and
    within ``OFF_CANVAS`` pixels of the ``canvas_size`` square.
    """
    if not isinstance(strokes, (list, tuple)):
        raise TypeError(f"strokes must be a list of strokes, got {type(strokes).__name__}")
    if len(strokes) > MAX_POINTS:
        raise ValueError(f"strokes hold {len(strokes)} strokes; at most {MAX_POINTS} "
                         "(clear the drawing)")
    sizes = [len(stroke) if isinstance(stroke, _STROKE_TYPES) else 0 for stroke in strokes]
    if sum(sizes) > MAX_POINTS:
        raise ValueError(f"strokes hold {sum(sizes)} points; at most {MAX_POINTS} "
                         "(clear the drawing)")
    low, high = -OFF_CANVAS, canvas_size + OFF_CANVAS
    out = []
    for k, stroke in enumerate(strokes):
        try:
            if not isinstance(stroke, _STROKE_TYPES):
                raise TypeError
            points = np.asarray(stroke, dtype=np.float64)
        except (TypeError, ValueError) as err:
            raise ValueError(f"strokes[{k}] must be a list of [x, y] points, "
                             f"got {stroke!r}") from err
        if points.size == 0:
            out.append(points.reshape(0, 2))
            continue
        if points.ndim != 2 or points.shape[1] != 2:
            raise ValueError(f"strokes[{k}] must be a list of [x, y] points, got {stroke!r}")
        if not np.isfinite(points).all():
            raise ValueError(f"strokes[{k}] holds a non-finite coordinate")
        outside = np.flatnonzero(((points < low) | (points > high)).any(axis=1))
        if outside.size:
            i = int(outside[0])
            raise ValueError(f"strokes[{k}][{i}] = [{points[i, 0]:g}, {points[i, 1]:g}] is too "
                             f"far off the canvas: coordinates must be in [{low}, {high}]")
        out.append(points)
    return out


def strokes_to_image(strokes: list, *, canvas_size: int = 280,
                     pen_width: float = 18.0) -> np.ndarray | None:
    """A drawing as MNIST would have it: (784,) in [0, 1], or None if nothing is drawn.

    ``strokes``: a list of strokes, each a list of [x, y] points in canvas pixels
    (checked by :func:`check_strokes`); ``canvas_size`` in [28, ``MAX_CANVAS``];
    ``pen_width`` in (0, canvas_size]. As for MNIST: the ink is drawn, its bounding box
    scaled (keeping the aspect ratio) to fit 20 x 20, and pasted into 28 x 28 so that its
    centre of mass is at the centre.
    """
    from PIL import Image, ImageDraw

    canvas_size = check_int("canvas_size", canvas_size, low=28, high=MAX_CANVAS)
    pen_width = check_real("pen_width", pen_width, low=0.0, low_open=True, high=canvas_size)
    strokes = check_strokes(strokes, canvas_size=canvas_size)
    canvas = Image.new("L", (canvas_size, canvas_size), 0)
    draw = ImageDraw.Draw(canvas)
    r = pen_width / 2
    inked = False
    for points in strokes:
        pts = [tuple(p) for p in points]
        if len(pts) > 1:
            draw.line(pts, fill=255, width=int(round(pen_width)))
        for x, y in pts:
            draw.ellipse((x - r, y - r, x + r, y + r), fill=255)
            inked = True
    a = np.asarray(canvas, dtype=np.float32) / 255.0
    if not inked or a.max() == 0:
        return None
    rows, cols = np.flatnonzero(a.any(axis=1)), np.flatnonzero(a.any(axis=0))
    crop = a[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]
    # scale the bounding box so that its longer side is 20 pixels
    scale = 20.0 / max(crop.shape)
    h, w = max(1, round(crop.shape[0] * scale)), max(1, round(crop.shape[1] * scale))
    small = np.asarray(Image.fromarray((crop * 255).astype(np.uint8)).resize((w, h), Image.LANCZOS),
                       dtype=np.float32) / 255.0
    small = np.clip(small, 0.0, 1.0)
    # centre of mass (r_c, c_c) = sum(p * (r, c)) / sum(p)
    total = small.sum()
    rc = (small.sum(axis=1) * np.arange(h)).sum() / total
    cc = (small.sum(axis=0) * np.arange(w)).sum() / total
    top = int(round(13.5 - rc))
    left = int(round(13.5 - cc))
    top, left = min(max(top, 0), 28 - h), min(max(left, 0), 28 - w)
    out = np.zeros((28, 28), dtype=np.float32)
    out[top:top + h, left:left + w] = small
    return out.ravel()


