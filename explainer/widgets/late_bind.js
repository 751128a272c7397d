// Shared by the front ends of the library's anywidgets (figure_loader.js, the drawing pad):
// prepended to each module by Python, so it is plain code, not an import.
//
// anywidget (0.11) starts a 2 s timer when a widget's model is created; if the model's module
// has not been loaded and initialised by then, every later message from the kernel to that
// model is dropped (its `_handle_comm_msg` waits on a promise the timer has rejected), for the
// life of the page, with no more than "[anywidget] Failed to initialize model." in the console.
// On a busy machine another figure's drawing can hold the page's only thread that long. So
// once a module holds its model, the model's messages go to ipywidgets' own handler, which
// anywidget's override would have called after its wait. The real model is the first argument
// of every Backbone change event (anywidget hands modules a proxy without it).
const FOLLOWING = Symbol.for("vae-explainer.follows-the-kernel");

function followTheKernel(model) {
  if (!model || model[FOLLOWING] || typeof model.comm?.on_msg !== "function") return;
  // the first prototype above anywidget's with its own handler: ipywidgets' WidgetModel
  let proto = Object.getPrototypeOf(model);
  const waiting = proto._handle_comm_msg;
  while (proto && proto._handle_comm_msg === waiting) proto = Object.getPrototypeOf(proto);
  if (typeof proto?._handle_comm_msg !== "function") return;
  const handle = proto._handle_comm_msg;
  model.comm.on_msg((msg) => handle.call(model, msg));
  model[FOLLOWING] = true;
}
