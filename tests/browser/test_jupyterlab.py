"""Every notebook opened in JupyterLab in a real browser: run all cells, then move every
slider, dropdown and button through the page, as a person would, and check that the
output it drives changes in the DOM; no JavaScript error, no failed request to the server,
no error the kernel sends back for any message, and nothing in the log console on the way."""

from __future__ import annotations

import pytest

from tests.browser.conftest import require_browser
from tests.browser.controls import (
    ERRORS,
    assert_answers_fold,
    assert_failing_callback_shown,
    assert_nothing_hidden,
    exercise_every_control,
    hidden_errors,
    stored_answers,
    wait_for_hidden_error,
)
from tests.browser.lab_page import open_notebook, run_all, shut_down_kernels, wait_until_idle
from tests.browser.servers import NOTEBOOKS

require_browser()


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[nb.stem for nb in NOTEBOOKS])
def test_notebook_runs_and_every_control_redraws(page, lab_url, notebook):
    open_notebook(page, lab_url, notebook.name)
    try:
        run_all(page, lab_url, timeout=600)
        errors = page.locator(ERRORS)
        assert errors.count() == 0, errors.first.inner_text()
        n, unchanged = exercise_every_control(page, settle=lambda: wait_until_idle(lab_url))
        assert not unchanged, f"{len(unchanged)} of {n} controls changed nothing: {unchanged}"
        assert errors.count() == 0, errors.first.inner_text()
        assert_answers_fold(page, stored_answers(notebook))
        assert_nothing_hidden(page, lab=True)
    finally:
        shut_down_kernels(lab_url)


def test_a_failing_callback_shows_its_error_on_the_page(page, lab_url):
    open_notebook(page, lab_url, "failing_callback.ipynb")
    try:
        run_all(page, lab_url, timeout=120)
        assert_failing_callback_shown(page)
    finally:
        shut_down_kernels(lab_url)


def test_an_error_in_a_figure_handler_is_caught_by_the_hidden_error_check(page, lab_url):
    # the figure's handler for the page's layout report raises: no output area shows it, only
    # the kernel's reply on the websocket and JupyterLab's log console
    open_notebook(page, lab_url, "failing_figure_handler.ipynb")
    try:
        run_all(page, lab_url, timeout=120)
        wait_for_hidden_error(page, lab=True)
        with pytest.raises(AssertionError, match="deliberate failure in a figure handler"):
            assert_nothing_hidden(page, lab=True)
        assert any("log console" in line for line in hidden_errors(page, lab=True))
    finally:
        shut_down_kernels(lab_url)

