"""The models in the page in JupyterLab, for the tests of the in-page decode and their
benchmark: open and run a test-only notebook (tests/browser/live_maps.ipynb: 04's maps;
live_code_axis.ipynb: 02's code axis), find the figure whose front end runs the models, keep
the kernel busy from outside the page, move the pointer over its first panel."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from tests.browser.lab_page import get_json, open_notebook, run_all

LIVE_PLOT = "[...document.querySelectorAll('.js-plotly-plot')].find((g) => g.dataset.live === '1')"
# the test-only notebook that shows each kind of live figure in a kernel
LIVE_NOTEBOOKS = {"maps": "live_maps.ipynb", "code_axis": "live_code_axis.ipynb"}


def open_live(page, lab_url: str, kind: str) -> None:
    """Open and run the test-only notebook of ``kind``; scroll its live figure into view."""
    open_notebook(page, lab_url, LIVE_NOTEBOOKS[kind])
    run_all(page, lab_url, timeout=600)
    page.wait_for_function(f"() => !!({LIVE_PLOT})", timeout=60_000)
    page.evaluate(f"({LIVE_PLOT}).scrollIntoView()")


def first_panel_box(page) -> dict:
    """The live figure's first plot area (its first drag layer: 04's top map, 02's code axis)
    in page pixels."""
    return page.evaluate(f"""() => {{
        const r = ({LIVE_PLOT}).querySelector('.nsewdrag').getBoundingClientRect();
        return {{x: r.x, y: r.y, width: r.width, height: r.height}};
    }}""")


def image_sources(page, prefix: str) -> list[str]:
    """The sources of the live figure's image traces whose names start with ``prefix``."""
    return page.evaluate(f"""(prefix) => ({LIVE_PLOT}).data
        .filter((t) => t.name && t.name.startsWith(prefix)).map((t) => t.source)""", prefix)


@contextlib.contextmanager
def _kernel_client(lab_url: str) -> Iterator:
    """A client on the channels of the server's one kernel, beside the page's own."""
    from jupyter_client import BlockingKernelClient
    from jupyter_core.paths import jupyter_runtime_dir

    [kernel] = get_json(f"{lab_url}/api/kernels")
    client = BlockingKernelClient(
        connection_file=f"{jupyter_runtime_dir()}/kernel-{kernel['id']}.json")
    client.load_connection_file()
    client.start_channels()
    try:
        yield client
    finally:
        client.stop_channels()


@contextlib.contextmanager
def kernel_busy(lab_url: str, seconds: float) -> Iterator[None]:
    """The notebook's kernel runs ``time.sleep(seconds)`` (sent on its own channels, not
    through the page) for the duration of the block."""
    with _kernel_client(lab_url) as client:
        client.execute(f"import time; time.sleep({seconds})")
        deadline = seconds
        while deadline > 0:  # wait until the kernel says it is busy
            msg = client.get_iopub_msg(timeout=5)
            deadline -= 0.1
            if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "busy":
                break
        yield


def kernel_run(lab_url: str, code: str) -> None:
    """Run ``code`` in the notebook's kernel (on its own channels, not through the page);
    an error in it fails the caller."""
    with _kernel_client(lab_url) as client:
        reply = client.execute_interactive(code, timeout=30, output_hook=lambda msg: None)
    assert reply["content"]["status"] == "ok", reply["content"]
