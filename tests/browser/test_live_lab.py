"""In JupyterLab, the live figures decode the point under the pointer in the page: with the
kernel busy (asleep for several seconds), moving the pointer over 04's top map still changes
both rows' decoded panels, and moving it along 02's code axis still changes the pair's
decoded tile, so no round trip to the kernel is involved; no error anywhere. Moving over the
map sends the kernel no hover reports unless the figure asks for them (``report_hover``); a
click still reaches it."""

from __future__ import annotations

import time

import pytest

from tests.browser.conftest import require_browser
from tests.browser.controls import assert_nothing_hidden
from tests.browser.kernel_messages import record_points_reports
from tests.browser.lab_live import (
    LIVE_PLOT,
    first_panel_box,
    image_sources,
    kernel_busy,
    kernel_run,
    open_live,
)
from tests.browser.lab_page import shut_down_kernels, wait_until_idle

require_browser()

# per kind: the decoded images' trace names start with this, and how many there are
DECODED = {"maps": ("detail", 2), "code_axis": ("midpoint vs 3/4 moon", 1)}


@pytest.mark.parametrize("kind", ["maps", "code_axis"])
def test_the_figure_decodes_under_the_pointer_while_the_kernel_is_busy(page, lab_url, kind):
    prefix, count = DECODED[kind]
    open_live(page, lab_url, kind)
    try:
        box = first_panel_box(page)
        with kernel_busy(lab_url, 8.0):
            start = time.monotonic()
            for k, (fx, fy) in enumerate([(0.3, 0.4), (0.6, 0.5), (0.5, 0.7)]):
                before = image_sources(page, prefix)
                page.mouse.move(box["x"] + box["width"] * fx, box["y"] + box["height"] * fy)
                page.wait_for_function(
                    f"([prefix, b]) => JSON.stringify(({LIVE_PLOT}).data.filter((t) => t.name "
                    "&& t.name.startsWith(prefix)).map((t) => t.source)) !== JSON.stringify(b)",
                    arg=[prefix, before], timeout=3_000)
                after = image_sources(page, prefix)
                assert len(after) == count and all(a != b for a, b in zip(after, before)), k
            assert time.monotonic() - start < 8.0, "the kernel was not busy the whole time"
        wait_until_idle(lab_url)
        assert page.locator(".live-error").count() == 0
        assert_nothing_hidden(page, lab=True)
    finally:
        shut_down_kernels(lab_url)


def test_hover_reports_stay_in_the_page_unless_the_figure_asks(page, lab_url):
    reports = record_points_reports(page)
    open_live(page, lab_url, "maps")
    try:
        box = first_panel_box(page)

        def sweep() -> None:
            for k in range(20):
                page.mouse.move(box["x"] + box["width"] * (0.2 + 0.03 * k),
                                box["y"] + box["height"] * (0.3 + 0.02 * k))
                page.wait_for_timeout(30)
            page.mouse.move(box["x"] - 40, box["y"] - 40)  # off the map: an unhover
            page.wait_for_timeout(300)

        sweep()
        page.mouse.click(box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.5)
        page.wait_for_timeout(500)
        assert reports == ["plotly_click"], reports
        kernel_run(lab_url, "maps.fig.report_hover = True")
        page.wait_for_timeout(300)
        reports.clear()
        sweep()
        assert {"plotly_hover", "plotly_unhover"} <= set(reports), reports
        wait_until_idle(lab_url)
        assert_nothing_hidden(page, lab=True)
    finally:
        shut_down_kernels(lab_url)
