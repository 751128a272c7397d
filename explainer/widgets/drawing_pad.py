"""A small drawing pad (an anywidget): white ink on black like MNIST, strokes synced to Python.

The browser keeps the strokes as lists of [x, y] canvas pixels and sends them to the
kernel while the learner draws (at most every 120 ms, and at the end of each stroke).
Setting ``strokes = []`` from Python clears the pad. The kernel turns the strokes into
a 28 x 28 digit with :func:`explainer.strokes.strokes_to_image`, which also checks
them (bounded count, finite points near the canvas): the strokes come from the page, so
their errors are raised in the widget's guarded callback and shown on the page.
``size`` and ``pen_width`` are set from Python and checked here, when set.
"""

from __future__ import annotations

from pathlib import Path

import anywidget
import traitlets

from explainer.strokes import MAX_CANVAS
from explainer.validation import check_int, check_real

# the pad's front end (drawing_pad.js), after late_bind.js as in every anywidget of the library
_ESM = "\n".join(Path(__file__).with_name(name).read_text(encoding="utf-8")
                 for name in ("late_bind.js", "pad.js", "drawing_pad.js"))


class DrawingPad(anywidget.AnyWidget):
    """A square canvas of ``size`` pixels; ``strokes`` is a list of strokes of [x, y] points.

    ``size`` is an integer in [28, ``MAX_CANVAS``] and ``pen_width`` a width in
    (0, size]; anything else is refused with a ``TraitError`` naming the range.
    """

    _esm = _ESM
    strokes = traitlets.List([]).tag(sync=True)
    size = traitlets.Int(280).tag(sync=True)
    pen_width = traitlets.Float(18.0).tag(sync=True)

    @traitlets.validate("size")
    def _check_size(self, proposal: dict) -> int:
        size = _as_trait_error(check_int, "size", proposal["value"], low=28, high=MAX_CANVAS)
        if size < self.pen_width:
            raise traitlets.TraitError(f"size must be at least pen_width ({self.pen_width:g}), "
                                       f"got {size}")
        return size

    @traitlets.validate("pen_width")
    def _check_pen_width(self, proposal: dict) -> float:
        return _as_trait_error(check_real, "pen_width", proposal["value"], low=0.0,
                               low_open=True, high=self.size)

    def clear(self) -> None:
        self.strokes = []


def _as_trait_error(check, *args, **kwargs):
    """``check(*args, **kwargs)``, its TypeError or ValueError raised as a TraitError."""
    try:
        return check(*args, **kwargs)
    except (TypeError, ValueError) as err:
        raise traitlets.TraitError(str(err)) from err
