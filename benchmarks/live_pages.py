"""The models in the page, timed where a learner meets them (Debian's Chromium, headless):

- in the exported pages of 04 (its maps) and 02 (its code axis) (``--html``: a folder of
  pages ``make html`` wrote; by default the two notebooks exported into a temporary folder,
  with the model cache warm), from file:// with the network blocked: one decode of one code
  with each of the page's models, and a pointer moved --moves times over the first live
  figure's first panel (04's top map, 02's noisy AE's code axis), each move timed from the
  pointer event to the panels redrawn (``handler``: the decode and the new pictures;
  ``since event``: from the event's time stamp; ``painted``: to the next animation frame,
  the frame that shows the new panels; ``rendered``: to the end of that frame's rendering
  work, style, layout and paint, read by a message posted from the frame's callback);
- in JupyterLab (tests/browser/live_maps.ipynb, live_code_axis.ipynb: the same figures run
  in a kernel), the same pointer moves over the same panel, decoded by the figure's front end;
- the pages' sizes.

    python benchmarks/live_pages.py [--html build/html] [--kinds maps code_axis]
                                    [--moves 200] [--interval 16] [--no-lab]

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
from tests.browser.lab_live import LIVE_PLOT, first_panel_box, open_live  # noqa: E402
from tests.browser.lab_page import shut_down_kernels  # noqa: E402
from tests.browser.servers import CHROMIUM, CHROMIUM_ARGS, NOTEBOOKS, lab_server  # noqa: E402

ONE_DECODE = """(repeats) => {
  const out = {};
  for (const id of Object.keys(window.vaeLive.models)) {
    const model = window.vaeLive.model({}, id);
    if (!(model.latent_dim > 0)) throw new Error(`model ${id} has no latent_dim`);
    const code = new Float32Array(model.latent_dim).fill(0.3);
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


# the notebook whose page shows each kind of live figure
PAGES = {"maps": "04_latent_maps", "code_axis": "02_moons_and_holes"}
# the id of the page's first live figure of a kind
FIRST_OF_KIND = """(kind) => [...document.querySelectorAll('script.live-spec')]
  .find((s) => JSON.parse(s.textContent)[0].kind === kind).dataset.target"""


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
           for k in ("handler", "sinceEvent", "painted", "rendered")}
    return (f"{len(timings)} moves: handler {med['handler']:.1f} ms, since event "
            f"{med['sinceEvent']:.1f} ms, painted {med['painted']:.1f} ms, rendered "
            f"{med['rendered']:.1f} ms (medians)")


def in_the_page(browser, path: Path, kind: str, moves: int, interval: float) -> None:
    page = browser.new_page(viewport={"width": 1600, "height": 1100})
    page.context.route("**/*", lambda r: r.continue_() if r.request.url.startswith(
        ("file:", "data:", "blob:")) else r.abort())
    page.goto(path.as_uri())
    plot = page.evaluate(FIRST_OF_KIND, kind)
    gd = f"document.getElementById('{plot}')"
    page.wait_for_function(f"() => {gd}.dataset.live === '1'", timeout=120_000)
    page.evaluate(f"{gd}.scrollIntoView()")
    times = page.evaluate(ONE_DECODE, 50)
    print(f"{path.stem} page: one decode, median per model: {min(times.values()):.3f}-"
          f"{max(times.values()):.3f} ms ({len(times)} models)")
    box = page.evaluate(f"(() => {{ const r = {gd}.querySelector('.nsewdrag')"
                        ".getBoundingClientRect(); return {x: r.x, y: r.y, width: r.width, "
                        "height: r.height}; })()")
    move_over(page, box, moves, interval)
    print(f"{path.stem} page: pointer to panels,",
          summary(page.evaluate(f"{gd}.vaeLiveTimings")))
    page.close()


def in_jupyterlab(browser, kind: str, moves: int, interval: float) -> None:
    with tempfile.TemporaryDirectory() as a, tempfile.TemporaryDirectory() as b, \
            lab_server(Path(a), Path(b)) as url:
        page = browser.new_page(viewport={"width": 1600, "height": 1100})
        try:
            open_live(page, url, kind)
            move_over(page, first_panel_box(page), moves, interval)
            print(f"{PAGES[kind]} in JupyterLab: pointer to panels,",
                  summary(page.evaluate(f"({LIVE_PLOT}).vaeLiveTimings")))
        finally:
            shut_down_kernels(url)
            page.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--html", type=Path, default=None,
                        help="a folder of exported pages (default: export them now)")
    parser.add_argument("--kinds", nargs="+", choices=sorted(PAGES), default=list(PAGES))
    parser.add_argument("--moves", type=int, default=200)
    parser.add_argument("--interval", type=float, default=16.0,
                        help="milliseconds between two pointer moves (0: back to back)")
    parser.add_argument("--no-lab", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as out:
        paths = {}
        for kind in args.kinds:
            if args.html is not None:
                paths[kind] = args.html / f"{PAGES[kind]}.html"
            else:
                [notebook] = [nb for nb in NOTEBOOKS if nb.stem == PAGES[kind]]
                paths[kind] = export.export_notebook(notebook, Path(out)).path
            print(f"{paths[kind].name}: {paths[kind].stat().st_size / 1e6:.2f} MB")
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            try:
                for kind in args.kinds:
                    in_the_page(browser, paths[kind], kind, args.moves, args.interval)
                    if not args.no_lab:
                        in_jupyterlab(browser, kind, args.moves, args.interval)
            finally:
                browser.close()


if __name__ == "__main__":
    main()
