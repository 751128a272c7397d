"""Every notebook served by Voila in lecture mode (code hidden), in a real browser: the page
becomes interactive, every slider, dropdown and button redraws what it drives, and nothing
fails on the way (no JavaScript error, no failed request to the server, no error output, no
error the kernel sends back for any message: Voila shows those nowhere)."""

from __future__ import annotations

import pytest

from tests.browser.conftest import require_browser
from tests.browser.controls import (ERRORS, assert_failing_callback_shown, assert_nothing_hidden,
                                    exercise_every_control, load_plotly_slowly,
                                    slow_figure_follows, wait_for_hidden_error)
from tests.browser.servers import NOTEBOOKS
from tests.browser.voila_page import open_in_voila

require_browser()


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[nb.stem for nb in NOTEBOOKS])
def test_voila_page_loads_and_every_control_redraws(page, voila_url, notebook):
    n, unchanged = load_and_exercise(page, voila_url, notebook.name)
    assert not unchanged, f"{len(unchanged)} of {n} controls changed nothing: {unchanged}"
    assert_nothing_hidden(page, lab=False)


def load_and_exercise(page, voila_url: str, name: str) -> tuple[int, list[str]]:
    """Open ``name`` in Voila, check it shows no code and no error, and operate every control."""
    open_in_voila(page, voila_url, name)
    errors = page.locator(ERRORS)
    assert errors.count() == 0, errors.first.inner_text()
    code = page.locator(".jp-CodeCell .jp-InputArea >> visible=true")
    assert code.count() == 0, "lecture mode shows code"
    # no kernel API in Voila: give a long callback (a retraining) a moment after each change
    n, unchanged = exercise_every_control(page, settle=lambda: page.wait_for_timeout(300))
    assert errors.count() == 0, errors.first.inner_text()
    return n, unchanged


def test_a_failing_callback_shows_its_error_in_voila(page, voila_url):
    open_in_voila(page, voila_url, "failing_callback.ipynb")
    assert_failing_callback_shown(page)


def test_an_error_in_a_figure_handler_is_caught_by_the_hidden_error_check_in_voila(page, voila_url):
    open_in_voila(page, voila_url, "failing_figure_handler.ipynb")
    wait_for_hidden_error(page, lab=False)
    with pytest.raises(AssertionError, match="deliberate failure in a figure handler"):
        assert_nothing_hidden(page, lab=False)



@pytest.mark.xfail(strict=True, reason="known, not yet fixed: a figure whose plotly.js arrives "
                   "more than about 1.5 s after its model is made ignores every update (README)")
def test_a_figure_whose_plotly_loads_slowly_still_follows_its_slider(page, voila_url):
    # the Voila figure that "stops following its controls", made to happen every time:
    # plotly.js arrives 4 s late, as on a busy machine, and the kernel's updates then reach
    # the page but never the figure; nothing reports an error
    load_plotly_slowly(page, delay=4.0)
    open_in_voila(page, voila_url, "slow_plotly.ipynb")
    unchanged = slow_figure_follows(page)
    assert not unchanged, unchanged


def test_a_figure_whose_plotly_loads_promptly_follows_its_slider(page, voila_url):
    # the same page with plotly.js on time: shows the check above can pass
    open_in_voila(page, voila_url, "slow_plotly.ipynb")
    unchanged = slow_figure_follows(page)
    assert not unchanged, unchanged
    assert_nothing_hidden(page, lab=False)
