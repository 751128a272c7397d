"""Opening a notebook in Voila and waiting until it is interactive, shared by the Voila
tests and the page-speed benchmark."""

from __future__ import annotations

import time
import warnings

# what the page shows: Voila's progress text, rendered plots and widgets, widgets still loading
STATE_JS = """() => {
  const loading = document.querySelector('#loading');
  const busy = !!loading && getComputedStyle(loading).display !== 'none';
  const outputs = [...document.querySelectorAll('.jp-OutputArea-output')];
  return {
    busy, progress: busy ? loading.innerText.trim() : '',
    plots: document.querySelectorAll('.js-plotly-plot').length,
    widgets: document.querySelectorAll('.jupyter-widgets').length,
    pending: outputs.filter(e => /Loading widget|Error displaying widget/.test(e.innerText)).length,
  };
}"""


class VoilaStalled(TimeoutError):
    """Voila's progress text stopped moving while the page was executing."""


def open_in_voila(page, voila_url: str, name: str, *, timeout: float = 180.0,
                  stall: float = 90.0, quiet: float = 1.5) -> float:
    """Navigate to the notebook's Voila page and wait until it is interactive: execution done,
    no widget still loading, and the number of plots and widgets unchanged for ``quiet``
    seconds. Returns the seconds from navigation to the last change (its time to interactive).

    About one fresh Voila page in 5-7 was seen here to stay on "Executing k of N" for ever
    while kernel and server were idle; such a page is reloaded once, with a warning."""
    try:
        return _load(page, f"{voila_url}/voila/render/{name}", timeout=timeout, stall=stall,
                     quiet=quiet)
    except VoilaStalled as err:
        warnings.warn(f"Voila stalled on {name} ({err}); reloaded once", stacklevel=2)
        return _load(page, f"{voila_url}/voila/render/{name}", timeout=timeout, stall=stall,
                     quiet=quiet)


def _load(page, url: str, *, timeout: float, stall: float, quiet: float) -> float:
    start = time.monotonic()
    page.goto(url, wait_until="commit", timeout=int(timeout * 1000))
    last_state, last_change = None, start
    while True:
        now = time.monotonic()
        state = page.evaluate(STATE_JS)
        if state != last_state:
            last_state, last_change = state, now
        done = not state["busy"] and state["pending"] == 0
        if done and now - last_change >= quiet:
            return last_change - start
        if state["busy"] and now - last_change > stall:
            raise VoilaStalled(f"'{state['progress']}' for {now - last_change:.0f} s")
        if now - start > timeout:
            raise TimeoutError(f"not interactive after {timeout:.0f} s: {state}")
        time.sleep(0.05)
