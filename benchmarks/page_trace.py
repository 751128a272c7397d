"""Where the time of a lecture page goes: its load and each of its controls, traced in
Debian's Chromium against Voila in lecture mode (kernels preheated, model cache warm; before
each page, Voila has run the last page's notebook again in its next kernel).

    python benchmarks/page_trace.py [--controls] [--json OUT] [NOTEBOOK ...]

For the load (navigation to interactive) and, with --controls, for each control operated
once as a learner would (from the input event to the first and the last change of its
output area's figures, in the page's clock), it prints:
  - the kernel's busy time, read off the kernel's own status messages;
  - the bytes the page received on its kernel websocket, and the message types that
    carried the most;
  - the page's main thread split into scripting, compiling, parsing HTML/CSS, style and
    layout, painting, garbage collection, other work and idle (Chromium's trace, self
    times as DevTools counts them: benchmarks/chromium_trace.py);
  - the JavaScript functions with the most self time (CDP CPU profile).
The machines are shared: read the split as proportions, and compare runs made together.
"""

from __future__ import annotations

import argparse
import collections
import json
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from playwright.sync_api import sync_playwright  # noqa: E402

from benchmarks.chromium_trace import ORDER, Wire, main_thread_split, top_functions  # noqa: E402
from tests.browser.controls import CONTROLS, INPUT_MARK, time_control  # noqa: E402
from tests.browser.kernel_messages import decode  # noqa: E402
from tests.browser.servers import CHROMIUM, CHROMIUM_ARGS, NOTEBOOKS, voila_server  # noqa: E402
from tests.browser.voila_page import open_in_voila  # noqa: E402

CATEGORIES = ["devtools.timeline", "disabled-by-default-devtools.timeline", "v8.execute",
              "v8", "blink.user_timing", "toplevel", "loading"]
MARK = "page-trace-start"
NAVIGATION_JS = """() => {
  const n = performance.getEntriesByType('navigation')[0];
  const scripts = performance.getEntriesByType('resource');
  return {html_ms: n ? n.responseEnd - n.startTime : null,
          html_bytes: n ? n.encodedBodySize : null,
          resources_bytes: scripts.reduce((s, r) => s + (r.encodedBodySize || 0), 0)};
}"""
PENDING_JS = """() => [...document.querySelectorAll('.jp-OutputArea-output')]
  .filter(e => /Loading widget|Error displaying widget/.test(e.innerText))
  .map(e => e.innerText.slice(0, 120))"""

def record_wire(page) -> Wire:
    """Start recording every frame on the page's kernel websockets."""
    wire = Wire()

    def on_websocket(ws) -> None:
        if "/channels" in ws.url:
            ws.on("framereceived", lambda p: wire.records.append(("in", len(p), decode(p))))
            ws.on("framesent", lambda p: wire.records.append(("out", len(p), decode(p))))

    page.on("websocket", on_websocket)
    return wire


class Tracer:
    """Chromium's trace and a CPU profile of one page, one phase at a time."""

    def __init__(self, browser, page, wire: Wire):
        self.browser, self.page, self.wire = browser, page, wire
        self.cdp = page.context.new_cdp_session(page)
        self.cdp.send("Profiler.enable")
        self.cdp.send("Profiler.setSamplingInterval", {"interval": 250})

    def start(self) -> None:
        self.browser.start_tracing(page=self.page, categories=CATEGORIES)
        # the profiler first: starting it holds the page's thread for 0.1-0.5 s
        self.cdp.send("Profiler.start")
        self.page.evaluate(f"() => performance.mark('{MARK}')")
        self.first = self.wire.mark()

    def stop(self, seconds: float, *, since: str = MARK) -> dict:
        """The phase's split; ``seconds``: its length from the mark ``since``."""
        self.page.evaluate("() => 0")  # hands over the frames that arrived meanwhile
        profile = self.cdp.send("Profiler.stop")["profile"]
        events = json.loads(self.browser.stop_tracing())["traceEvents"]
        marks = [e["ts"] for e in events if e.get("name") == since]
        if not marks:
            raise RuntimeError(f"the trace holds no mark {since!r} (blink.user_timing)")
        unknown = collections.Counter()
        split = main_thread_split(events, start_us=marks[-1], end_us=marks[-1] + seconds * 1e6,
                                  unknown=unknown)
        return {"seconds": seconds, "main_thread_ms": split,
                "other_events_ms": [(n, round(ms, 1)) for n, ms in unknown.most_common(4)],
                "top_functions": top_functions(profile),
                **self.wire.summary(self.first, self.wire.mark())}


def trace_load(tracer: Tracer, voila: str, name: str) -> dict:
    tracer.page.goto(f"{voila}/voila/tree", wait_until="load")  # binds the page's renderer
    tracer.start()
    tti = open_in_voila(tracer.page, voila, name)
    return {**tracer.stop(tti), **tracer.page.evaluate(NAVIGATION_JS)}


def trace_control(tracer: Tracer, control, *, timeout: float = 30.0, quiet: float = 0.8) -> dict:
    """Operate ``control`` once, traced from the learner's input until its output area's
    figures have been unchanged for ``quiet`` seconds (:func:`time_control`)."""
    timing = time_control(tracer.page, control, timeout=timeout, quiet=quiet,
                          on_start=tracer.start)
    last = timing.last_change_s
    result = tracer.stop(last if last is not None else timing.waited_s, since=INPUT_MARK)
    return {"control": timing.label, "first_change_s": timing.first_change_s,
            "last_change_s": last, **result}


def mb(n: float) -> str:
    return f"{n / 1e6:.2f} MB" if n >= 1e5 else f"{n / 1e3:.1f} KB"


def show(title: str, r: dict) -> None:
    split = r["main_thread_ms"]
    kinds = ", ".join(f"{k} {split[k]:.0f}" for k in ORDER)
    largest = ", ".join(f"{t} {mb(b)}" for t, b in r["largest_in"])
    print(f"  {title}: {r['seconds']:.2f} s; kernel busy {r['kernel_busy_s']:.2f} s; "
          f"websocket in {mb(r['bytes_in'])} in {r['messages_in']} messages ({largest})")
    print(f"    main thread (ms): {kinds}; other: "
          + ", ".join(f"{n} {ms:.0f}" for n, ms in r["other_events_ms"]))
    print("    top functions (self ms): "
          + "; ".join(f"{f} {ms:.0f}" for f, ms in r["top_functions"][:4]), flush=True)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description="trace of the lecture pages' load and controls")
    parser.add_argument("notebooks", nargs="*", help="names such as 04_latent_maps.ipynb")
    parser.add_argument("--controls", action="store_true", help="also trace every control")
    parser.add_argument("--json", type=Path, help="write every figure to this file")
    args = parser.parse_args(argv)
    names = args.notebooks or [nb.name for nb in NOTEBOOKS]
    report = {}
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        with voila_server(Path(tmp)) as voila:
            for name in names:
                voila.settle()  # Voila has run the last page's notebook in its next kernel
                page = browser.new_page(viewport={"width": 1920, "height": 1080})
                tracer = Tracer(browser, page, record_wire(page))
                try:
                    load = trace_load(tracer, voila, name)
                except TimeoutError as err:  # reported, and the other pages still traced
                    print(f"{name}: NOT INTERACTIVE: {err}; outputs still loading: "
                          f"{page.evaluate(PENDING_JS)}", flush=True)
                    report[name] = {"error": str(err)}
                    browser.stop_tracing()
                    page.close()
                    continue
                print(f"{name}: html {mb(load['html_bytes'] or 0)} served in "
                      f"{load['html_ms'] or 0:.0f} ms, other resources "
                      f"{mb(load['resources_bytes'])}")
                show("load", load)
                controls = []
                if args.controls:
                    found = page.locator(CONTROLS)
                    for i in range(found.count()):
                        controls.append(trace_control(tracer, found.nth(i)))
                        c = controls[-1]
                        first = "no change" if c["first_change_s"] is None \
                            else f"first change {c['first_change_s'] * 1000:.0f} ms"
                        show(f"{c['control']} ({first})", c)
                report[name] = {"load": load, "controls": controls}
                page.close()
        browser.close()
    if args.json:
        args.json.write_text(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
