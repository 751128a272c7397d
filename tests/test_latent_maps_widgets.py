"""Every control of the latent-map widgets, driven from Python as the browser would."""

from __future__ import annotations

import math

import numpy as np
import pytest
from plotly.callbacks import InputDeviceState, Points
from traitlets import TraitError

from explainer import hole_meter as holes
from explainer import latent_maps
from explainer import map_models as maps
from explainer import map_views as views
from explainer.plots import latent_maps as plots
from explainer.plots import trace
from explainer.widgets.drawing_pad import DrawingPad
from explainer.widgets.latent_maps import InterpolationExplorer, LatentMapExplorer


@pytest.fixture
def explorer(tiny, one_epoch):
    data, grid, clf = tiny
    return LatentMapExplorer(grid, data, clf, synchronous=True, live_epochs=2, n_samples=200)


def detail_labels(w, row):
    """The tick labels of ``row``'s detail column, found through the layout the row sets."""
    paths = plots.row_layout(row, w.maps.state(row).row_view.view)
    return w.fig.layout[next(path for path in paths if path.endswith("ticktext"))]


def part(w, row, slot):
    """The trace ``slot`` of ``row`` in the explorer's figure, by name."""
    return trace(w.fig, plots.trace_name(row, slot))


def title(w, row):
    return plots.annotation(w.fig, plots.title_name(row)).text


def codes_shown(w, row, digit):
    shown = part(w, row, f"digit{digit}")
    return np.column_stack([shown.x, shown.y])


def test_starts_with_ae_on_top_and_the_vae_below(explorer, tiny):
    data, grid, _ = tiny
    w = explorer
    assert title(w, 0) == "<b>AE</b> · from the grid"
    assert title(w, 1) == "<b>VAE β=1</b> · from the grid"
    # each row keeps its decoded grid's title
    assert [a.text for a in w.fig.layout.annotations].count("decoded over the same square") == 2
    view = views.map_view(grid.get("vae", 1.0), data.x_test, data.y_test)
    np.testing.assert_allclose(codes_shown(w, 1, 4), view.codes[view.labels == 4], atol=1e-6)
    ranges = [path for path in plots.row_layout(1, view) if path.endswith(".range")]
    assert len(ranges) == 2
    for path in ranges:
        assert list(w.fig.layout[path]) == [-view.half_width, view.half_width]
    assert "hole meter" in w.meter.value and "real test digits" in w.meter.value
    assert w.summary().startswith("LatentMapExplorer")


def test_beta_slider_shows_the_cached_vae(explorer, tiny):
    data, grid, _ = tiny
    w = explorer
    before = part(w, 1, "manifold").source
    w.beta.value = 0.3
    view = views.map_view(grid.get("vae", 0.3), data.x_test, data.y_test)
    np.testing.assert_allclose(codes_shown(w, 1, 7), view.codes[view.labels == 7], atol=1e-6)
    assert part(w, 1, "manifold").source != before
    assert title(w, 1) == "<b>VAE β=0.3</b> · from the grid"
    reading = holes.hole_meter(grid.get("vae", 0.3), w.maps.classifier, data.x_train, n_samples=200)
    row = f"<td>VAE β=0.3</td><td>{reading.confident:.0%}</td><td>{reading.nearest:.2f}</td>"
    assert row in w.meter.value


def test_model_choice_and_noise_slider(explorer, tiny):
    data, grid, _ = tiny
    w = explorer
    w.model_choice.value = "noisy_ae"
    assert title(w, 0) == "<b>noisy AE noise=1</b> · from the grid"
    view = views.map_view(grid.get("noisy_ae", 1.0), data.x_test, data.y_test)
    np.testing.assert_allclose(codes_shown(w, 0, 2), view.codes[view.labels == 2], atol=1e-6)
    w.noise.value = 0.5  # off the grid: retrained live (synchronously here)
    assert ("noisy_ae", 0.5) in w.live_models
    live = w.live_models[("noisy_ae", 0.5)]
    assert live.model.config.noise_scale == 0.5 and live.epochs == 3
    assert title(w, 0) == "<b>noisy AE noise=0.5</b> · retrained live: noisy AE noise=1 + 2 epochs"
    view = views.map_view(live, data.x_test, data.y_test)
    np.testing.assert_allclose(codes_shown(w, 0, 2), view.codes[view.labels == 2], atol=1e-6)
    w.model_choice.value = "ae"
    assert title(w, 0) == "<b>AE</b> · from the grid"


def test_off_grid_beta_streams_every_epoch_then_keeps_the_model(explorer, tiny):
    data, grid, _ = tiny
    w = explorer
    titles = []
    w.fig.layout.on_change(lambda layout, ann: titles.append(title(w, 1)), "annotations")
    w.beta.value = 0.5
    live = w.live_models[("vae", 0.5)]
    assert live.value == 0.5 and live.model.config.beta == 0.5
    assert "retrained live: VAE β=0.3 + 2 epochs" in title(w, 1)
    view = views.map_view(live, data.x_test, data.y_test)
    np.testing.assert_allclose(codes_shown(w, 1, 0), view.codes[view.labels == 0], atol=1e-6)
    w.beta.value = 1.0
    w.beta.value = 0.5  # now from memory, no retraining
    assert w.live_models[("vae", 0.5)] is live


def test_a_newer_value_cancels_the_older_retrain(tiny, one_epoch):
    data, grid, clf = tiny
    w = LatentMapExplorer(grid, data, clf, synchronous=False, live_epochs=30, n_samples=100)
    w.beta.value = 0.2
    w.beta.value = 0.5
    w.wait_for_training(timeout=120)
    assert ("vae", 0.2) not in w.live_models  # stopped, never finished
    assert ("vae", 0.5) in w.live_models
    assert w.shown_label(1) == "VAE β=0.5"
    assert "retrained live" in title(w, 1)


def test_a_cached_value_cancels_a_running_retrain(tiny, one_epoch):
    data, grid, clf = tiny
    w = LatentMapExplorer(grid, data, clf, synchronous=False, live_epochs=30, n_samples=100)
    w.beta.value = 0.2
    assert "being retrained live" in title(w, 1)
    w.beta.value = 0.3  # cached: shown at once, and the retrain towards 0.2 stops
    w.wait_for_training(timeout=120)
    assert ("vae", 0.2) not in w.live_models
    assert title(w, 1) == "<b>VAE β=0.3</b> · from the grid"
    w.noise.value = 2.0  # the other row trains on its own retrainer
    w.model_choice.value = "noisy_ae"
    w.wait_for_training(timeout=120)
    assert ("noisy_ae", 2.0) in w.live_models
    assert title(w, 1) == "<b>VAE β=0.3</b> · from the grid"


def failing_warm_start(monkeypatch, *, at_call: int = 2):
    """Make live retraining raise in its ``at_call``-th epoch callback, after drawing the
    partial models before it."""
    original = latent_maps.warm_start

    def warm_start(start, target, data, *, epochs, callback, is_current):
        calls = []

        def stream(epoch, model, history):
            calls.append(epoch)
            if len(calls) == at_call:
                raise RuntimeError(f"diverged in epoch {epoch}")
            return callback(epoch, model, history)

        return original(start, target, data, epochs=epochs, callback=stream, is_current=is_current)

    monkeypatch.setattr(latent_maps, "warm_start", warm_start)


@pytest.mark.parametrize("synchronous", [True, False])
def test_a_failed_live_retrain_says_so_and_shows_the_last_complete_model(tiny, one_epoch,
                                                                         monkeypatch, synchronous):
    data, grid, clf = tiny
    w = LatentMapExplorer(grid, data, clf, synchronous=synchronous, live_epochs=3, n_samples=100)
    failing_warm_start(monkeypatch)
    if synchronous:
        with pytest.raises(RuntimeError, match="diverged in epoch"):
            w.beta.value = 0.5
    else:
        w.beta.value = 0.5
        assert w.wait_for_training(timeout=60)
    shown = title(w, 1)
    # not "retraining live ...: epoch 2 of 4" over a partial model, for ever
    assert shown.startswith("<b>VAE β=1</b> · from the grid") and "failed" in shown, shown
    assert "epoch" not in shown and w.shown_label(1) == "VAE β=1"
    assert "retraining VAE β=0.5 live failed (RuntimeError" in w.status.value
    assert "diverged in epoch" in w.errors.outputs[-1]["text"]  # the worker's error too
    view = views.map_view(grid.get("vae", 1.0), data.x_test, data.y_test)
    np.testing.assert_allclose(codes_shown(w, 1, 4), view.codes[view.labels == 4], atol=1e-6)
    assert ("vae", 0.5) not in w.live_models
    monkeypatch.undo()
    w.beta.value = 0.3  # the row works on
    assert title(w, 1) == "<b>VAE β=0.3</b> · from the grid"


@pytest.mark.parametrize("kwargs, error, message", [
    (dict(live_epochs=0), ValueError, r"live_epochs must be an integer in \[1, 100\], got 0"),
    (dict(live_epochs=2.5), TypeError, "live_epochs must be an integer, got float"),
    (dict(n_samples=0), ValueError, r"n_samples must be an integer in \[1, 100000\], got 0"),
    (dict(threshold=1.5), ValueError, r"threshold must be in \[0, 1\], got 1.5"),
    (dict(seed=-1), ValueError, r"seed must be an integer in \[0, inf\], got -1"),
    (dict(synchronous="yes"), TypeError, "synchronous must be True or False"),
])
def test_explorer_refuses_bad_arguments_at_once(tiny, kwargs, error, message):
    data, grid, clf = tiny
    with pytest.raises(error, match=message):
        LatentMapExplorer(grid, data, clf, **kwargs)


def test_explorer_refuses_a_grid_without_the_models_it_shows(tiny):
    data, grid, clf = tiny
    no_vae = maps.MapGrid({k: v for k, v in grid.models.items() if k[0] != "vae"})
    with pytest.raises(ValueError, match="grid must hold the AE, a noisy AE and a VAE"):
        LatentMapExplorer(no_vae, data, clf)
    with pytest.raises(TypeError, match="classifier must be a hole_meter.DigitClassifier"):
        LatentMapExplorer(grid, data, None)


def test_the_sliders_start_on_trained_models(tiny, one_epoch):
    data, grid, clf = tiny
    no_beta_1 = maps.MapGrid({k: v for k, v in grid.models.items() if k != ("vae", 1.0)})
    w = LatentMapExplorer(no_beta_1, data, clf, synchronous=True, n_samples=50)
    assert w.beta.value == 0.3 and title(w, 1) == "<b>VAE β=0.3</b> · from the grid"
    assert w.noise.value == 1.0 and not w.live_models


def test_click_on_the_plane_decodes_in_both_models(explorer, tiny):
    data, grid, _ = tiny
    w = explorer
    click_layer = part(w, 0, "click")
    click_layer._dispatch_on_click(Points(point_inds=[0], xs=[0.5], ys=[-1.0], trace_index=0),
                                   InputDeviceState())
    assert w.point == (0.5, -1.0)
    for row in (0, 1):
        assert list(part(w, row, "point").x) == [0.5]
    decoded = views.decode_codes(grid.get("vae", 1.0).model, np.array([[0.5, -1.0]]))[0]
    expected = plots.detail_image(decoded, None, None)
    from explainer.plots.images import png_data_uri
    assert part(w, 1, "detail").source == png_data_uri(expected)
    w.select_point(2.0, 2.0)
    assert list(part(w, 0, "point").y) == [2.0]
    with pytest.raises(ValueError, match="x must be a finite number"):
        w.select_point(math.nan, 0.0)


def test_drawing_pad_encodes_and_clears(explorer, tiny):
    _, grid, _ = tiny
    w = explorer
    w.pad.strokes = [[[140, 40], [150, 140], [140, 240]]]
    assert w.drawn is not None and w.drawn.shape == (784,)
    codes, sigmas = views.encode_images(grid.get("vae", 1.0).model, w.drawn[None, :])
    np.testing.assert_allclose(part(w, 1, "drawn_code").x, codes[:, 0], atol=1e-6)
    assert len(part(w, 1, "drawn_ellipse").x) > 0  # the VAE's posterior
    assert len(part(w, 0, "drawn_ellipse").x) == 0  # the AE has none
    w.clear.click()
    assert w.pad.strokes == [] and w.drawn is None
    assert len(part(w, 1, "drawn_code").x) == 0
    w.pad.strokes = [[]]  # a touch with no points: an empty pad
    assert w.drawn is None


def test_drawing_pad_refuses_a_pen_or_canvas_outside_its_range():
    pad = DrawingPad()
    for bad in (1e8, 281.0, 0.0, -1.0, math.nan):
        with pytest.raises(TraitError, match=r"pen_width must be .*\(0, 280\]"):
            pad.pen_width = bad
    assert pad.pen_width == 18.0
    with pytest.raises(TraitError, match=r"pen_width must be in \(0, 280\], got 100000000.0"):
        DrawingPad(pen_width=1e8)
    for bad in (10, 5000):
        with pytest.raises(TraitError, match=r"size must be an integer in \[28, 1024\]"):
            pad.size = bad
    small = DrawingPad(size=100, pen_width=90)  # checked together, in either order
    assert (small.size, small.pen_width) == (100, 90.0)
    with pytest.raises(TraitError, match=r"size must be at least pen_width \(90\)"):
        small.size = 80


def test_ellipse_checkbox(explorer):
    w = explorer
    assert len(part(w, 1, "ellipses").x) == 0
    w.ellipses.value = True
    assert len(part(w, 1, "ellipses").x) > 0
    w.beta.value = 0.3
    assert len(part(w, 1, "ellipses").x) > 0
    w.ellipses.value = False
    assert len(part(w, 1, "ellipses").x) == 0


def test_sliders_cannot_produce_bad_values_and_bad_values_are_refused(explorer):
    w = explorer
    assert all(v > 0 for _, v in w.noise.options) and all(v >= 0 for _, v in w.beta.options)
    with pytest.raises(TraitError):
        w.beta.value = -1.0  # not an option of the slider
    with pytest.raises(ValueError, match="beta must be in"):
        w.maps.show(1, "vae", -1.0)
    with pytest.raises(ValueError, match="beta must be in"):
        maps.map_config("vae", -0.5)
    with pytest.raises(ValueError, match=r"row 0 shows one of \('ae', 'noisy_ae'\), got 'gan'"):
        w.maps.show(0, "gan", 1.0)
    with pytest.raises(ValueError, match=r"strokes\[0\] must be a list of \[x, y\] points"):
        w.pad.strokes = [[1, 2, 3]]
    assert "strokes[0] must be a list" in w.errors.outputs[-1]["text"]
    # a huge drawing from the page is refused where it is drawn: the page shows why
    with pytest.raises(ValueError, match="strokes hold 10001 strokes; at most 10000"):
        w.pad.strokes = [[[140, 140]]] * 10_001
    assert "at most 10000" in w.errors.outputs[-1]["text"]


def test_interpolation_dropdowns(tiny):
    data, grid, _ = tiny
    models = [grid.get("ae"), grid.get("vae", 1.0)]
    w = InterpolationExplorer(models, data, n_steps=6)
    before = [trace(w.fig, f"strip {i}").source for i in (0, 1)]
    w.first.value = w.first.options[3][1]
    w.second.value = w.second.options[1][1]
    after = [trace(w.fig, f"strip {i}").source for i in (0, 1)]
    assert after[0] != before[0] and after[1] != before[1]
    a, b = data.x_test[w.first.value], data.x_test[w.second.value]
    strip = views.interpolate(models[1].model, a, b, n_steps=6)
    fresh = plots.interpolation_figure([strip, strip], ["", ""], ends=w.ends())
    expected = trace(fresh, "strip 0").source
    assert after[1] == expected
    title = plots.annotation(w.fig, plots.strip_title_name(1)).text
    assert title.startswith("VAE β=1: from test digit")


def test_interpolation_strips_show_the_two_real_digits_at_their_ends(tiny):
    data, grid, _ = tiny
    models = [grid.get("ae"), grid.get("vae", 1.0)]
    w = InterpolationExplorer(models, data, n_steps=5, first=3, second=7)
    assert (w.first.value, w.second.value) == (3, 7)  # off the dropdown's stops: added to them
    assert w.labels()[0] == (f"AE: from test digit 3 (a {int(data.y_test[3])}) to "
                             f"test digit 7 (a {int(data.y_test[7])})")
    path = views.interpolate(models[0].model, data.x_test[3], data.x_test[7], n_steps=5)
    strip = plots.interpolation_strip(data.x_test[3].numpy(), path, data.x_test[7].numpy())
    # read left to right: real digit a, a white gap, the decoded path, a gap, real digit b
    np.testing.assert_array_equal(strip[:, :28], data.x_test[3].numpy().reshape(28, 28))
    np.testing.assert_array_equal(strip[:, -28:], data.x_test[7].numpy().reshape(28, 28))
    start = 28 + plots.SOURCE_GAP
    np.testing.assert_array_equal(strip[:, 28:start], 1.0)
    np.testing.assert_allclose(strip[:, start:start + 28], path[0].reshape(28, 28))
    fresh = plots.interpolation_figure([path], [""], ends=w.ends())
    assert trace(w.fig, "strip 0").source == trace(fresh, "strip 0").source
    ticks = w.fig.layout.xaxis.ticktext
    assert ticks[0] == "real a" and ticks[-1] == "real b"
    with pytest.raises(ValueError, match=r"first must be an integer in \[0, "):
        InterpolationExplorer(models, data, first=len(data.x_test))


def test_the_detail_column_can_start_full(tiny, one_epoch):
    from explainer.plots.images import png_data_uri

    data, grid, clf = tiny
    w = LatentMapExplorer(grid, data, clf, synchronous=True, n_samples=50, start_point=(0.0, 0.5),
                          example=7)
    vae = grid.get("vae", 1.0).model
    codes, _ = views.encode_images(vae, data.x_test[7:8])
    expected = plots.detail_image(views.decode_codes(vae, np.array([[0.0, 0.5]]))[0],
                                  data.x_test[7].numpy(), views.decode_codes(vae, codes)[0])
    assert part(w, 1, "detail").source == png_data_uri(expected)
    assert list(part(w, 1, "point").y) == [0.5]
    np.testing.assert_allclose(part(w, 1, "drawn_code").x, codes[:, 0], atol=1e-6)
    assert detail_labels(w, 1)[1] == "test digit 7"
    w.pad.strokes = [[[140, 40], [150, 140], [140, 240]]]  # a drawing takes the test digit's place
    assert detail_labels(w, 0)[1] == "your digit"
    with pytest.raises(ValueError, match=r"example must be an integer in \[0, "):
        LatentMapExplorer(grid, data, clf, synchronous=True, example=len(data.x_test))
    with pytest.raises(ValueError, match="start_point must be a pair"):
        LatentMapExplorer(grid, data, clf, synchronous=True, start_point=(1.0,))


def test_a_map_is_turned_into_trace_data_once_however_often_it_is_shown(explorer,
                                                                         first_arguments):
    calls = first_arguments(plots, "row_updates")
    betas = explorer.grid.values("vae")
    shown = {}
    for beta in betas * 3:
        explorer.beta.value = beta
        shown.setdefault(beta, part(explorer, 1, "manifold").source)
        # the same map, the same picture
        assert part(explorer, 1, "manifold").source == shown[beta]
    # every map but the one shown at the start (drawn before the counting) once
    assert len(calls) == len(betas) - 1
