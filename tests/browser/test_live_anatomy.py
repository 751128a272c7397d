"""03's diagram runs in its page, from file:// with the network blocked: the page's VAE
decodes as torch does (100 random codes, within 2e-3 per pixel); for the digit and the noise
the page shows, its m, s, sigma, c, decoded image and readings are the kernel's
(``anatomy.diagram``, ``anatomy.kl_readings``); "draw new noise" gives the kernel's draws
(then the page's own, said so), "set e of" and the e slider set one dimension, and the
page's digit slider brings that digit. A page of the diagram over the six KL weights (built
here from the widget, as the export builds 03's) brings each weight's VAE.
"""

from __future__ import annotations

import re

import nbformat
import numpy as np
import pytest

from explainer import anatomy, traversals
from explainer.data import load_mnist
from explainer.plots import anatomy as plots
from explainer.publish.kernel import explainer_bundle
from explainer.publish.page import render_page
from explainer.widgets.anatomy import DiagramExplorer
from explainer.widgets.live import packed_models
from tests.browser.conftest import require_browser
from tests.browser.live_pages import (
    DECODE_TOLERANCE,
    PNG_TOLERANCE,
    assert_page_decodes,
    image_of,
    notebook_cache,
    page_model_ids,
    trace_source,
)
from tests.browser.test_html_export import _open, exported, offline_page  # noqa: F401

require_browser()

NOTEBOOK = "03_inside_the_vae"
# the encoder's outputs and the readings, float16-rounded weights (int16 rows): measured
# within 1e-4 of torch
CODE_TOLERANCE = 1e-3
READING_TOLERANCE = 1e-2  # the readings print three decimals
HANDLE = "document.getElementById('{plot}').vaeLive[0]"


@pytest.fixture(scope="module")
def notebook_state():
    """What 03's diagram shows: its VAE (beta = 1), the test digits and the digits offered."""
    with notebook_cache():
        mnist = load_mnist()
        grid = anatomy.train_beta_grid(mnist)
    return grid[1.0].model, mnist, traversals.first_of_each_class(mnist.y_test)


@pytest.fixture(scope="module")
def kl_grid():
    with notebook_cache():
        return anatomy.train_beta_grid(load_mnist())


@pytest.fixture
def diagram_page(exported, offline_page):  # noqa: F811
    page = offline_page
    _open(page, exported[NOTEBOOK].path)
    plot = page.evaluate("[...document.querySelectorAll('script.live-spec')].find((s) => "
                         "JSON.parse(s.textContent)[0].kind === 'anatomy').dataset.target")
    page.wait_for_function(f"() => document.getElementById('{plot}').dataset.live === '1'")
    page.locator(f"#{plot}").scroll_into_view_if_needed()
    page.plot = plot
    yield page
    assert page.blocked == [], f"requests left the page: {page.blocked}"
    assert page.problems == []
    assert page.evaluate("document.querySelectorAll('.live-error').length") == 0


def values(typed) -> np.ndarray:
    """A Float32Array read from the page (a dict of indices, or a list), as an array."""
    if isinstance(typed, dict):
        return np.array([typed[str(i)] for i in range(len(typed))])
    return np.asarray(typed, dtype=np.float64)


def state(page) -> dict:
    return page.evaluate(HANDLE.format(plot=page.plot) + ".state")


def readout(page) -> str:
    return page.evaluate("document.querySelector('.live-readout').innerText")


def assert_shows_the_kernels_diagram(page, model, image, noise) -> None:
    """The page's diagram (state, bars, decoded panel, readings) is the kernel's for
    ``image`` and ``noise``."""
    s = state(page)
    d = anatomy.diagram(model, image, noise)
    assert np.array_equal(values(s["diagram"]["noise"]), d.noise)
    for name in ("mean", "logvar", "sigma", "code"):
        got = values(s["diagram"][name])
        assert np.abs(got - getattr(d, name)).max() <= CODE_TOLERANCE, name
    assert np.abs(values(s["diagram"]["decoded"]) - d.decoded).max() <= DECODE_TOLERANCE
    # the figure shows them: the bars by name, the decoded panel's picture
    for name, want in zip(plots.BAR_NAMES, (d.mean, d.logvar, d.sigma, d.noise, d.code),
                          strict=True):
        got = page.evaluate("([p, n]) => document.getElementById(p).data"
                            ".find((t) => t.name === n).y", [page.plot, name])
        assert np.abs(np.asarray(got) - want).max() <= CODE_TOLERANCE, name
    shown = image_of(page, trace_source(page, page.plot, plots.DECODED_IMAGE)).reshape(-1)
    assert np.abs(shown - d.decoded).max() <= PNG_TOLERANCE
    # the readings under the figure: the kernel's numbers
    r = anatomy.kl_readings(d.mean, d.logvar)
    text = readout(page)
    for label, key in (("tutorial's Minimize2", "minimize2"),
                       ("KL if s is the log-variance", "kl_log_variance"),
                       ("KL if s is the log-std", "kl_log_std")):
        number = float(re.search(re.escape(label) + r" = (-?[0-9.]+)", text).group(1))
        assert number == pytest.approx(r[key], abs=READING_TOLERANCE), label


def test_the_pages_vaes_decode_as_torch(diagram_page, kl_grid):
    models = [trained.model for _, trained in sorted(kl_grid.items())]
    ids, _ = packed_models(models, parts=("decoder", "encoder"))
    assert set(page_model_ids(diagram_page)) == set(ids)  # the six VAEs, each once
    worst = assert_page_decodes(diagram_page, dict(zip(ids, models)))
    print(f"largest difference over {len(ids)} VAEs: {worst:.1e}")


def test_the_diagram_opens_on_the_kernels_and_follows_its_noise_controls(diagram_page,
                                                                          notebook_state):
    page = diagram_page
    model, mnist, digits = notebook_state
    image = mnist.x_test[digits[0]]
    noise = anatomy.DiagramNoise(model.latent_dim, seed=0)  # the widget's, as the kernel keeps it
    assert_shows_the_kernels_diagram(page, model, image, noise.e)
    assert "e: draw 0 (seed 0)" in readout(page)

    # draw new noise, twice: the kernel's draws 1 and 2
    before = trace_source(page, page.plot, plots.DECODED_IMAGE)
    button = page.get_by_role("button", name="draw new noise")
    for _ in range(2):
        button.click()
        noise.draw_new()
    assert trace_source(page, page.plot, plots.DECODED_IMAGE) != before
    assert_shows_the_kernels_diagram(page, model, image, noise.e)
    assert noise.describe() in readout(page)

    # "set e of" dim 3, then the e slider moved by the keyboard, 0.1 a step
    page.locator(".live-noise select").select_option(label="dim 3")
    slider = page.locator(".live-noise input[type=range]")
    start = float(slider.input_value())
    assert start == pytest.approx(round(float(np.clip(noise.e[2], -3, 3)), 1))
    slider.focus()
    for _ in range(4):
        page.keyboard.press("ArrowRight")
    value = float(slider.input_value())
    assert value == pytest.approx(min(3.0, start + 0.4))
    assert page.locator(".live-noise output").inner_text() == f"{value:.1f}"
    noise.set(2, value)
    assert_shows_the_kernels_diagram(page, model, image, noise.e)
    assert noise.describe() in readout(page)
    assert "dim 3 set by hand" in readout(page)

    # the same steps in the kernel's widget: the readings after their numbers read the same,
    # also for an e beyond the slider's range (the slider shows its end and says so)
    kernel = DiagramExplorer(model, mnist.x_test, mnist.y_test, digits=digits)
    kernel.resample.click()
    kernel.resample.click()
    kernel.dimension.value = 2
    kernel.e_value.value = value
    page.evaluate(f"{HANDLE.format(plot=page.plot)}.setE(0, 3.4)")
    kernel.dimension.value = 0
    kernel.noise_state.set(0, 3.4)
    kernel.redraw()
    assert np.array_equal(values(state(page)["e"]), kernel.noise)
    html = page.evaluate("document.querySelector('.live-readout').innerHTML")
    assert html.split("<br>")[1:] == kernel.readings.value.split("<br>")[1:]
    assert "dim 1's e is 3.40, beyond the slider's range [-3, 3]: the slider shows 3" in html
    assert page.locator(".live-noise output").inner_text() == "3.0"


def test_draws_past_the_kernels_come_from_the_pages_generator_and_say_so(diagram_page,
                                                                         notebook_state):
    page = diagram_page
    model, mnist, digits = notebook_state
    handle = HANDLE.format(plot=page.plot)
    page.evaluate(f"() => {{ for (let k = 0; k < {DiagramExplorer.PAGE_DRAWS - 1}; k++) "
                  f"{handle}.drawNew(); }}")
    last_kernel = anatomy.draw_noise(model.latent_dim, seed=DiagramExplorer.PAGE_DRAWS - 1)
    assert np.array_equal(values(state(page)["e"]), last_kernel)
    page.get_by_role("button", name="draw new noise").click()
    s = state(page)
    e = values(s["e"])
    assert s["draw"] == DiagramExplorer.PAGE_DRAWS and np.isfinite(e).all()
    assert not np.array_equal(e, last_kernel)
    assert (f"e: draw {DiagramExplorer.PAGE_DRAWS}, from this page's own generator"
            in readout(page))
    # still the kernel's diagram for that noise
    assert_shows_the_kernels_diagram(page, model, mnist.x_test[digits[0]], e.astype(np.float32))


def test_the_pages_digit_slider_brings_that_digit(diagram_page, notebook_state):
    page = diagram_page
    model, mnist, digits = notebook_state
    # one readout of the readings, the page's stored one, written by the page
    assert page.evaluate(f"document.getElementById('{page.plot}').closest('.explainer')"
                         ".querySelectorAll('.readout').length") == 1
    assert page.evaluate("document.querySelectorAll('.live-readout.readout').length") == 1
    page.get_by_role("button", name="draw new noise").click()
    group = page.locator(f"#{page.plot} .slider-group").first
    group.scroll_into_view_if_needed()
    tick = group.locator(".slider-tick-rect").nth(4).bounding_box()
    rail = group.locator(".slider-rail-touch-rect").bounding_box()
    page.mouse.click(tick["x"] + tick["width"] / 2, rail["y"] + rail["height"] / 2)
    page.wait_for_function(f"() => {HANDLE.format(plot=page.plot)}.state.digit === 4",
                           timeout=5_000)
    assert_shows_the_kernels_diagram(page, model, mnist.x_test[digits[4]],
                                     anatomy.draw_noise(model.latent_dim, seed=1))
    # the readings are the page's for that noise, not the stored text of the kernel's first
    assert "e: draw 1 (seed 1)" in readout(page) and "torch" not in readout(page)
    # the input image is the page's frame for that digit
    shown = image_of(page, trace_source(page, page.plot, plots.INPUT_IMAGE)).reshape(-1)
    assert np.abs(shown - mnist.x_test[digits[4]].numpy()).max() <= 0.5 / 255 + 1e-6


def test_a_kl_weight_slider_brings_that_weights_vae(offline_page, notebook_state, kl_grid,  # noqa: F811
                                                    tmp_path):
    page = offline_page
    _, mnist, digits = notebook_state
    explorer = DiagramExplorer(kl_grid, mnist.x_test, mnist.y_test, digits=digits[:3])
    bundle = explainer_bundle(explorer, png=False, frames=True)
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("# The diagram over the KL weights"),
        nbformat.v4.new_code_cell("explorer", outputs=[
            nbformat.v4.new_output("display_data", data=bundle)])])
    html, failures = render_page(nb, name="diagram")
    assert failures == []
    path = tmp_path / "diagram.html"
    path.write_text(html, encoding="utf-8")
    _open(page, path)
    page.plot = "plot-0"
    page.wait_for_function("() => document.getElementById('plot-0').dataset.live === '1'")
    ids, _ = packed_models([kl_grid[b].model for b in sorted(kl_grid)],
                           parts=("decoder", "encoder"))
    assert set(page_model_ids(page)) == set(ids)  # every weight's VAE, once
    noise = anatomy.draw_noise(8, seed=0)
    sliders = page.evaluate("document.getElementById('plot-0').layout.sliders.map((s) => s.name)")
    group = page.locator("#plot-0 .slider-group").nth(sliders.index("KL weight"))
    group.scroll_into_view_if_needed()
    for k, beta in ((0, 0.0), (5, 10.0)):
        tick = group.locator(".slider-tick-rect").nth(k).bounding_box()
        rail = group.locator(".slider-rail-touch-rect").bounding_box()
        page.mouse.click(tick["x"] + tick["width"] / 2, rail["y"] + rail["height"] / 2)
        key = ids[sorted(kl_grid).index(beta)]
        page.wait_for_function(f"(id) => {HANDLE.format(plot='plot-0')}.state.model === id",
                               arg=key, timeout=5_000)
        assert_shows_the_kernels_diagram(page, kl_grid[beta].model, mnist.x_test[digits[0]], noise)
    # the noise controls still drive it at that weight
    page.get_by_role("button", name="draw new noise").click()
    assert_shows_the_kernels_diagram(page, kl_grid[10.0].model, mnist.x_test[digits[0]],
                                     anatomy.draw_noise(8, seed=1))
    assert page.blocked == [] and page.problems == []
    assert page.evaluate("document.querySelectorAll('.live-error').length") == 0
