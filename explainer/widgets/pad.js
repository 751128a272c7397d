// A drawing pad: white ink on black like MNIST, strokes kept as lists of [x, y] canvas pixels
// (what explainer.strokes.strokes_to_image and forward.js's strokesToImage read). Shared by
// the DrawingPad anywidget (drawing_pad.js) and the pages' latent maps (live_maps.js); plain
// code, prepended to each by Python.
//
// vaeMountPad(el, {size, penWidth, strokes, onStrokes}) draws the pad in `el` and returns
// {setStrokes, setSize, setPenWidth, drawing}. onStrokes(strokes, final) is called while the
// learner draws (at most every 120 ms) and at the end of each stroke (final = true).
function vaeMountPad(el, { size, penWidth, strokes = [], onStrokes }) {
  const canvas = document.createElement("canvas");
  canvas.className = "explainer-drawing-pad";
  canvas.style.cssText = "border:1px solid #888;background:#000;touch-action:none;cursor:crosshair";
  el.appendChild(canvas);
  const ctx = canvas.getContext("2d");
  let kept = JSON.parse(JSON.stringify(strokes));
  let drawing = false, lastSync = 0;

  function paint() {
    ctx.fillStyle = "#000"; ctx.fillRect(0, 0, size, size);
    ctx.strokeStyle = "#fff"; ctx.fillStyle = "#fff";
    ctx.lineWidth = penWidth; ctx.lineCap = "round"; ctx.lineJoin = "round";
    for (const s of kept) {
      if (s.length === 1) {
        ctx.beginPath(); ctx.arc(s[0][0], s[0][1], penWidth / 2, 0, 2 * Math.PI); ctx.fill();
        continue;
      }
      ctx.beginPath();
      s.forEach((p, i) => (i ? ctx.lineTo(p[0], p[1]) : ctx.moveTo(p[0], p[1])));
      ctx.stroke();
    }
  }
  function resize(n) { size = n; canvas.width = n; canvas.height = n; paint(); }
  function sync(final) {
    const now = Date.now();
    if (!final && now - lastSync < 120) return;
    lastSync = now;
    onStrokes(JSON.parse(JSON.stringify(kept)), final);
  }
  function at(e) {
    const r = canvas.getBoundingClientRect();
    return [Math.round((e.clientX - r.left) * size / r.width),
            Math.round((e.clientY - r.top) * size / r.height)];
  }
  canvas.addEventListener("pointerdown", (e) => {
    drawing = true; canvas.setPointerCapture(e.pointerId); kept.push([at(e)]); paint();
  });
  canvas.addEventListener("pointermove", (e) => {
    if (!drawing) return;
    kept[kept.length - 1].push(at(e)); paint(); sync(false);
  });
  const end = () => { if (!drawing) return; drawing = false; sync(true); };
  canvas.addEventListener("pointerup", end);
  canvas.addEventListener("pointerleave", end);
  resize(size);
  return {
    canvas,
    drawing: () => drawing,
    setStrokes(s) { kept = JSON.parse(JSON.stringify(s || [])); paint(); },
    setSize: resize,
    setPenWidth(w) { penWidth = w; paint(); },
  };
}

if (typeof window !== "undefined") window.vaeMountPad = vaeMountPad;
