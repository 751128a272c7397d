"""Every notebook opened in JupyterLab in a real browser: run all cells, then move every
slider, dropdown and button through the page, as a person would, and check that the
output it drives changes in the DOM; no JavaScript error and no failed request to the
server on the way."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
import uuid

import pytest

from tests.browser.conftest import NOTEBOOKS, require_browser

require_browser()

# a short signature of one output area: its text and every plotly figure's data and title
SIGNATURE_JS = """(area) => {
  let s = area.innerText;
  for (const gd of area.querySelectorAll('.js-plotly-plot')) {
    s += JSON.stringify(gd.data || null) + JSON.stringify((gd.layout || {}).title || null);
  }
  let h = 5381;
  for (let i = 0; i < s.length; i++) h = ((h * 33) ^ s.charCodeAt(i)) >>> 0;
  return s.length + ':' + h;
}"""
CONTROLS = ("css=.jp-OutputArea-output .widget-slider .noUi-handle, "
            ".jp-OutputArea-output .widget-dropdown select, "
            ".jp-OutputArea-output button.widget-button")


def open_notebook(page, lab_url: str, name: str) -> None:
    page.goto(f"{lab_url}/lab/workspaces/t{uuid.uuid4().hex[:8]}/tree/{name}?reset")
    page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=60_000)
    deadline = time.monotonic() + 60
    while not (kernels_idle(lab_url) and has_kernel(lab_url)):
        if time.monotonic() > deadline:
            raise TimeoutError("the notebook's kernel did not start within 60 s")
        time.sleep(0.5)
    time.sleep(1.0)


def palette(page, command: str) -> None:
    """Run a JupyterLab command by its label from the command palette."""
    page.keyboard.press("Control+Shift+C")
    page.locator(".lm-CommandPalette-input:visible").wait_for(timeout=10_000)
    page.keyboard.type(command)
    page.locator(".lm-CommandPalette-item.lm-mod-active:visible").first.wait_for(timeout=10_000)
    page.keyboard.press("Enter")


def run_all(page, lab_url: str, *, timeout: float) -> None:
    """Clear the stored outputs, then run every cell and wait for the kernel to finish."""
    palette(page, "Clear Outputs of All Cells")
    page.wait_for_function("() => [...document.querySelectorAll('.jp-CodeCell .jp-InputPrompt')]"
                           ".every(p => !/\\d/.test(p.innerText))", timeout=20_000)
    palette(page, "Run All Cells")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        prompts = page.locator(".jp-CodeCell .jp-InputPrompt").all_inner_texts()
        if prompts and all(p.strip().startswith("[") and p.strip()[1:-2].isdigit() for p in prompts):
            if kernels_idle(lab_url):
                return
        time.sleep(1.0)
    raise TimeoutError(f"cells still running after {timeout:.0f} s: {prompts}")


def kernels_idle(lab_url: str) -> bool:
    with urllib.request.urlopen(f"{lab_url}/api/kernels", timeout=5) as r:
        return all(k["execution_state"] == "idle" for k in json.load(r))


def has_kernel(lab_url: str) -> bool:
    with urllib.request.urlopen(f"{lab_url}/api/kernels", timeout=5) as r:
        return len(json.load(r)) > 0


def shut_down_kernels(lab_url: str) -> None:
    with urllib.request.urlopen(f"{lab_url}/api/sessions", timeout=5) as r:
        sessions = json.load(r)
    for s in sessions:
        req = urllib.request.Request(f"{lab_url}/api/sessions/{s['id']}", method="DELETE")
        try:
            urllib.request.urlopen(req, timeout=30).close()
        except urllib.error.HTTPError:  # already going away; the server stops at the end anyway
            pass


def operate(page, control) -> None:
    """Move a slider by one step with the keyboard, pick a dropdown's next entry, or press
    a button: the way a learner would."""
    tag = control.evaluate("e => e.tagName.toLowerCase()")
    if tag == "select":
        n = control.evaluate("e => e.options.length")
        index = control.evaluate("e => e.selectedIndex")
        control.select_option(index=(index + 1) % n)
    elif tag == "button":
        control.click()
    else:
        control.focus()
        before = control.get_attribute("aria-valuenow")
        control.press("ArrowRight")
        if control.get_attribute("aria-valuenow") == before:  # at its maximum
            control.press("ArrowLeft")
        if control.get_attribute("aria-valuenow") == before:
            # some float sliders ignore the arrow keys in ipywidgets 8's noUiSlider (seen
            # with step 0.02 on [-3, 3]); a learner then clicks the track, so do that
            track = control.locator("xpath=ancestor::div[contains(@class,'noUi-base')][1]")
            box = track.bounding_box()
            handle = control.bounding_box()
            x = box["x"] + box["width"] * (0.3 if handle["x"] > box["x"] + box["width"] / 2 else 0.7)
            page.mouse.click(x, box["y"] + box["height"] / 2)


def wait_for_change(area, before: str, *, timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if area.evaluate(SIGNATURE_JS) != before:
            return True
        time.sleep(0.2)
    return False


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[nb.stem for nb in NOTEBOOKS])
def test_notebook_runs_and_every_control_redraws(page, lab_url, notebook):
    open_notebook(page, lab_url, notebook.name)
    try:
        run_all(page, lab_url, timeout=600)
        errors = page.locator("[data-mime-type='application/vnd.jupyter.error']")
        assert errors.count() == 0, errors.first.inner_text()
        controls = page.locator(CONTROLS)
        n = controls.count()
        unchanged = []
        for i in range(n):
            control = controls.nth(i)
            control.scroll_into_view_if_needed()
            area = control.locator("xpath=ancestor::div[contains(@class,'jp-OutputArea-output')][1]")
            before = area.evaluate(SIGNATURE_JS)
            operate(page, control)
            if not wait_for_change(area, before):
                unchanged.append(control.evaluate("e => e.outerHTML.slice(0, 160)")
                                 + " now " + str(control.get_attribute("aria-valuenow")))
            while not kernels_idle(lab_url):  # let a long callback finish before the next
                time.sleep(0.2)
        assert not unchanged, f"{len(unchanged)} of {n} controls changed nothing: {unchanged}"
        assert errors.count() == 0, errors.first.inner_text()
        assert not page.problems, page.problems
    finally:
        shut_down_kernels(lab_url)


def test_a_failing_callback_shows_its_error_on_the_page(page, lab_url):
    open_notebook(page, lab_url, "failing_callback.ipynb")
    try:
        run_all(page, lab_url, timeout=120)
        handle = page.locator(CONTROLS).first
        handle.click()
        handle.press("ArrowRight")
        shown = page.locator(".jp-OutputArea-output :text('deliberate failure for the browser test')")
        shown.first.wait_for(timeout=20_000)
        assert "ValueError" in shown.first.locator("xpath=..").inner_text()
    finally:
        shut_down_kernels(lab_url)
