"""Page speed of every notebook in a real browser (Debian's Chromium), with the model cache warm.

    python benchmarks/page_speed.py [--moves 6] [--no-preheat] [--lab] [NOTEBOOK ...]

For each notebook it prints:
  - the notebook file's size;
  - Voila (lecture mode, as `make present` runs it: kernels preheated once the server has
    started; --no-preheat: each notebook runs when its page is requested): seconds from
    navigation to interactive (execution done, every widget rendered, nothing changing for
    1.5 s);
  - the median milliseconds, measured in the page, from a slider keypress to the first
    frame showing its figure changed, over --moves presses on each of the page's sliders
    (alternating right and left, so the values stay on the grid);
  - with --lab, JupyterLab: seconds from navigation to all widgets interactive, running
    all cells (the stored outputs hold no live widgets).

Run the notebooks once first (e.g. `make nbval`) so the model cache is warm.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from playwright.sync_api import sync_playwright  # noqa: E402

from tests.browser.controls import redraw_ms  # noqa: E402
from tests.browser.lab_page import open_notebook, run_all, shut_down_kernels  # noqa: E402
from tests.browser.servers import CHROMIUM, CHROMIUM_ARGS, NOTEBOOKS, lab_server, voila_server  # noqa: E402
from tests.browser.voila_page import open_in_voila  # noqa: E402

SLIDERS = ".jp-OutputArea-output .widget-slider .noUi-handle"


def slider_redraws(page, *, moves: int) -> list[float]:
    """Keypress-to-redraw times (ms) of every slider on the page, ``moves`` presses each."""
    times = []
    handles = page.locator(SLIDERS)
    for i in range(handles.count()):
        handle = handles.nth(i)
        handle.scroll_into_view_if_needed()
        for m in range(moves):
            t = redraw_ms(page, handle, "ArrowRight" if m % 2 == 0 else "ArrowLeft")
            if t is None:  # at an end of its range, or a slider that ignores arrow keys
                break
            times.append(t)
            time.sleep(0.3)  # a learner's pace; lets a queued callback finish
    return times


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
    parser.add_argument("--moves", type=int, default=6)
    parser.add_argument("--no-preheat", action="store_true",
                        help="Voila runs each notebook when its page is requested")
    parser.add_argument("--lab", action="store_true", help="also time JupyterLab")
    args = parser.parse_args(argv)
    names = args.notebooks or [nb.name for nb in NOTEBOOKS]
    rows = []
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
                page = browser.new_page(viewport={"width": 1920, "height": 1080})
                tti = open_in_voila(page, voila, name)
                redraws = slider_redraws(page, moves=args.moves)
                page.close()
                size_kb = (ROOT / "notebooks" / name).stat().st_size / 1024
                rows.append([name, size_kb, tti, redraws])
                median = f"{statistics.median(redraws):5.0f} ms" if redraws else "   (none)"
                print(f"{name:32s} {size_kb:6.0f} KB   Voila interactive {tti:5.1f} s   "
                      f"slider redraw median {median} (n={len(redraws)}, "
                      f"max {max(redraws, default=0):.0f} ms)", flush=True)
        if args.lab:
            with lab_server(Path(tmp) / "lab", Path(tmp) / "settings") as lab:
                for name in names:
                    page = browser.new_page(viewport={"width": 1920, "height": 1080})
                    seconds = lab_seconds(page, lab, name)
                    page.close()
                    print(f"{name:32s} JupyterLab, run all to interactive {seconds:5.1f} s",
                          flush=True)
        browser.close()
    worst = max(r[2] for r in rows)
    medians = [statistics.median(r[3]) for r in rows if r[3]]
    print(f"slowest Voila page {worst:.1f} s; slowest slider median "
          f"{max(medians, default=0):.0f} ms; largest file {max(r[1] for r in rows):.0f} KB")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
