"""Page speed of every notebook in a real browser (Debian's Chromium), with the model cache warm.

    python benchmarks/page_speed.py [--moves 4] [--no-preheat] [--lab | --lab-only] [--json OUT]
                                    [NOTEBOOK ...]

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
  - with --lab (or --lab-only, without Voila), JupyterLab, loaded once: a learner opens
    each notebook and runs all cells as soon as its kernel is ready (the stored outputs hold
    no live widgets); the seconds from Run All to interactive (every widget drawn, nothing
    changing for 1.5 s), and from the open command to the notebook shown, the kernel ready,
    the last cell's reply and interactive, with the kernel's seconds in each cell, read off
    the kernel's own messages.

Run the notebooks once first (e.g. `make nbval`) so the model cache is warm.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import statistics
import sys
import tempfile
import time
import uuid
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from playwright.sync_api import sync_playwright  # noqa: E402

from tests.browser.controls import CONTROLS, OUTPUT_AREA, time_control, wait_until_steady  # noqa: E402
from tests.browser.kernel_messages import decode  # noqa: E402
from tests.browser.lab_page import has_kernel, kernels_idle, palette, shut_down_kernels  # noqa: E402
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


# what a JupyterLab notebook shows: plots drawn, widget views, widgets still loading
LAB_STATE_JS = """() => {
  const outputs = [...document.querySelectorAll('.jp-Notebook .jp-OutputArea-output')];
  return {
    plots: [...document.querySelectorAll('.jp-Notebook .js-plotly-plot')]
      .filter((g) => g._fullLayout).length,
    widgets: document.querySelectorAll('.jp-Notebook .jupyter-widgets').length,
    pending: outputs.filter((e) => /Loading widget|Error displaying widget/.test(e.innerText))
      .length,
  };
}"""


def record_lab_kernel(page) -> list[tuple[float, str, str, str]]:
    """Start reading the messages between ``page`` and its kernels; the list returned fills
    with (the sender's clock in epoch seconds, direction "in"/"out", msg_type, parent's
    msg_id) per message."""
    records: list[tuple[float, str, str, str]] = []

    def keep(direction: str):
        def on_frame(payload) -> None:
            msg = decode(payload)
            if msg is not None and msg.date:
                when = datetime.fromisoformat(msg.date.replace("Z", "+00:00")).timestamp()
                records.append((when, direction, msg.msg_type,
                                msg.msg_id if direction == "out" else msg.parent_id))
        return on_frame

    def on_websocket(ws) -> None:
        if "/channels" in ws.url:
            ws.on("framesent", keep("out"))
            ws.on("framereceived", keep("in"))

    page.on("websocket", on_websocket)
    return records


def open_lab(page, lab_url: str) -> float:
    """JupyterLab loaded in ``page`` on a new, empty workspace (its launcher shown); returns
    the seconds it took."""
    start = time.time()
    page.goto(f"{lab_url}/lab/workspaces/t{uuid.uuid4().hex[:8]}?reset")
    page.wait_for_selector(".jp-Launcher", timeout=60_000)
    return time.time() - start


def lab_run_all(page, lab_url: str, name: str, records: list, *, quiet: float = 1.5,
                timeout: float = 600.0) -> dict:
    """In JupyterLab, already loaded in ``page`` (:func:`open_lab`; ``records``: its
    :func:`record_lab_kernel`), a learner opens the notebook ("Open from Path") and runs all
    its cells as soon as its kernel is ready. Returns the seconds from the open command to:
    the notebook shown (``notebook_shown_s``), the kernel ready (``kernel_ready_s``), the
    last cell's reply (``executed_s``), and interactive (``interactive_s``: every widget
    drawn, nothing changing for ``quiet`` seconds); from Run All to interactive
    (``run_all_s``); the kernel's seconds per cell (``cells_s``, in order) and its idle time
    between cells (``between_cells_s``). Then closes the notebook and shuts its kernel
    down."""
    start = time.time()
    palette(page, "Open from Path")
    page.locator(".jp-Dialog input").fill(name)
    page.keyboard.press("Enter")
    page.wait_for_selector(".jp-NotebookPanel .jp-Notebook .jp-Cell", timeout=60_000)
    shown = time.time()
    while not (has_kernel(lab_url) and kernels_idle(lab_url)):
        if time.time() - start > 120:
            raise TimeoutError("the notebook's kernel did not start within 120 s")
        time.sleep(0.05)
    kernel_ready = time.time()
    code_cells = page.locator(".jp-Notebook .jp-CodeCell").count()
    try:
        palette(page, "Run All Cells")
        run_all = time.time()
        replies: list[float] = []
        while len(replies) < code_cells:
            if time.time() - start > timeout:
                raise TimeoutError(f"{len(replies)} of {code_cells} cells ran in {timeout:.0f} s")
            page.wait_for_timeout(50)
            requests = {mid: t for t, d, kind, mid in records
                        if d == "out" and kind == "execute_request" and t >= start}
            replies = sorted(t for t, d, kind, parent in records
                             if d == "in" and kind == "execute_reply" and parent in requests)
        executed = replies[-1]
        busy = {parent: t for t, d, kind, parent in records
                if d == "in" and kind == "execute_input" and parent in requests}
        done = {parent: t for t, d, kind, parent in records
                if d == "in" and kind == "execute_reply" and parent in requests}
        order = sorted(busy, key=busy.get)
        cells = [done[m] - busy[m] for m in order if m in done]
        between = sum(max(0.0, busy[b] - done[a]) for a, b in zip(order, order[1:]))
        last_state, last_change = None, time.time()
        while True:
            state = page.evaluate(LAB_STATE_JS)
            now = time.time()
            if state != last_state:
                last_state, last_change = state, now
            if state["pending"] == 0 and now - last_change >= quiet:
                break
            if now - start > timeout:
                raise TimeoutError(f"not interactive after {timeout:.0f} s: {state}")
            time.sleep(0.05)
        interactive = max(last_change, executed)
        return {"notebook_shown_s": shown - start, "kernel_ready_s": kernel_ready - start,
                "executed_s": executed - start, "interactive_s": interactive - start,
                "run_all_s": interactive - run_all, "cells_s": cells,
                "between_cells_s": between}
    finally:
        palette(page, "Close All Tabs")
        discard = page.locator(".jp-Dialog button", has_text="Discard")
        with contextlib.suppress(Exception):
            discard.click(timeout=5_000)
        page.wait_for_selector(".jp-NotebookPanel", state="detached", timeout=30_000)
        shut_down_kernels(lab_url)


def describe_lab(t: dict) -> str:
    cells = t["cells_s"]
    slowest = sorted(range(len(cells)), key=cells.__getitem__, reverse=True)[:3]
    return (f"Run All to interactive {t['run_all_s']:.1f} s; opened to interactive "
            f"{t['interactive_s']:.1f} s: notebook shown {t['notebook_shown_s']:.1f} s, kernel "
            f"ready {t['kernel_ready_s']:.1f} s, last cell done {t['executed_s']:.1f} s (cells "
            f"{sum(cells):.1f} s in the kernel, {t['between_cells_s']:.1f} s between them; "
            "slowest " + ", ".join(f"#{i + 1} {cells[i]:.1f} s" for i in slowest) + ")")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description="page speed in Voila and JupyterLab")
    parser.add_argument("notebooks", nargs="*", help="names such as 03_inside_the_vae.ipynb")
    parser.add_argument("--moves", type=int, default=4, help="operations of each control")
    parser.add_argument("--no-preheat", action="store_true",
                        help="Voila runs each notebook when its page is requested")
    parser.add_argument("--lab", action="store_true", help="also time JupyterLab")
    parser.add_argument("--lab-only", action="store_true", help="time JupyterLab only")
    parser.add_argument("--json", type=Path, help="write every figure to this file")
    args = parser.parse_args(argv)
    names = args.notebooks or [nb.name for nb in NOTEBOOKS]
    report: dict[str, dict] = {name: {} for name in names}
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        for folder in ("voila", "lab", "settings"):
            (Path(tmp) / folder).mkdir()
        start = time.monotonic()
        with (contextlib.nullcontext() if args.lab_only
              else voila_server(Path(tmp) / "voila", preheat=not args.no_preheat)) as voila:
            if voila and not args.no_preheat:
                print(f"Voila preheated every notebook in {time.monotonic() - start:.0f} s",
                      flush=True)
            for name in [] if args.lab_only else names:
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
        if args.lab or args.lab_only:
            with lab_server(Path(tmp) / "lab", Path(tmp) / "settings") as lab:
                page = browser.new_page(viewport={"width": 1920, "height": 1080})
                records = record_lab_kernel(page)
                print(f"JupyterLab loaded in {open_lab(page, lab):.1f} s", flush=True)
                for name in names:
                    lab_times = lab_run_all(page, lab, name, records)
                    report[name]["lab"] = lab_times
                    print(f"{name}: JupyterLab, {describe_lab(lab_times)}", flush=True)
                page.close()
        browser.close()
    print("\n| notebook | Voila interactive | JupyterLab run all | controls | slowest median "
          "first change (control) | worst first change |\n|---|---|---|---|---|---|")
    for name, r in report.items():
        if "voila_interactive_s" not in r:
            print(f"| {name[:2]} | - | {r['lab']['run_all_s']:.1f} s | - | - | - |")
            continue
        medians = [(statistics.median(s), c["control"]) for c in r["controls"]
                   if (s := [t for t in c["first_ms"] if t is not None])]
        worst = max((t for c in r["controls"] for t in c["first_ms"] if t is not None),
                    default=None)
        slowest = max(medians, default=None)
        lab = f"{r['lab']['run_all_s']:.1f} s" if "lab" in r else "-"
        tail = f"{slowest[0]:.0f} ms ({slowest[1]}) | {worst:.0f} ms |" if slowest else "- | - |"
        print(f"| {name[:2]} | {r['voila_interactive_s']:.1f} s | {lab} | "
              f"{len(r['controls'])} | {tail}")
    if args.json:
        args.json.write_text(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
