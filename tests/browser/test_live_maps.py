"""04's page runs its models itself, from file:// with the network blocked: every model of the
map grid decodes as torch does (100 random codes each, within 2e-3 per pixel); pointing at a
map decodes that point in both rows; a click marks it; the decoded grids the page computes
are the kernel's; the drawing pad's digit is strokes_to_image's and is encoded by both
models; a KL-weight slider brings that model's panels; the interpolation computes any pair.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from explainer.data import load_mnist
from explainer.map_models import train_map_grid
from explainer.map_views import decode_codes, encode_images, interpolate, map_view
from explainer.plots import latent_maps as plots
from explainer.strokes import strokes_to_image
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

PLOT = "plot-0"  # 04's first figure: the two maps
STROKE_TOLERANCE = 1e-2
# a 7 and a 0 on the pad's 280 pixels, as a fixed set of strokes
STROKES = {"seven": [[[60, 50], [220, 50], [120, 250]], [[100, 150], [190, 150]]],
           "zero": [[[140, 40], [80, 100], [80, 200], [140, 250], [200, 200], [200, 100],
                     [140, 40]]]}


@pytest.fixture(scope="module")
def grid():
    with notebook_cache():
        data = load_mnist()
        return data, train_map_grid(data)


@pytest.fixture
def maps_page(exported, offline_page):  # noqa: F811
    page = offline_page
    _open(page, exported["04_latent_maps"].path)
    page.wait_for_function(f"() => document.getElementById('{PLOT}').dataset.live === '1'")
    page.locator(f"#{PLOT}").scroll_into_view_if_needed()
    yield page
    assert page.blocked == [], f"requests left the page: {page.blocked}"
    assert page.problems == []
    assert page.evaluate("document.querySelectorAll('.live-error').length") == 0


def state(page):
    return page.evaluate(f"document.getElementById('{PLOT}').vaeLive[0].state")


def values(typed) -> np.ndarray:
    """A Float32Array read from the page (a list, or a dict of indices), as an array."""
    if isinstance(typed, dict):
        return np.array([typed[str(i)] for i in range(len(typed))])
    return np.asarray(typed, dtype=np.float64)


def by_model(g, model):
    return next(mm for mm in g.models.values() if mm.model is model)


def row_ids(page) -> list[str]:
    return state(page)["shown"]


def test_every_model_of_the_grid_decodes_in_the_page_as_in_torch(maps_page, grid):
    _, g = grid
    ids, _ = packed_models([mm.model for mm in g.models.values()], parts=("decoder", "encoder"))
    models = dict(zip(ids, (mm.model for mm in g.models.values())))
    assert set(page_model_ids(maps_page)) == set(models)  # each once, nothing else
    worst = assert_page_decodes(maps_page, models)
    print(f"largest difference over {len(models)} models: {worst:.1e}")
    # and over every code of each model's own decoded grid (the AE's square reaches 10.5,
    # a noisy AE's 37.5: far beyond the random codes' scale)
    data, _ = grid
    for key, model in models.items():
        codes = map_view(by_model(g, model), data.x_test, data.y_test).grid_points
        worst = max(worst, assert_page_decodes(maps_page, {key: model}, codes=codes))
    print(f"largest difference, random codes and the maps' grids: {worst:.1e}")


def test_pointing_at_a_map_decodes_that_point_in_both_rows(maps_page, grid):
    page = maps_page
    _, g = grid
    by_id = dict(zip(packed_models([mm.model for mm in g.models.values()],
                                   parts=("decoder", "encoder"))[0], g.models.values()))
    before = [trace_source(page, PLOT, plots.trace_name(r, "detail")) for r in (0, 1)]
    box = page.locator(f"#{PLOT} .nsewdrag").first.bounding_box()  # the top map's plot area
    page.mouse.move(box["x"] + box["width"] * 0.3, box["y"] + box["height"] * 0.4)
    after = [trace_source(page, PLOT, plots.trace_name(r, "detail")) for r in (0, 1)]
    assert all(a != b for a, b in zip(after, before)), "the decoded panels did not change"
    s = state(page)
    x, y = s["pointer"]
    for r, key in enumerate(s["shown"]):
        want = decode_codes(by_id[key].model, np.array([[x, y]]))[0]
        got = values(s["tiles"][r][0])
        assert np.abs(got - want).max() <= 2e-3
        # the panel shows it: the top tile of the detail image
        tile = image_of(page, after[r])[:28, :28].reshape(-1)
        assert np.abs(tile - want).max() <= PNG_TOLERANCE
    # a click marks the point on both maps
    page.mouse.click(box["x"] + box["width"] * 0.6, box["y"] + box["height"] * 0.5)
    marks = page.evaluate(f"""() => document.getElementById('{PLOT}').data
        .filter((t) => t.name && t.name.startsWith('clicked point'))
        .map((t) => [t.x[0], t.y[0]])""")
    assert len(marks) == 2 and marks[0] == marks[1] == state(page)["point"]


def test_the_decoded_grids_the_page_computes_are_the_kernels(maps_page, grid):
    page = maps_page
    data, g = grid
    by_id = dict(zip(packed_models([mm.model for mm in g.models.values()],
                                   parts=("decoder", "encoder"))[0], g.models.values()))
    for r, key in enumerate(row_ids(page)):
        want = map_view(by_id[key], data.x_test, data.y_test).manifold
        got = image_of(page, trace_source(page, PLOT, plots.trace_name(r, "manifold")))
        assert got.shape == want.shape
        assert np.abs(got - want).max() <= PNG_TOLERANCE


def test_the_pads_digit_is_strokes_to_image_and_both_models_encode_it(maps_page, grid):
    page = maps_page
    _, g = grid
    by_id = dict(zip(packed_models([mm.model for mm in g.models.values()],
                                   parts=("decoder", "encoder"))[0], g.models.values()))
    handle = f"document.getElementById('{PLOT}').vaeLive[0]"
    # a fixed set of strokes, then strokes drawn with the mouse on the pad
    for name, strokes in STROKES.items():
        page.evaluate(f"(s) => {handle}.setStrokes(s)", strokes)
        got = values(state(page)["drawn"])
        want = strokes_to_image(strokes, canvas_size=280, pen_width=18).reshape(-1)
        assert np.abs(got - want).max() <= STROKE_TOLERANCE, name
    page.evaluate(f"{handle}.pad.setStrokes([])")
    pad = page.locator(".live-pad canvas").bounding_box()
    page.mouse.move(pad["x"] + pad["width"] * 0.3, pad["y"] + pad["height"] * 0.2)
    page.mouse.down()
    for t in np.linspace(0, 1, 12):
        page.mouse.move(pad["x"] + pad["width"] * (0.3 + 0.4 * t),
                        pad["y"] + pad["height"] * (0.2 + 0.6 * t))
    page.mouse.up()
    s = state(page)
    drawn = values(s["drawn"])
    want = strokes_to_image(s["strokes"], canvas_size=280, pen_width=18).reshape(-1)
    assert np.abs(drawn - want).max() <= STROKE_TOLERANCE
    for r, key in enumerate(s["shown"]):
        code, _ = encode_images(by_id[key].model, torch.from_numpy(want[None].astype(np.float32)))
        xy = page.evaluate("([p, n]) => { const t = document.getElementById(p).data"
                           ".find((t) => t.name === n); return [t.x[0], t.y[0]]; }",
                           [PLOT, plots.trace_name(r, "drawn_code")])
        assert np.allclose(xy, code[0], atol=2e-3 * (1 + np.abs(code[0]).max()))


def test_a_kl_weight_slider_brings_that_models_panels(maps_page, grid):
    page = maps_page
    first = row_ids(page)
    sliders = page.evaluate(f"document.getElementById('{PLOT}').layout.sliders.map((s) => s.name)")
    s = sliders.index("KL weight β")
    group = page.locator(f"#{PLOT} .slider-group").nth(s)
    group.scroll_into_view_if_needed()
    tick = group.locator(".slider-tick-rect").nth(0).bounding_box()
    rail = group.locator(".slider-rail-touch-rect").bounding_box()
    page.mouse.click(tick["x"] + tick["width"] / 2, rail["y"] + rail["height"] / 2)
    page.wait_for_function(f"(b) => document.getElementById('{PLOT}').vaeLive[0].state"
                           ".shown[1] !== b", arg=first[1], timeout=5_000)
    assert row_ids(page)[0] == first[0]


def test_the_interpolation_computes_any_pair_in_the_page(exported, offline_page, grid):  # noqa: F811
    page = offline_page
    data, g = grid
    _open(page, exported["04_latent_maps"].path)
    plot = page.evaluate("[...document.querySelectorAll('script.live-spec')].find((s) => "
                         "JSON.parse(s.textContent)[0].kind === 'interpolation').dataset.target")
    page.wait_for_function(f"() => document.getElementById('{plot}').dataset.live === '1'")
    menus = page.locator(".live-choices select")
    menus.nth(0).select_option(index=3)
    menus.nth(1).select_option(index=7)
    spec = page.evaluate("(p) => JSON.parse(document.querySelector(`script.live-spec"
                         "[data-target=\"${p}\"]`).textContent)[0].spec", plot)
    values = page.evaluate("[...document.querySelectorAll('.live-choices select')]"
                           ".map((m) => Number(m.value))")
    assert values == [3, 7]
    a_label, b_label = spec["options"][3]["label"], spec["options"][7]["label"]
    ia, ib = (int(label.split()[2]) for label in (a_label, b_label))  # "test digit N (a d)"
    a, b = data.x_test[ia], data.x_test[ib]
    for s, mm in enumerate((g.get("ae"), g.get("vae", 1.0))):
        path = interpolate(mm.model, a, b, n_steps=spec["n_steps"])
        want = plots.interpolation_strip(a.numpy(), path, b.numpy())
        got = image_of(page, trace_source(page, plot, spec["traces"][s]))
        assert got.shape == want.shape
        assert np.abs(got - want).max() <= PNG_TOLERANCE
        title = page.evaluate(f"document.getElementById('{plot}').layout.annotations"
                              f".find((x) => x.name === '{spec['titles'][s]}').text")
        assert a_label in title and b_label in title
    assert page.blocked == [] and page.problems == []
