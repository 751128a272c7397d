// The DrawingPad anywidget's view: vaeMountPad (pad.js) with its strokes synced to Python.
function render({ model, el }) {
  // the first change (the learner's first stroke) hands us the real model (late_bind.js)
  model.on("change", followTheKernel);
  const pad = vaeMountPad(el, {
    size: model.get("size"),
    penWidth: model.get("pen_width"),
    strokes: model.get("strokes") || [],
    onStrokes(strokes) { model.set("strokes", strokes); model.save_changes(); },
  });
  model.on("change:strokes", () => { if (!pad.drawing()) pad.setStrokes(model.get("strokes")); });
  model.on("change:pen_width", () => pad.setPenWidth(model.get("pen_width")));
  model.on("change:size", () => pad.setSize(model.get("size")));
}
export default { render };
