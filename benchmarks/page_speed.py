"""Page speed of every notebook in a real browser (Debian's Chromium), with the model cache warm.

    python benchmarks/page_speed.py [--moves 4] [--no-preheat] [--lab] [--json OUT] [NOTEBOOK ...]

For each notebook it prints:
  - Voila (lecture mode, as `make present` runs it: kernels preheated once the server has
    started; --no-preheat: each notebook runs when its page is requested): seconds from
    navigation to interactive (execution done, every widget rendered, nothing changing for
    1.5 s). Before each page the benchmark waits until Voila has run the notebook again in
    the kernel that replaces the one the last page took, as it has long done when a
    lecturer opens the next page;
  - each figure the page had not drawn yet (it draws those near the screen first), scrolled
    into view: the median and worst milliseconds until it is drawn;
  - every control of the page (sliders, dropdowns, toggle buttons, checkboxes, drawing
    pads, buttons), operated --moves times as a learner would (sliders one step, alternately
    right and left, so the values stay on the grid): the median and the worst milliseconds,
    in the page's clock, from the input event to the first change of a figure of its output
    area (plotly's afterplot or a DOM change inside a plot), and the median to its last
    change (the figures settled);
  - in 04, live retraining: the KL-weight slider moved onto values off the trained grid, the
    seconds from the keypress to the first retrained epoch's map and to the last;
  - with --lab, JupyterLab: seconds from navigation to all widgets interactive, running
    all cells (the stored outputs hold no live widgets).

Run the notebooks once first (e.g. `make nbval`) so the model cache is warm.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from playwright.sync_api import sync_playwright  # noqa: E402

from tests.browser.controls import CONTROLS, OUTPUT_AREA, time_control, wait_until_steady  # noqa: E402
from tests.browser.lab_page import open_notebook, run_all, shut_down_kernels  # noqa: E402
from tests.browser.servers import CHROMIUM, CHROMIUM_ARGS, NOTEBOOKS, lab_server, voila_server  # noqa: E402
from tests.browser.voila_page import open_in_voila  # noqa: E402


def control_times(page, *, moves: int) -> list[dict]:
    """Every control of the page operated ``moves`` times: its label and, per operation, the
    milliseconds to the first and the last change of its figures (None: none changed)."""
    controls = page.locator(CONTROLS)
    out = []
    for i in range(controls.count()):
        control = controls.nth(i)
        firsts, lasts, label = [], [], ""
        for m in range(moves):
            t = time_control(page, control, back=m % 2 == 1)
            label = t.label
            firsts.append(None if t.first_change_s is None else t.first_change_s * 1000)
            lasts.append(None if t.last_change_s is None else t.last_change_s * 1000)
            time.sleep(0.3)  # a learner's pace
        out.append({"control": label, "first_ms": firsts, "last_ms": lasts})
    return out


# Live retraining (04's maps): a KL weight off the trained grid is retrained in the kernel,
# each epoch's map streamed to the page, its title saying "retraining live from ...: epoch k
# of n" until the last, which says "retrained live: ...".
RETRAIN_SLIDER = "KL weight β"
# off-grid values reached, stepping right (from 1: 2, then 3 is on the grid, then 5)
RETRAINED_STEPS = 2
# armed before the keypress: the input's time, and the first time the output area's text
# matches each pattern (read on every DOM change, in the page's clock)
ARM_TEXT_JS = """(area, patterns) => {
  const rec = window.__textTimer = {input: null, seen: patterns.map(() => null)};
  const res = patterns.map((p) => new RegExp(p));
  document.addEventListener('keydown', () => { rec.input = performance.now(); },
                            {once: true, capture: true});
  rec.observer = new MutationObserver(() => {
    if (rec.input === null) return;
    const text = area.textContent;
    res.forEach((re, i) => {
      if (rec.seen[i] === null && re.test(text)) rec.seen[i] = performance.now();
    });
  });
  rec.observer.observe(area, {subtree: true, childList: true, characterData: true,
                              attributes: true});
}"""
READ_TEXT_JS = "() => window.__textTimer"
FIRST_EPOCH, LAST_EPOCH = r"retraining live from .*?: epoch \d+ of", r"retrained live: "


def live_retraining(page, *, timeout: float = 60.0) -> list[dict]:
    """04's KL-weight slider moved one step right onto values off the trained grid (at most
    ``RETRAINED_STEPS``, fewer near the end of its range): seconds from the keypress to the
    first retrained epoch's map and to the last."""
    label = page.locator(f".widget-label:text-is('{RETRAIN_SLIDER}')")
    box = page.locator(".widget-slider", has=label)
    handle = box.locator(".noUi-handle").first
    area = handle.locator(OUTPUT_AREA)
    out = []
    for _ in range(RETRAINED_STEPS):
        handle.scroll_into_view_if_needed()
        wait_until_steady(area)
        while True:  # the next value right that is not on the trained grid
            before = handle.get_attribute("aria-valuenow")
            area.evaluate(ARM_TEXT_JS, [FIRST_EPOCH, LAST_EPOCH])
            handle.focus()
            handle.press("ArrowRight")
            if handle.get_attribute("aria-valuenow") == before:  # the end of its range
                page.evaluate("() => window.__textTimer.observer.disconnect()")
                return out
            start = time.monotonic()
            r = page.evaluate(READ_TEXT_JS)
            while r["seen"][1] is None and time.monotonic() - start < timeout:
                time.sleep(0.05)
                r = page.evaluate(READ_TEXT_JS)
                if r["seen"][0] is None and time.monotonic() - start > 3.0:
                    break  # on the grid: no retraining
            page.evaluate("() => window.__textTimer.observer.disconnect()")
            if r["seen"][0] is not None:
                break
        value = box.locator(".widget-readout").first.inner_text()
        first, last = ((t - r["input"]) / 1000 if t is not None else None for t in r["seen"])
        out.append({"value": value, "first_map_s": first, "last_map_s": last})
    return out


# a figure of a lecture page not drawn yet (figure_loader.js draws it near the screen)
WAITING = ".vae-figure-waiting"
DRAWN_JS = """(el) => new Promise((resolve) => {
  const start = performance.now();
  const check = () => {
    const gd = el.classList.contains('js-plotly-plot') ? el : el.querySelector('.js-plotly-plot');
    if (!el.classList.contains('vae-figure-waiting') && gd && gd._fullLayout) {
      requestAnimationFrame(() => resolve(performance.now() - start));
    } else {
      setTimeout(check, 10);
    }
  };
  el.scrollIntoView();
  check();
})"""


def drawn_on_scroll(page) -> list[float]:
    """Milliseconds from scrolling each figure not drawn at load into view to its first frame
    drawn, in page order."""
    out = []
    while page.locator(WAITING).count():
        out.append(page.locator(WAITING).first.evaluate(DRAWN_JS))
    page.evaluate("() => window.scrollTo(0, 0)")
    return out


def describe(c: dict) -> str:
    seen = [t for t in c["first_ms"] if t is not None]
    if not seen:
        return f"    {c['control']:40s} no figure changed ({len(c['first_ms'])} times)"
    settled = [t for t in c["last_ms"] if t is not None]
    return (f"    {c['control']:40s} first change median {statistics.median(seen):6.0f} ms, "
            f"worst {max(seen):6.0f} ms; settled median {statistics.median(settled):6.0f} ms"
            + (f" ({len(c['first_ms']) - len(seen)} of {len(c['first_ms'])} changed nothing)"
               if len(seen) < len(c["first_ms"]) else ""))


def lab_seconds(page, lab_url: str, name: str) -> float:
    start = time.monotonic()
    open_notebook(page, lab_url, name)
    try:
        run_all(page, lab_url, timeout=600)
        page.wait_for_function("() => ![...document.querySelectorAll('.jp-OutputArea-output')]"
                               ".some(e => /Loading widget/.test(e.innerText))", timeout=60_000)
        return time.monotonic() - start
    finally:
        shut_down_kernels(lab_url)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description="page speed in Voila and JupyterLab")
    parser.add_argument("notebooks", nargs="*", help="names such as 03_inside_the_vae.ipynb")
    parser.add_argument("--moves", type=int, default=4, help="operations of each control")
    parser.add_argument("--no-preheat", action="store_true",
                        help="Voila runs each notebook when its page is requested")
    parser.add_argument("--lab", action="store_true", help="also time JupyterLab")
    parser.add_argument("--json", type=Path, help="write every figure to this file")
    args = parser.parse_args(argv)
    names = args.notebooks or [nb.name for nb in NOTEBOOKS]
    report: dict[str, dict] = {name: {} for name in names}
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        for folder in ("voila", "lab", "settings"):
            (Path(tmp) / folder).mkdir()
        start = time.monotonic()
        with voila_server(Path(tmp) / "voila", preheat=not args.no_preheat) as voila:
            if not args.no_preheat:
                print(f"Voila preheated every notebook in {time.monotonic() - start:.0f} s",
                      flush=True)
            for name in names:
                if not args.no_preheat:
                    voila.settle()
                page = browser.new_page(viewport={"width": 1920, "height": 1080})
                tti = open_in_voila(page, voila, name)
                print(f"{name}: Voila interactive {tti:.1f} s", flush=True)
                scrolled = drawn_on_scroll(page)
                if scrolled:
                    print(f"    {len(scrolled)} figures drawn when scrolled to: median "
                          f"{statistics.median(scrolled):.0f} ms, worst {max(scrolled):.0f} ms",
                          flush=True)
                controls = control_times(page, moves=args.moves)
                for c in controls:
                    print(describe(c), flush=True)
                retrains = live_retraining(page) if name.startswith("04_") else []
                for r in retrains:
                    last = "never" if r["last_map_s"] is None else f"{r['last_map_s']:.2f} s"
                    print(f"    live retraining to beta = {r['value']}: first retrained map "
                          f"{r['first_map_s']:.2f} s, last {last}", flush=True)
                page.close()
                report[name].update(voila_interactive_s=tti, drawn_on_scroll_ms=scrolled,
                                    controls=controls,
                                    live_retraining=retrains)
        if args.lab:
            with lab_server(Path(tmp) / "lab", Path(tmp) / "settings") as lab:
                for name in names:
                    page = browser.new_page(viewport={"width": 1920, "height": 1080})
                    seconds = lab_seconds(page, lab, name)
                    page.close()
                    report[name]["lab_run_all_s"] = seconds
                    print(f"{name}: JupyterLab, run all to interactive {seconds:.1f} s",
                          flush=True)
        browser.close()
    print("\n| notebook | Voila interactive | JupyterLab run all | controls | slowest median "
          "first change (control) | worst first change |\n|---|---|---|---|---|---|")
    for name, r in report.items():
        medians = [(statistics.median(s), c["control"]) for c in r["controls"]
                   if (s := [t for t in c["first_ms"] if t is not None])]
        worst = max((t for c in r["controls"] for t in c["first_ms"] if t is not None),
                    default=None)
        slowest = max(medians, default=None)
        lab = f"{r['lab_run_all_s']:.1f} s" if "lab_run_all_s" in r else "-"
        tail = f"{slowest[0]:.0f} ms ({slowest[1]}) | {worst:.0f} ms |" if slowest else "- | - |"
        print(f"| {name[:2]} | {r['voila_interactive_s']:.1f} s | {lab} | "
              f"{len(r['controls'])} | {tail}")
    if args.json:
        args.json.write_text(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
