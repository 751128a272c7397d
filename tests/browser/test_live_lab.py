"""In JupyterLab, 04's maps decode the point under the pointer in the page: with the kernel
busy (asleep for several seconds), moving the pointer over a map still changes both rows'
decoded panels, so no round trip to the kernel is involved; no error anywhere."""

from __future__ import annotations

import time

from tests.browser.conftest import require_browser
from tests.browser.controls import assert_nothing_hidden
from tests.browser.lab_live import detail_sources, kernel_busy, open_live_maps, top_map_box
from tests.browser.lab_page import shut_down_kernels, wait_until_idle

require_browser()


def test_the_maps_decode_under_the_pointer_while_the_kernel_is_busy(page, lab_url):
    open_live_maps(page, lab_url)
    try:
        box = top_map_box(page)
        with kernel_busy(lab_url, 8.0):
            start = time.monotonic()
            for k, (fx, fy) in enumerate([(0.3, 0.4), (0.6, 0.5), (0.5, 0.7)]):
                before = detail_sources(page)
                page.mouse.move(box["x"] + box["width"] * fx, box["y"] + box["height"] * fy)
                page.wait_for_function(
                    "(b) => JSON.stringify([...document.querySelectorAll('.js-plotly-plot')]"
                    ".find((g) => g.dataset.live === '1').data.filter((t) => t.name && "
                    "t.name.startsWith('detail')).map((t) => t.source)) !== JSON.stringify(b)",
                    arg=before, timeout=3_000)
                after = detail_sources(page)
                assert len(after) == 2 and all(a != b for a, b in zip(after, before)), k
            assert time.monotonic() - start < 8.0, "the kernel was not busy the whole time"
        wait_until_idle(lab_url)
        assert page.locator(".live-error").count() == 0
        assert_nothing_hidden(page, lab=True)
    finally:
        shut_down_kernels(lab_url)
