"""02's page decodes its code axis itself, from file:// with the network blocked: every model
the page carries decodes as torch does (100 random codes each, within 2e-3 per pixel);
pointing along the code axis decodes that code with the model the sliders show (the pair's
top tile, the code on the axis, its distances on their curves), and the midpoint's decode is
back when the pointer leaves; a slider that changes the model decodes with the new one.
"""

from __future__ import annotations

import dataclasses
import itertools

import numpy as np
import pytest

from explainer import code_space as cs
from explainer.plots import code_space as plots
from explainer.widgets.code_space import LIVE_TRAINING_SETS
from explainer.widgets.live import packed_models
from tests.browser.conftest import require_browser
from tests.browser.live_pages import (
    PNG_TOLERANCE,
    assert_page_decodes,
    image_of,
    notebook_cache,
    page_model_ids,
    trace_source,
)
from tests.browser.test_html_export import _open, exported, offline_page  # noqa: F401

require_browser()

NOTEBOOK = "02_moons_and_holes"
PAIR = "midpoint vs 3/4 moon"
# the notebook's two explainers and their sliders' grids (explainer.widgets.code_space)
NOISY = cs.CodeSpaceSettings("two_moons", kind="noisy_ae", noise_scale=0.5, beta=1.0)
VAE = cs.CodeSpaceSettings("two_moons", kind="vae", beta=1.0)
NOISY_GRID = [(n, b if n else 0.0) for n, b in
              itertools.product((0.0, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0), (0.0, 0.5, 1.0, 2.0))]
VAE_BETAS = (0.0, 0.05, 0.1, 0.2, 0.5, 1.0, 1.5, 2.0)


@pytest.fixture(scope="module")
def models():
    """Every model 02's page carries, by its id in the page (trained as the notebook did)."""
    settings = {dataclasses.replace(NOISY, training_set=t, noise_scale=n, beta=b)
                for t in LIVE_TRAINING_SETS for n, b in NOISY_GRID}
    settings |= {dataclasses.replace(VAE, training_set=t, beta=b)
                 for t in LIVE_TRAINING_SETS for b in VAE_BETAS}
    with notebook_cache():
        trained = [cs.train_code_model(s).model for s in sorted(settings, key=repr)]
    ids, _ = packed_models(trained)
    return dict(zip(ids, trained))


@pytest.fixture
def axis_page(exported, offline_page):  # noqa: F811
    page = offline_page
    _open(page, exported[NOTEBOOK].path)
    plots_ = page.evaluate("[...document.querySelectorAll('script.live-spec')].filter((s) => "
                           "JSON.parse(s.textContent)[0].kind === 'code_axis')"
                           ".map((s) => s.dataset.target)")
    assert len(plots_) == 2  # the noisy AE's and the VAE's
    for p in plots_:
        page.wait_for_function(f"() => document.getElementById('{p}').dataset.live === '1'")
    page.plots = plots_
    yield page
    assert page.blocked == [], f"requests left the page: {page.blocked}"
    assert page.problems == []
    assert page.evaluate("document.querySelectorAll('.live-error').length") == 0


# the overlay's marks: each line's x and each dot's (x, y), and where the axes put c and the
# state's distances
MARKS = """(p) => {
  const gd = document.getElementById(p), s = gd.vaeLive[0].state, L = gd._fullLayout;
  const svg = gd.querySelector('svg.live-code-axis');
  const shown = !!svg && svg.style.display !== 'none';
  if (!shown) return {shown};
  const px = (a, v) => a._offset + a.c2p(v);
  return {shown,
    lines: [...svg.querySelectorAll('line')].map((l) => Number(l.getAttribute('x1'))),
    want_lines: [px(L.xaxis, s.code), px(L.xaxis4, s.code)],
    dots: [...svg.querySelectorAll('circle')].map((c) => [Number(c.getAttribute('cx')),
                                                          Number(c.getAttribute('cy'))]),
    want_dots: s.distances.map((d) => [px(L.xaxis4, s.code), px(L.yaxis4, d)])};
}"""


def values(typed) -> np.ndarray:
    """A Float32Array read from the page (a list, or a dict of indices), as an array."""
    if isinstance(typed, dict):
        return np.array([typed[str(i)] for i in range(len(typed))])
    return np.asarray(typed, dtype=np.float64)


def handle(plot: str) -> str:
    return f"document.getElementById('{plot}').vaeLive[0]"


def pair_label(page, plot: str) -> str:
    """The text of the pair panel's label annotation."""
    return page.evaluate(f"document.getElementById('{plot}').layout.annotations"
                         f".find((a) => a.name === '{plots.PAIR_LABEL}').text")


def test_every_model_in_the_page_decodes_as_in_torch(axis_page, models):
    assert set(page_model_ids(axis_page)) == set(models)  # each once, nothing else
    worst = assert_page_decodes(axis_page, models)
    print(f"largest difference over {len(models)} models: {worst:.1e}")


def point_along_the_axis(page, plot: str, fraction: float) -> None:
    """The pointer over the code axis panel, ``fraction`` of its width from the left."""
    box = page.locator(f"#{plot} .nsewdrag").first.bounding_box()  # the code axis's plot area
    page.mouse.move(box["x"] + box["width"] * fraction, box["y"] + box["height"] * 0.5)


@pytest.mark.parametrize("which", [0, 1], ids=["noisy AE", "VAE"])
def test_pointing_at_the_code_axis_decodes_that_code(axis_page, models, which):
    page = axis_page
    plot = page.plots[which]
    page.locator(f"#{plot}").scroll_into_view_if_needed()
    resting = trace_source(page, plot, PAIR)
    seen = []
    for fraction in (0.2, 0.7):
        point_along_the_axis(page, plot, fraction)
        s = page.evaluate(f"{handle(plot)}.state")
        assert s["code"] is not None, "the pointer decoded nothing"
        model = models[s["shown"]]
        want = cs.decode_codes(model, np.array([s["code"]]))[0]
        got = values(s["decoded"])
        assert np.abs(got - want).max() <= 2e-3
        # the pair's top tile shows it, above the true 3/4 moon
        source = trace_source(page, plot, PAIR)
        assert source != resting
        tile = image_of(page, source)[:28, :28].reshape(-1)
        assert np.abs(tile - want).max() <= PNG_TOLERANCE
        # its distances and lit fraction, marked on their curves at c (pixels from the axes)
        d = cs.image_distances(want[None], cs.reference_moons())[0]
        lit = cs.lit_fraction(want[None])[0]
        assert np.abs(np.array(s["distances"]) - [*d, lit]).max() <= 2e-3
        marks = page.evaluate(MARKS, plot)
        assert marks["shown"]
        assert np.allclose(marks["lines"], marks["want_lines"], atol=0.5)
        assert np.allclose(marks["dots"], marks["want_dots"], atol=0.5)
        assert pair_label(page, plot) == f"at the pointer, c = {s['code']:.2f}"
        seen.append(s["code"])
    assert seen[0] != seen[1]
    # the pointer gone: the midpoint's decode, its label, no marks
    page.mouse.move(1, 1)
    assert trace_source(page, plot, PAIR) == resting
    assert pair_label(page, plot) == plots.MIDPOINT_LABEL
    assert page.evaluate(f"{handle(plot)}.state.code") is None
    assert not page.evaluate(MARKS, plot)["shown"]


def test_a_slider_that_changes_the_model_decodes_with_the_new_one(axis_page):
    page = axis_page
    plot = page.plots[1]  # the VAE's: KL weight beta
    page.locator(f"#{plot}").scroll_into_view_if_needed()
    point_along_the_axis(page, plot, 0.4)
    first = page.evaluate(f"{handle(plot)}.state.shown")
    sliders = page.evaluate(f"document.getElementById('{plot}').layout.sliders.map((s) => s.name)")
    group = page.locator(f"#{plot} .slider-group").nth(sliders.index("KL weight beta"))
    tick = group.locator(".slider-tick-rect").nth(0).bounding_box()
    rail = group.locator(".slider-rail-touch-rect").bounding_box()
    page.mouse.click(tick["x"] + tick["width"] / 2, rail["y"] + rail["height"] / 2)
    point_along_the_axis(page, plot, 0.4)
    page.wait_for_function(f"(b) => {handle(plot)}.state.shown !== b", arg=first, timeout=5_000)
    shown = page.evaluate(f"{handle(plot)}.state.shown")
    assert page.evaluate(f"{handle(plot)}.modelId()") == shown
