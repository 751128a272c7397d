"""04's maps in JupyterLab (tests/browser/live_maps.ipynb), for the test of the in-page decode
and its benchmark: open and run the notebook, find the figure whose front end runs the
models, keep the kernel busy from outside the page, move the pointer over a map."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from tests.browser.lab_page import get_json, open_notebook, run_all

LIVE_PLOT = "[...document.querySelectorAll('.js-plotly-plot')].find((g) => g.dataset.live === '1')"


def open_live_maps(page, lab_url: str) -> None:
    open_notebook(page, lab_url, "live_maps.ipynb")
    run_all(page, lab_url, timeout=600)
    page.wait_for_function(f"() => !!({LIVE_PLOT})", timeout=60_000)
    page.evaluate(f"({LIVE_PLOT}).scrollIntoView()")


def top_map_box(page) -> dict:
    """The top map's plot area (its first drag layer) in page pixels."""
    return page.evaluate(f"""() => {{
        const r = ({LIVE_PLOT}).querySelector('.nsewdrag').getBoundingClientRect();
        return {{x: r.x, y: r.y, width: r.width, height: r.height}};
    }}""")


def detail_sources(page) -> list[str]:
    return page.evaluate(f"""() => ({LIVE_PLOT}).data
        .filter((t) => t.name && t.name.startsWith('detail')).map((t) => t.source)""")


@contextlib.contextmanager
def kernel_busy(lab_url: str, seconds: float) -> Iterator[None]:
    """The notebook's kernel runs ``time.sleep(seconds)`` (sent on its own channels, not
    through the page) for the duration of the block."""
    from jupyter_client import BlockingKernelClient
    from jupyter_core.paths import jupyter_runtime_dir

    [kernel] = get_json(f"{lab_url}/api/kernels")
    client = BlockingKernelClient(
        connection_file=f"{jupyter_runtime_dir()}/kernel-{kernel['id']}.json")
    client.load_connection_file()
    client.start_channels()
    try:
        client.execute(f"import time; time.sleep({seconds})")
        deadline = seconds
        while deadline > 0:  # wait until the kernel says it is busy
            msg = client.get_iopub_msg(timeout=5)
            deadline -= 0.1
            if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "busy":
                break
        yield
    finally:
        client.stop_channels()
