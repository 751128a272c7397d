"""What a latent map shows: views of the plane, the hole meter, interpolation, drawings."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from explainer import hole_meter as holes
from explainer import map_views as views
from explainer import strokes
from explainer.plots import latent_maps as plots
from explainer.plots import trace


def test_grid_codes_run_row_by_row_from_the_top():
    g = views.grid_codes(2.0, 3)
    assert g.shape == (9, 2)
    np.testing.assert_allclose(g[0], [-2.0, 2.0])
    np.testing.assert_allclose(g[2], [2.0, 2.0])
    np.testing.assert_allclose(g[-1], [2.0, -2.0])
    with pytest.raises(ValueError, match="n_grid must be an integer in"):
        views.grid_codes(1.0, 1)


def test_map_view_decodes_the_grid_in_place(tiny):
    data, grid, _ = tiny
    mm = grid.get("vae", 1.0)
    view = views.map_view(mm, data.x_test, data.y_test, n_grid=4)
    assert view.codes.shape == (len(data.x_test), 2) and view.sigmas.shape == view.codes.shape
    assert view.manifold.shape == (4 * 28, 4 * 28)
    assert view.half_width >= 3.0
    # tile (row 1, column 2) is the decode of grid point 1 * 4 + 2
    tile = view.manifold[28:56, 56:84].ravel()
    decoded = views.decode_codes(mm.model, view.grid_points[6:7])[0]
    np.testing.assert_allclose(tile, decoded, atol=1e-6)
    assert views.map_view(grid.get("ae"), data.x_test, data.y_test).sigmas is None


def test_ellipses_are_at_true_scale():
    x, y = views.ellipse_outlines(np.array([[1.0, 2.0]]), np.array([[0.5, 0.1]]), n_vertices=9)
    assert np.isnan(x[-1]) and len(x) == 10
    u = (x[:-1] - 1.0) / 0.5
    v = (y[:-1] - 2.0) / 0.1
    np.testing.assert_allclose(u**2 + v**2, 1.0)
    px, py = views.prior_circles((1.0, 2.0))
    r = np.hypot(px, py)
    np.testing.assert_allclose(np.unique(np.round(r[~np.isnan(r)], 6)), [1.0, 2.0])


def test_hole_meter_is_deterministic_and_in_range(tiny):
    data, grid, clf = tiny
    a = holes.hole_meter(grid.get("vae", 1.0), clf, data.x_train, n_samples=200, seed=3)
    b = holes.hole_meter(grid.get("vae", 1.0), clf, data.x_train, n_samples=200, seed=3)
    assert a.confident == b.confident and a.nearest == b.nearest
    assert 0.0 <= a.confident <= 1.0 and a.nearest > 0
    assert a.digits.sum() == round(a.confident * 200)
    own = holes.judge_images(data.x_train[:20].numpy(), clf, data.x_train)
    assert own.nearest == pytest.approx(0.0, abs=1e-2)  # every training digit is its own nearest
    with pytest.raises(ValueError, match="threshold must be in"):
        holes.judge_images(data.x_train[:2].numpy(), clf, data.x_train, threshold=1.5)
    with pytest.raises(ValueError, match="n_samples must be an integer in"):
        holes.prior_samples(0)


def test_a_judged_set_of_images_is_read_back_from_the_cache_by_its_content(tiny, monkeypatch):
    data, grid, clf = tiny
    images = views.decode_codes(grid.get("vae", 1.0).model, holes.prior_samples(50, seed=1))
    first = holes.judge_images(images, clf, data.x_train, label="first")
    searches = []
    monkeypatch.setattr(holes, "nearest_distances",
                        lambda *a, **k: searches.append(1) or np.zeros(len(a[0])))
    again = holes.judge_images(images.copy(), clf, data.x_train, label="again")
    assert not searches and again.label == "again"  # read back, under the caller's label
    assert (again.confident, again.nearest) == (first.confident, first.nearest)
    np.testing.assert_array_equal(again.digits, first.digits)
    # another image, another threshold, another classifier's weights: computed afresh
    images[0, 0] = 0.5 if images[0, 0] != 0.5 else 0.25
    holes.judge_images(images, clf, data.x_train)
    holes.judge_images(images, clf, data.x_train, threshold=0.5)
    bias = clf.net[2].bias.detach().clone()
    with torch.no_grad():
        clf.net[2].bias[0] += 1.0
    try:
        holes.judge_images(images, clf, data.x_train, threshold=0.5)
    finally:
        with torch.no_grad():
            clf.net[2].bias.copy_(bias)  # the shared fixture's weights exactly as they were
    assert len(searches) == 3
    # a live model's reading (use_cache=False) is computed and nothing is written
    from explainer import cache

    written = len(cache.computed())
    holes.judge_images(images, clf, data.x_train, threshold=0.5, use_cache=False)
    assert len(searches) == 4 and len(cache.computed()) == written


def test_classifier_reports_its_test_accuracy(tiny):
    _, _, clf = tiny
    assert 0.5 < clf.test_accuracy_ <= 1.0  # 400 training digits, 15 epochs
    p = clf.predict_proba(np.zeros((3, 784), np.float32))
    np.testing.assert_allclose(p.sum(axis=1), 1.0, atol=1e-5)


def test_interpolation_starts_and_ends_at_the_two_codes(tiny):
    data, grid, _ = tiny
    mm = grid.get("ae")
    strip = views.interpolate(mm.model, data.x_test[0], data.x_test[5], n_steps=5)
    codes, _ = views.encode_images(mm.model, data.x_test[[0, 5]])
    np.testing.assert_allclose(strip[[0, -1]], views.decode_codes(mm.model, codes), atol=1e-6)


def test_strokes_become_an_mnist_digit():
    assert strokes.strokes_to_image([]) is None
    assert strokes.strokes_to_image([[]]) is None
    img = strokes.strokes_to_image([[[140, 40], [140, 240]], [[120, 60]]]).reshape(28, 28)
    assert img.min() >= 0 and img.max() <= 1 and img.max() > 0.5
    rows, cols = np.flatnonzero(img.any(axis=1) > 0), np.flatnonzero(img.any(axis=0) > 0)
    assert rows[-1] - rows[0] + 1 == 20  # the longer side scaled to 20 pixels
    assert cols[-1] - cols[0] + 1 < 20  # the shorter side keeps its aspect ratio
    # centre of mass near the centre of the 28 x 28 image
    r = (img.sum(axis=1) * np.arange(28)).sum() / img.sum()
    c = (img.sum(axis=0) * np.arange(28)).sum() / img.sum()
    assert abs(r - 13.5) <= 0.6 and abs(c - 13.5) <= 0.6
    dot = strokes.strokes_to_image([[[10, 10]]])
    assert dot is not None and dot.reshape(28, 28)[13:15, 13:15].max() > 0
    with pytest.raises(ValueError, match="non-finite"):
        strokes.strokes_to_image([[[0, 0], [float("nan"), 1]]])
    with pytest.raises(TypeError, match="strokes must be a list"):
        strokes.strokes_to_image("a digit")


def test_strokes_to_image_refuses_a_pen_wider_than_the_canvas():
    # a pen of 1e8 pixels took 25 s per point inside PIL, uninterruptibly
    with pytest.raises(ValueError, match=r"pen_width must be in \(0, 280\], got 281"):
        strokes.strokes_to_image([[[10, 10]]], pen_width=281)
    with pytest.raises(ValueError, match=r"pen_width must be in \(0, 100\]"):
        strokes.strokes_to_image([[[10, 10]]], canvas_size=100, pen_width=1e8)
    assert strokes.strokes_to_image([[[10, 10]]], canvas_size=100, pen_width=100) is not None


def test_strokes_to_image_bounds_the_drawing():
    with pytest.raises(ValueError, match=r"canvas_size must be an integer in \[28, 1024\]"):
        strokes.strokes_to_image([], canvas_size=4096)
    with pytest.raises(ValueError, match=r"strokes hold 10001 points; at most 10000"):
        strokes.strokes_to_image([[[1, 1]] * 5000, [[2, 2]] * 5001])
    with pytest.raises(ValueError, match=r"strokes hold 10001 strokes; at most 10000"):
        strokes.strokes_to_image([[]] * 10_001)
    # a pointer dragged off the pad draws nothing there, as in the browser ...
    off = strokes.strokes_to_image([[[140, 40], [140, 240], [5000, 240]]])
    assert off is not None
    # ... but no pointer sends a point millions of pixels away
    with pytest.raises(ValueError, match=r"strokes\[0\]\[1\] = \[1e\+09, 5\] is too far off the "
                                         r"canvas: coordinates must be in \[-10000, 10280\]"):
        strokes.strokes_to_image([[[10, 10], [1e9, 5]]])
    # a flat list of four numbers is not two points
    with pytest.raises(ValueError, match=r"strokes\[0\] must be a list of \[x, y\] points"):
        strokes.strokes_to_image([[1, 2, 3, 4]])
    with pytest.raises(ValueError, match=r"strokes\[1\] holds a non-finite coordinate"):
        strokes.strokes_to_image([[[1, 1]], [[None, 1]]])  # JSON's null for a NaN from the page


def test_figures_are_built_from_the_views(tiny):
    data, grid, _ = tiny
    top = views.map_view(grid.get("ae"), data.x_test, data.y_test)
    bottom = views.map_view(grid.get("vae", 1.0), data.x_test, data.y_test)
    fig = plots.latent_maps_figure(top, bottom, show_ellipses=True)

    def part(row, slot):
        return trace(fig, plots.trace_name(row, slot))

    assert len(fig.data) == 2 * len(plots.SLOTS)
    assert len({t.name for t in fig.data}) == len(fig.data)  # every trace has its own name
    assert part(1, "manifold").source.startswith("data:image/png;base64,")
    np.testing.assert_allclose(part(0, "digit3").x, top.codes[top.labels == 3, 0])
    assert len(part(1, "ellipses").x) > 0
    assert len(part(0, "ellipses").x) == 0  # the AE has no posterior
    assert part(1, "digit0").type == "scattergl"
    # the legend shows each entry once, under its plain name
    shown = [t.name for t in fig.data if t.type != "image" and t.showlegend is not False]
    assert "3" in shown and "posterior 1 σ (true scale)" in shown and len(shown) == len(set(shown))
    assert plots.annotation(fig, plots.title_name(1)).text == "<b>VAE β=1</b>"
    for path, value in plots.row_layout(1, bottom).items():
        assert list(fig.layout[path]) == list(value)


def test_classifier_record_with_unexpected_content_is_retrained(tiny, tmp_path, monkeypatch):
    from explainer import cache

    data, _, clf = tiny
    monkeypatch.setenv(cache.ENV_VAR, str(tmp_path / "cache"))
    key = cache.cache_key(purpose="digit-classifier", data=data.fingerprint(), seed=0,
                          **holes.CLASSIFIER_TRAINING.to_dict())
    state = clf.state_dict()
    # the first layer loads, the second does not fit: nothing of it may leak into the retrain
    cache.save_record(cache.model_path(key), {"state_dict": {
        **state, "net.2.weight": torch.zeros(3, 3)}})
    with pytest.warns(RuntimeWarning, match="unusable") as seen:
        again = holes.train_digit_classifier(data)
    assert len(seen) == 1
    for k, v in state.items():
        assert torch.equal(again.state_dict()[k], v)
    assert again.test_accuracy_ == clf.test_accuracy_


def test_read_digits_names_confident_images_and_marks_the_rest(tiny):
    data, _, clf = tiny
    images = data.x_test[:20].numpy()
    proba = clf.predict_proba(images)
    assert holes.read_digits(images, clf, threshold=0.0) == [str(k) for k in proba.argmax(axis=1)]
    read = holes.read_digits(images, clf, threshold=0.9)
    assert [r == "?" for r in read] == list(proba.max(axis=1) < 0.9)
    with pytest.raises(ValueError, match=r"threshold must be in \[0, 1\]"):
        holes.read_digits(images, clf, threshold=2.0)

