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

_ESM = (Path(__file__).with_name("late_bind.js").read_text(encoding="utf-8") + r"""
function render({ model, el }) {
  // the first change (the learner's first stroke) hands us the real model (late_bind.js)
  model.on("change", followTheKernel);
  let size = model.get("size");
  const canvas = document.createElement("canvas");
  canvas.className = "explainer-drawing-pad";
  canvas.width = size; canvas.height = size;
  canvas.style.cssText = "border:1px solid #888;background:#000;touch-action:none;cursor:crosshair";
  el.appendChild(canvas);
  const ctx = canvas.getContext("2d");
  let strokes = JSON.parse(JSON.stringify(model.get("strokes") || []));
  let drawing = false, lastSync = 0;
  function paint() {
    ctx.fillStyle = "#000"; ctx.fillRect(0, 0, size, size);
    ctx.strokeStyle = "#fff"; ctx.fillStyle = "#fff";
    ctx.lineWidth = model.get("pen_width"); ctx.lineCap = "round"; ctx.lineJoin = "round";
    for (const s of strokes) {
      if (s.length === 1) { ctx.beginPath(); ctx.arc(s[0][0], s[0][1], ctx.lineWidth / 2, 0, 2 * Math.PI); ctx.fill(); continue; }
      ctx.beginPath(); s.forEach((p, i) => i ? ctx.lineTo(p[0], p[1]) : ctx.moveTo(p[0], p[1])); ctx.stroke();
    }
  }
  function sync(force) {
    const now = Date.now();
    if (!force && now - lastSync < 120) return;
    lastSync = now;
    model.set("strokes", JSON.parse(JSON.stringify(strokes)));
    model.save_changes();
  }
  function at(e) {
    const r = canvas.getBoundingClientRect();
    return [Math.round((e.clientX - r.left) * size / r.width), Math.round((e.clientY - r.top) * size / r.height)];
  }
  canvas.addEventListener("pointerdown", (e) => { drawing = true; canvas.setPointerCapture(e.pointerId); strokes.push([at(e)]); paint(); });
  canvas.addEventListener("pointermove", (e) => { if (!drawing) return; strokes[strokes.length - 1].push(at(e)); paint(); sync(false); });
  const end = () => { if (!drawing) return; drawing = false; sync(true); };
  canvas.addEventListener("pointerup", end);
  canvas.addEventListener("pointerleave", end);
  model.on("change:strokes", () => { if (!drawing) { strokes = JSON.parse(JSON.stringify(model.get("strokes") || [])); paint(); } });
  model.on("change:pen_width", paint);
  model.on("change:size", () => { size = model.get("size"); canvas.width = size; canvas.height = size; paint(); });
  paint();
}
export default { render };
""")


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
