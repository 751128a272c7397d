"""The rate-distortion plane: the points, the entropy floor (checked against torch's own
binary cross-entropy), the lines of equal ELBO, the figure's named traces, and a click on
a point that loads that model into the latent maps."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from plotly.callbacks import InputDeviceState, Points

from explainer import map_models as maps
from explainer import map_views as views
from explainer import rate_distortion as rd
from explainer.plots import latent_maps as map_plots
from explainer.plots import rate_distortion as plots
from explainer.plots import trace, trace_index
from explainer.train import evaluate
from explainer.widgets.latent_maps import LatentMapExplorer


@pytest.fixture
def plane(tiny):
    data, grid, _ = tiny
    return rd.rate_plane(grid, data.x_test)


# --------------------------------------------------------------------------- the library
def test_every_vae_of_the_grid_is_a_point_and_minus_elbo_is_their_sum(tiny, plane):
    data, grid, _ = tiny
    assert plane.betas == grid.values("vae")
    for p, total in zip(plane.points, plane.neg_elbos):
        terms = evaluate(grid.get("vae", p.beta).model, data.x_test, seed=0)
        assert p.rate == pytest.approx(terms["kl"])
        assert p.distortion == pytest.approx(terms["reconstruction"])
        # -ELBO = D + R, as the training code sums it
        assert total == pytest.approx(terms["total"], rel=1e-5)


def test_the_floor_is_the_bernoulli_cross_entropy_of_each_grey_image_with_itself(tiny, plane):
    data, _, _ = tiny
    # independent: torch's BCE of x against p = x is the binary entropy, summed per image
    x = data.x_test
    bce = torch.nn.functional.binary_cross_entropy(x, x, reduction="none").sum(dim=1)
    assert plane.floor == pytest.approx(float(bce.mean()), rel=1e-5)
    assert (plane.distortions > plane.floor).all()
    # and no decoder output beats it: any p gives a cross-entropy at least as large
    p = torch.rand(data.x_test.shape, generator=torch.Generator().manual_seed(0)).clamp(0.01, 0.99)
    assert (torch.nn.functional.binary_cross_entropy(p, data.x_test, reduction="none").sum(dim=1)
            >= bce - 1e-3).all()


def test_iso_elbo_levels_bracket_every_point(plane):
    levels = rd.iso_elbo_levels(plane, step=5.0)
    assert all(level % 5 == 0 for level in levels)
    assert levels[0] <= plane.neg_elbos.min() and levels[-1] >= plane.neg_elbos.max()
    assert np.all(np.diff(levels) == 5.0)
    with pytest.raises(ValueError, match="step"):
        rd.iso_elbo_levels(plane, step=0.0)


def test_a_selection_follows_clicks_and_betas(plane):
    sel = rd.PlaneSelection(plane, beta=plane.betas[0])
    assert sel.beta == plane.betas[0]
    assert sel.click(len(plane.points) - 1) == plane.betas[-1] and sel.beta == plane.betas[-1]
    assert sel.follow(0.123) is None and sel.beta is None  # off the grid: no point chosen
    with pytest.raises(ValueError, match=r"index must be an integer in \[0, 1\], got 2"):
        sel.click(len(plane.points))
    with pytest.raises(TypeError, match="plane must be a RatePlane"):
        rd.PlaneSelection("plane")


def test_rate_distortion_over_the_beta_grid(tiny):
    data, grid, _ = tiny
    points = rd.rate_points(grid, data.x_test)
    assert [p.beta for p in points] == [0.3, 1.0]
    for p in points:
        assert p.rate > 0 and p.distortion > 0 and 0 <= p.active <= 2
        assert p.rate == pytest.approx(float(p.kl_per_dim.sum()), rel=0.05)



def test_rate_plane_refuses_a_grid_without_vaes(tiny):
    data, grid, _ = tiny
    with pytest.raises(TypeError, match="grid must be a map_models.MapGrid"):
        rd.rate_plane([], data.x_test)
    no_vae = maps.MapGrid({k: v for k, v in grid.models.items() if k[0] != "vae"})
    with pytest.raises(ValueError, match="at least one VAE"):
        rd.rate_plane(no_vae, data.x_test)


# --------------------------------------------------------------------------- the figure
def test_the_figure_shades_below_the_floor_and_draws_lines_of_equal_elbo(plane):
    fig = plots.rate_distortion_plane_figure(plane, chosen_beta=plane.betas[1])
    region = trace(fig, plots.UNREACHABLE)
    assert region.fill == "toself" and min(region.y) == 0
    assert max(region.y) == pytest.approx(plane.floor)
    for name in plots.POINT_TRACES:
        points = trace(fig, name)
        np.testing.assert_allclose(points.x, plane.rates)
        np.testing.assert_allclose(points.y, plane.distortions)
    chosen = trace(fig, plots.CHOSEN_CLOSE)
    second = plane.points[1]
    assert (list(chosen.x), list(chosen.y)) == ([second.rate], [second.distortion])
    lines = [t for t in fig.data if t.name.startswith("−ELBO = ")]
    assert lines
    for line in lines:
        level = float(line.name.split("= ")[1].split(" ")[0])
        np.testing.assert_allclose(np.asarray(line.x) + np.asarray(line.y), level)  # D + R = -ELBO
        assert line.line.dash == "dash" and any(f"−ELBO = {level:g}" == t for t in line.text)
    with pytest.raises(KeyError, match="one trace named 'nothing'"):
        trace(fig, "nothing")
    with pytest.raises(TypeError, match="plane must be a RatePlane"):
        plots.rate_distortion_plane_figure([])


def test_no_chosen_point_off_the_grid(plane):
    fig = plots.rate_distortion_plane_figure(plane, chosen_beta=0.123)
    assert len(trace(fig, plots.CHOSEN).x) == 0


# --------------------------------------------------------------------------- the widget
@pytest.fixture
def explorer(tiny, one_epoch, plane):
    data, grid, clf = tiny
    return LatentMapExplorer(grid, data, clf, synchronous=True, live_epochs=1, n_samples=100,
                             plane=plane)


def click(fig, name: str, index: int) -> None:
    """What plotly.js sends when point ``index`` of trace ``name`` is clicked."""
    clicked = trace(fig, name)
    points = Points(point_inds=[index], xs=[clicked.x[index]], ys=[clicked.y[index]],
                    trace_name=name, trace_index=trace_index(fig, name))
    device = InputDeviceState(ctrl=False, alt=False, shift=False, meta=False, button=0, buttons=1)
    clicked._dispatch_on_click(points, device)


def ring(explorer, name=plots.CHOSEN_CLOSE):
    chosen = trace(explorer.plane_fig, name)
    return list(chosen.x), list(chosen.y)


def test_clicking_a_point_loads_that_model_into_the_maps(explorer, tiny, plane):
    data, grid, _ = tiny
    at_1 = plane.point_for(1.0)
    assert explorer.beta.value == 1.0 and ring(explorer) == ([at_1.rate], [at_1.distortion])
    index = plane.betas.index(0.3)
    click(explorer.plane_fig, plots.POINTS, index)
    assert explorer.beta.value == 0.3  # the slider follows the click
    title = map_plots.annotation(explorer.fig, map_plots.title_name(1)).text
    assert title.startswith("<b>VAE β=0.3</b>")
    view = views.map_view(grid.get("vae", 0.3), data.x_test, data.y_test)
    shown = trace(explorer.fig, map_plots.trace_name(1, "digit5"))
    np.testing.assert_allclose(np.column_stack([shown.x, shown.y]), view.codes[view.labels == 5],
                               atol=1e-6)
    for name in plots.CHOSEN_TRACES:
        chosen = plane.points[index]
        assert ring(explorer, name) == ([chosen.rate], [chosen.distortion])
    click(explorer.plane_fig, plots.POINTS_CLOSE, plane.betas.index(1.0))
    assert explorer.beta.value == 1.0


def test_the_ring_follows_the_slider_and_leaves_the_plane_off_the_grid(explorer, plane):
    explorer.beta.value = 0.3
    assert ring(explorer) == ([plane.point_for(0.3).rate], [plane.point_for(0.3).distortion])
    explorer.beta.value = 0.5  # trained live: no point of the grid
    assert ring(explorer) == ([], []) and explorer.selection.beta is None
    assert "clicking a point of the rate-distortion plane" in explorer.kernel_controls()


def test_select_beta_refuses_a_model_not_on_the_plane(explorer, tiny):
    with pytest.raises(ValueError,
                       match=r"beta must be one of the plane's models \[0.3, 1.0\], got 0.5"):
        explorer.select_beta(0.5)
    data, grid, clf = tiny
    bare = LatentMapExplorer(grid, data, clf, synchronous=True, n_samples=50)
    assert bare.plane_fig is None
    with pytest.raises(ValueError, match="needs the rate-distortion plane"):
        bare.select_beta(1.0)
    with pytest.raises(TypeError, match="plane must be a rate_distortion.RatePlane"):
        LatentMapExplorer(grid, data, clf, synchronous=True, plane="plane")


# --------------------------------------------------------------------------- static figures
def test_the_static_maps_have_no_empty_panel(tiny):
    data, grid, _ = tiny
    top = views.map_view(grid.get("ae"), data.x_test, data.y_test)
    bottom = views.map_view(grid.get("vae", 1.0), data.x_test, data.y_test)
    fig = map_plots.latent_maps_figure(top, bottom, show_ellipses=True, static=True)
    names = [t.name for t in fig.data]
    for row in (0, 1):
        absent = {map_plots.trace_name(row, slot) for slot in ("detail", "click", "point")}
        assert not absent & set(names)
        assert map_plots.trace_name(row, "manifold") in names
    assert len(set(names)) == len(names) and "xaxis3" in fig.layout and "xaxis5" not in fig.layout
    # every panel (four axes: two explorer, two decoded grids) shows something
    for axis in ("x", "x2", "x3", "x4"):
        assert any(t.xaxis == axis and (t.type == "image" or len(t.x) > 0) for t in fig.data), axis


def test_a_page_without_a_kernel_keeps_the_ring_in_step_with_the_beta_slider(explorer, plane):
    from explainer.publish.figure_state import plain
    from explainer.publish.snapshot import snapshot_explainer

    out = snapshot_explainer(explorer)
    assert len(out["figures"]) == 2  # the explorer, then the plane
    page = out["figures"][1]["figure"]
    chosen = trace_index(explorer.plane_fig, plots.CHOSEN_CLOSE)
    moved = [f for f in page.get("frames", []) if chosen in f["traces"]]
    rates = {plain(f["data"][f["traces"].index(chosen)]["x"])[0] for f in moved}
    assert rates <= {p.rate for p in plane.points} and plane.point_for(0.3).rate in rates
    assert "clicking a point of the rate-distortion plane" in out["kernel_controls"]
    assert explorer.beta.value == 1.0  # back at its default
