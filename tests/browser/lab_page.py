"""Driving a notebook in JupyterLab: open it, run all cells, wait for its kernel; shared by
the JupyterLab tests and the page-speed benchmark."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
import uuid


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
        if prompts and all(p.strip().startswith("[") and p.strip()[1:-2].isdigit()
                           for p in prompts):
            if kernels_idle(lab_url):
                return
        time.sleep(1.0)
    raise TimeoutError(f"cells still running after {timeout:.0f} s: {prompts}")


def wait_until_idle(lab_url: str) -> None:
    """Let a long callback finish before the next control is operated."""
    while not kernels_idle(lab_url):
        time.sleep(0.2)


def get_json(url: str, *, attempts: int = 5):
    """GET ``url`` as JSON; a server error while a kernel starts or stops is retried."""
    for attempt in range(attempts):
        try:
            with urllib.request.urlopen(url, timeout=10) as r:
                return json.load(r)
        except urllib.error.HTTPError:
            if attempt == attempts - 1:
                raise
            time.sleep(0.5)


def kernels_idle(lab_url: str) -> bool:
    return all(k["execution_state"] == "idle" for k in get_json(f"{lab_url}/api/kernels"))


def has_kernel(lab_url: str) -> bool:
    return len(get_json(f"{lab_url}/api/kernels")) > 0


def shut_down_kernels(lab_url: str) -> None:
    for s in get_json(f"{lab_url}/api/sessions"):
        req = urllib.request.Request(f"{lab_url}/api/sessions/{s['id']}", method="DELETE")
        try:
            urllib.request.urlopen(req, timeout=30).close()
        except urllib.error.HTTPError:  # already going away; the server stops at the end anyway
            pass
