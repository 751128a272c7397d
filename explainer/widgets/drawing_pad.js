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
