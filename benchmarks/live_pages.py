"""The model in the page, timed where a learner meets it (Debian's Chromium, headless):

- in 04's exported page (``--page``, or notebook 04 exported into a temporary folder, with
  the model cache warm), from file:// with the network blocked: one decode of one code with
  each of the page's models, and a pointer moved --moves times over the top map, each move
  timed from the pointer event to the panels redrawn (``handler``: the decode of both rows
  and the two PNGs; ``since event``: from the event's time stamp; ``painted``: to the next
  animation frame, when the browser paints the new panels);
- in JupyterLab (tests/browser/live_maps.ipynb: the same explorer run in a kernel), the same
  pointer moves over the same map, decoded by the figure's front end;
- the 04 page's size.

    python benchmarks/live_pages.py [--page build/html/04_latent_maps.html] [--moves 200]
                                    [--interval 16] [--no-lab]

Medians; a sample of one decode is the mean of 20 back to back (the page's clock ticks
every 0.1 ms).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from playwright.sync_api import sync_playwright  # noqa: E402

from explainer.publish import export  # noqa: E402
from tests.browser.lab_live import LIVE_PLOT, open_live_maps, top_map_box  # noqa: E402
from tests.browser.lab_page import shut_down_kernels  # noqa: E402
from tests.browser.servers import CHROMIUM, CHROMIUM_ARGS, NOTEBOOKS, lab_server  # noqa: E402

ONE_DECODE = """(repeats) => {
  const out = {};
  for (const id of Object.keys(window.vaeLive.models)) {
    const model = window.vaeLive.model({}, id), code = new Float32Array([0.3, -1.2]);
    for (let i = 0; i < 5; i++) window.vaeForward.decode(model, code);  // warm up
    const t = [];
    for (let i = 0; i < repeats; i++) {
      const start = performance.now();
      for (let j = 0; j < 20; j++) window.vaeForward.decode(model, code);
      t.push((performance.now() - start) / 20);
    }
    t.sort((a, b) => a - b);
    out[id] = t[Math.floor(t.length / 2)];
  }
  return out;
}"""


def move_over(page, box: dict, moves: int, interval: float) -> None:
    """The pointer swept back and forth over the middle of the map, ``moves`` events one
    every ``interval`` ms (a mouse reports 60-125 times a second)."""
    for k in range(moves):
        t = (k % 50) / 49 if (k // 50) % 2 == 0 else 1 - (k % 50) / 49
        page.mouse.move(box["x"] + box["width"] * (0.15 + 0.7 * t),
                        box["y"] + box["height"] * (0.3 + 0.4 * t))
        page.wait_for_timeout(interval)
    page.wait_for_timeout(200)


def summary(timings: list[dict]) -> str:
    med = {k: statistics.median(t[k] for t in timings if t[k] is not None)
           for k in ("handler", "sinceEvent", "painted")}
    return (f"{len(timings)} moves: handler {med['handler']:.1f} ms, since event "
            f"{med['sinceEvent']:.1f} ms, painted {med['painted']:.1f} ms (medians)")


def in_the_page(browser, path: Path, moves: int, interval: float) -> None:
    page = browser.new_page(viewport={"width": 1600, "height": 1100})
    page.context.route("**/*", lambda r: r.continue_() if r.request.url.startswith(
        ("file:", "data:", "blob:")) else r.abort())
    page.goto(path.as_uri())
    page.wait_for_function("() => document.getElementById('plot-0').dataset.live === '1'",
                           timeout=120_000)
    page.evaluate("document.getElementById('plot-0').scrollIntoView()")
    times = page.evaluate(ONE_DECODE, 50)
    print(f"page: one decode, median per model: {min(times.values()):.3f}-"
          f"{max(times.values()):.3f} ms ({len(times)} models)")
    box = page.evaluate("(() => { const r = document.querySelector('#plot-0 .nsewdrag')"
                        ".getBoundingClientRect(); return {x: r.x, y: r.y, width: r.width, "
                        "height: r.height}; })()")
    move_over(page, box, moves, interval)
    print("page: pointer to panels,", summary(page.evaluate(
        "document.getElementById('plot-0').vaeLiveTimings")))
    page.close()


def in_jupyterlab(browser, moves: int, interval: float) -> None:
    with tempfile.TemporaryDirectory() as a, tempfile.TemporaryDirectory() as b, \
            lab_server(Path(a), Path(b)) as url:
        page = browser.new_page(viewport={"width": 1600, "height": 1100})
        try:
            open_live_maps(page, url)
            move_over(page, top_map_box(page), moves, interval)
            print("JupyterLab: pointer to panels,",
                  summary(page.evaluate(f"({LIVE_PLOT}).vaeLiveTimings")))
        finally:
            shut_down_kernels(url)
            page.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--page", type=Path, default=None)
    parser.add_argument("--moves", type=int, default=200)
    parser.add_argument("--interval", type=float, default=16.0,
                        help="milliseconds between two pointer moves (0: back to back)")
    parser.add_argument("--no-lab", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as out:
        path = args.page
        if path is None:
            [notebook] = [nb for nb in NOTEBOOKS if nb.stem == "04_latent_maps"]
            path = export.export_notebook(notebook, Path(out)).path
        print(f"04 page: {path.stat().st_size / 1e6:.2f} MB")
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            try:
                in_the_page(browser, path, args.moves, args.interval)
                if not args.no_lab:
                    in_jupyterlab(browser, args.moves, args.interval)
            finally:
                browser.close()


if __name__ == "__main__":
    main()
