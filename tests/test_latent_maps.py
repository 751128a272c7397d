"""Pure functions of the latent maps: configs, grid, warm start, views, hole meter, drawing."""

from __future__ import annotations

import math
import threading
import time

import numpy as np
import pytest
import torch

from explainer import latent_maps as lm
from explainer.live_training import LiveRetrainer
from explainer.plots import latent_maps as plots
from latent_maps_fixtures import one_epoch, tiny  # noqa: F401


@pytest.mark.parametrize("name, value, message", [
    ("vae", -0.1, "beta must be in [0, inf]"),
    ("vae", math.nan, "beta must be a finite number"),
    ("vae", math.inf, "beta must be a finite number"),
    ("noisy_ae", -1.0, "noise_scale must be in (0, inf]"),
    ("noisy_ae", 0.0, "noise_scale must be in (0, inf]"),
    ("noisy_ae", math.nan, "noise_scale must be a finite number"),
    ("gan", 1.0, "model must be one of 'ae', 'noisy_ae', 'vae'"),
    ("ae", 0.5, "the AE has no noise scale or KL weight"),
])
def test_map_config_refuses_bad_values(name, value, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace("[", r"\[")):
        lm.map_config(name, value)


def test_map_config_sets_the_one_parameter():
    assert lm.map_config("vae", 0.3).beta == 0.3
    assert lm.map_config("noisy_ae", 0.5).noise_scale == 0.5
    assert lm.map_config("ae").kind == "ae"
    assert lm.map_config("vae", 1.0).latent_dim == 2
    with pytest.raises(TypeError, match="beta must be a real number"):
        lm.map_config("vae", "1")


def test_grid_holds_every_model_and_finds_the_nearest(tiny):
    _, grid, _ = tiny
    assert grid.values("vae") == [0.3, 1.0]
    assert grid.values("noisy_ae") == [1.0]
    assert grid.nearest("vae", 0.5).value == 0.3  # |log 0.5 - log 0.3| < |log 0.5 - log 1|
    assert grid.nearest("vae", 0.6).value == 1.0
    with pytest.raises(KeyError, match="no cached VAE"):
        grid.get("vae", 0.5)
    with pytest.raises(ValueError, match="model must be one of"):
        grid.values("pca")


def test_cached_model_keeps_optimizer_and_generator(tiny, one_epoch):
    data, grid, _ = tiny
    again = lm.train_map_model("vae", 1.0, data)
    assert again.source == "cache"
    first = grid.get("vae", 1.0)
    for k, v in first.model.state_dict().items():
        assert torch.equal(v, again.model.state_dict()[k])
    assert again.optimizer_state["state"]
    assert torch.equal(again.generator_state, first.generator_state)


def test_warm_start_at_the_same_value_continues_exactly(tiny, monkeypatch):
    data, grid, _ = tiny
    monkeypatch.setattr(lm, "MAP_TRAINING", lm.MAP_TRAINING.replace(epochs=2))
    two_epochs = lm.train_map_model("vae", 1.0, data, use_cache=False)
    continued = lm.warm_start(grid.get("vae", 1.0), 1.0, data, epochs=1)
    assert continued.epochs == 2
    for k, v in two_epochs.model.state_dict().items():
        torch.testing.assert_close(continued.model.state_dict()[k], v, rtol=0, atol=1e-6)


def test_warm_start_changes_the_value_and_can_be_stopped(tiny):
    data, grid, _ = tiny
    seen = []
    out = lm.warm_start(grid.get("vae", 0.3), 0.5, data, epochs=3,
                        callback=lambda epoch, model, history: (seen.append(epoch), False)[1])
    assert out.model.config.beta == 0.5 and out.value == 0.5
    assert seen == [2]  # the callback returned False after the first epoch: stopped
    assert out.source.endswith("+ 1 epochs")
    assert "retrained live: VAE β=0.3" in out.source
    with pytest.raises(ValueError, match="beta must be in"):
        lm.warm_start(grid.get("vae", 0.3), -1.0, data)


def test_warm_start_leaves_its_start_untouched(tiny):
    # Adam's moments were loaded without a copy and updated in place: every live retrain
    # from a cached model changed that model's optimiser state, and the next one differed
    data, grid, _ = tiny
    start = grid.get("vae", 0.3)
    moments = {k: v["exp_avg"].clone() for k, v in start.optimizer_state["state"].items()}
    first = lm.warm_start(start, 0.5, data, epochs=1)
    for k, v in start.optimizer_state["state"].items():
        torch.testing.assert_close(v["exp_avg"], moments[k], rtol=0, atol=0)
    again = lm.warm_start(start, 0.5, data, epochs=1)
    for k, v in first.model.state_dict().items():
        torch.testing.assert_close(again.model.state_dict()[k], v, rtol=0, atol=0)


def test_warm_start_stops_within_an_epoch_once_it_is_stale(tiny):
    data, grid, _ = tiny
    checks, seen = [], []

    def is_current():  # stale after two optimiser steps, long before the epoch ends
        checks.append(1)
        return len(checks) <= 2

    out = lm.warm_start(grid.get("vae", 0.3), 0.5, data, epochs=3, is_current=is_current,
                        callback=lambda epoch, model, history: seen.append(epoch))
    assert out is None and seen == [] and len(checks) == 3
    # while current, the check changes nothing: the same weights as without it
    a = lm.warm_start(grid.get("vae", 0.3), 0.5, data, epochs=1, is_current=lambda: True)
    b = lm.warm_start(grid.get("vae", 0.3), 0.5, data, epochs=1)
    for k, v in b.model.state_dict().items():
        torch.testing.assert_close(a.model.state_dict()[k], v, rtol=0, atol=0)


def test_grid_codes_run_row_by_row_from_the_top():
    g = lm.grid_codes(2.0, 3)
    assert g.shape == (9, 2)
    np.testing.assert_allclose(g[0], [-2.0, 2.0])
    np.testing.assert_allclose(g[2], [2.0, 2.0])
    np.testing.assert_allclose(g[-1], [2.0, -2.0])
    with pytest.raises(ValueError, match="n_grid must be an integer in"):
        lm.grid_codes(1.0, 1)


def test_map_view_decodes_the_grid_in_place(tiny):
    data, grid, _ = tiny
    mm = grid.get("vae", 1.0)
    view = lm.map_view(mm, data.x_test, data.y_test, n_grid=4)
    assert view.codes.shape == (len(data.x_test), 2) and view.sigmas.shape == view.codes.shape
    assert view.manifold.shape == (4 * 28, 4 * 28)
    assert view.half_width >= 3.0
    # tile (row 1, column 2) is the decode of grid point 1 * 4 + 2
    tile = view.manifold[28:56, 56:84].ravel()
    np.testing.assert_allclose(tile, lm.decode_codes(mm.model, view.grid_points[6:7])[0], atol=1e-6)
    assert lm.map_view(grid.get("ae"), data.x_test, data.y_test).sigmas is None


def test_ellipses_are_at_true_scale():
    x, y = lm.ellipse_outlines(np.array([[1.0, 2.0]]), np.array([[0.5, 0.1]]), n_vertices=9)
    assert np.isnan(x[-1]) and len(x) == 10
    u = (x[:-1] - 1.0) / 0.5
    v = (y[:-1] - 2.0) / 0.1
    np.testing.assert_allclose(u**2 + v**2, 1.0)
    px, py = lm.prior_circles((1.0, 2.0))
    r = np.hypot(px, py)
    np.testing.assert_allclose(np.unique(np.round(r[~np.isnan(r)], 6)), [1.0, 2.0])


def test_hole_meter_is_deterministic_and_in_range(tiny):
    data, grid, clf = tiny
    a = lm.hole_meter(grid.get("vae", 1.0), clf, data.x_train, n_samples=200, seed=3)
    b = lm.hole_meter(grid.get("vae", 1.0), clf, data.x_train, n_samples=200, seed=3)
    assert a.confident == b.confident and a.nearest == b.nearest
    assert 0.0 <= a.confident <= 1.0 and a.nearest > 0
    assert a.digits.sum() == round(a.confident * 200)
    own = lm.judge_images(data.x_train[:20].numpy(), clf, data.x_train)
    assert own.nearest == pytest.approx(0.0, abs=1e-2)  # every training digit is its own nearest
    with pytest.raises(ValueError, match="threshold must be in"):
        lm.judge_images(data.x_train[:2].numpy(), clf, data.x_train, threshold=1.5)
    with pytest.raises(ValueError, match="n_samples must be an integer in"):
        lm.prior_samples(0)


def test_classifier_reports_its_test_accuracy(tiny):
    _, _, clf = tiny
    assert 0.5 < clf.test_accuracy_ <= 1.0  # 400 training digits, 15 epochs
    p = clf.predict_proba(np.zeros((3, 784), np.float32))
    np.testing.assert_allclose(p.sum(axis=1), 1.0, atol=1e-5)


def test_interpolation_starts_and_ends_at_the_two_codes(tiny):
    data, grid, _ = tiny
    mm = grid.get("ae")
    strip = lm.interpolate(mm.model, data.x_test[0], data.x_test[5], n_steps=5)
    codes, _ = lm.encode_images(mm.model, data.x_test[[0, 5]])
    np.testing.assert_allclose(strip[[0, -1]], lm.decode_codes(mm.model, codes), atol=1e-6)


def test_rate_distortion_over_the_beta_grid(tiny):
    data, grid, _ = tiny
    points = lm.rate_distortion(grid, data.x_test)
    assert [p.beta for p in points] == [0.3, 1.0]
    for p in points:
        assert p.rate > 0 and p.distortion > 0 and 0 <= p.active <= 2
        assert p.rate == pytest.approx(float(p.kl_per_dim.sum()), rel=0.05)


def test_strokes_become_an_mnist_digit():
    assert lm.strokes_to_image([]) is None
    assert lm.strokes_to_image([[]]) is None
    img = lm.strokes_to_image([[[140, 40], [140, 240]], [[120, 60]]]).reshape(28, 28)
    assert img.min() >= 0 and img.max() <= 1 and img.max() > 0.5
    rows, cols = np.flatnonzero(img.any(axis=1) > 0), np.flatnonzero(img.any(axis=0) > 0)
    assert rows[-1] - rows[0] + 1 == 20  # the longer side scaled to 20 pixels
    assert cols[-1] - cols[0] + 1 < 20  # the shorter side keeps its aspect ratio
    # centre of mass near the centre of the 28 x 28 image
    r = (img.sum(axis=1) * np.arange(28)).sum() / img.sum()
    c = (img.sum(axis=0) * np.arange(28)).sum() / img.sum()
    assert abs(r - 13.5) <= 0.6 and abs(c - 13.5) <= 0.6
    dot = lm.strokes_to_image([[[10, 10]]])
    assert dot is not None and dot.reshape(28, 28)[13:15, 13:15].max() > 0
    with pytest.raises(ValueError, match="non-finite"):
        lm.strokes_to_image([[[0, 0], [float("nan"), 1]]])
    with pytest.raises(TypeError, match="strokes must be a list"):
        lm.strokes_to_image("a digit")


def test_strokes_to_image_refuses_a_pen_wider_than_the_canvas():
    # a pen of 1e8 pixels took 25 s per point inside PIL, uninterruptibly
    with pytest.raises(ValueError, match=r"pen_width must be in \(0, 280\], got 281"):
        lm.strokes_to_image([[[10, 10]]], pen_width=281)
    with pytest.raises(ValueError, match=r"pen_width must be in \(0, 100\]"):
        lm.strokes_to_image([[[10, 10]]], canvas_size=100, pen_width=1e8)
    assert lm.strokes_to_image([[[10, 10]]], canvas_size=100, pen_width=100) is not None


def test_strokes_to_image_bounds_the_drawing():
    with pytest.raises(ValueError, match=r"canvas_size must be an integer in \[28, 1024\]"):
        lm.strokes_to_image([], canvas_size=4096)
    with pytest.raises(ValueError, match=r"strokes hold 10001 points; at most 10000"):
        lm.strokes_to_image([[[1, 1]] * 5000, [[2, 2]] * 5001])
    with pytest.raises(ValueError, match=r"strokes hold 10001 strokes; at most 10000"):
        lm.strokes_to_image([[]] * 10_001)
    # a pointer dragged off the pad draws nothing there, as in the browser ...
    off = lm.strokes_to_image([[[140, 40], [140, 240], [5000, 240]]])
    assert off is not None
    # ... but no pointer sends a point millions of pixels away
    with pytest.raises(ValueError, match=r"strokes\[0\]\[1\] = \[1e\+09, 5\] is too far off the "
                                         r"canvas: coordinates must be in \[-10000, 10280\]"):
        lm.strokes_to_image([[[10, 10], [1e9, 5]]])
    # a flat list of four numbers is not two points
    with pytest.raises(ValueError, match=r"strokes\[0\] must be a list of \[x, y\] points"):
        lm.strokes_to_image([[1, 2, 3, 4]])
    with pytest.raises(ValueError, match=r"strokes\[1\] holds a non-finite coordinate"):
        lm.strokes_to_image([[[1, 1]], [[None, 1]]])  # JSON's null for a NaN from the page


def test_live_retrainer_cancels_the_older_work():
    done, stopped = [], []

    def work_named(name):
        def work(is_current):
            for _ in range(50):
                if not is_current():
                    stopped.append(name)
                    return
                time.sleep(0.01)
            done.append(name)
        return work

    r = LiveRetrainer()
    r.submit(work_named("old"))
    time.sleep(0.05)
    r.submit(work_named("new"))
    r.wait()
    time.sleep(0.05)
    assert done == ["new"] and stopped == ["old"]
    sync = LiveRetrainer(synchronous=True)
    sync.submit(work_named("sync"))
    assert done[-1] == "sync" and threading.active_count() >= 1
    with pytest.raises(TypeError, match="synchronous must be True or False"):
        LiveRetrainer(synchronous=1)


def test_a_burst_of_submits_runs_only_the_running_work_and_the_last():
    # fifty quick slider changes used to start fifty threads at once
    started, release = threading.Event(), threading.Event()
    ran, stale = [], []

    def first(is_current):
        ran.append(0)
        started.set()
        release.wait(5)
        stale.append(not is_current())  # cancelled at its next check

    def numbered(i):
        return lambda is_current: ran.append(i)

    r = LiveRetrainer()
    r.submit(first)
    assert started.wait(5)
    for i in range(1, 21):
        r.submit(numbered(i))
    busy = r.busy
    release.set()
    r.wait(10)
    assert ran == [0, 20] and stale == [True]  # the older pending requests never ran
    assert busy
    assert not r.busy and not any(t.name.startswith("live-retrain") for t in threading.enumerate()
                                  if t.is_alive() and t is not threading.current_thread())
    r.submit(numbered(21))  # a later request starts a worker again
    assert r.wait(10) and ran[-1] == 21


def test_cancel_drops_the_pending_request():
    started, release = threading.Event(), threading.Event()
    ran = []
    r = LiveRetrainer()
    r.submit(lambda is_current: (ran.append("running"), started.set(), release.wait(5)))
    assert started.wait(5)
    r.submit(lambda is_current: ran.append("pending"))
    r.cancel()
    release.set()
    assert r.wait(10) and ran == ["running"]


def test_live_retrainer_reports_errors():
    errors, ran = [], []

    def broken(is_current):
        raise RuntimeError("diverged")

    r = LiveRetrainer(on_error=errors.append)
    r.submit(broken)
    r.wait()
    assert isinstance(errors[0], RuntimeError)
    r.submit(lambda is_current: ran.append("after"))  # the worker goes on after a failure
    r.wait()
    assert ran == ["after"] and len(errors) == 1
    with pytest.raises(RuntimeError, match="diverged"):
        LiveRetrainer(synchronous=True, on_error=errors.append).submit(broken)


def test_figures_are_built_from_the_views(tiny):
    data, grid, _ = tiny
    top = lm.map_view(grid.get("ae"), data.x_test, data.y_test)
    bottom = lm.map_view(grid.get("vae", 1.0), data.x_test, data.y_test)
    fig = plots.latent_maps_figure(top, bottom, show_ellipses=True)
    assert len(fig.data) == 2 * len(plots.SLOTS)
    assert fig.data[plots.slot(1, "manifold")].source.startswith("data:image/png;base64,")
    np.testing.assert_allclose(fig.data[plots.slot(0, "digit3")].x, top.codes[top.labels == 3, 0])
    assert len(fig.data[plots.slot(1, "ellipses")].x) > 0
    assert len(fig.data[plots.slot(0, "ellipses")].x) == 0  # the AE has no posterior
    assert fig.data[plots.slot(1, "digit0")].type == "scattergl"


def test_map_model_is_kept_when_the_cache_cannot_be_written(tiny, one_epoch, tmp_path,
                                                            monkeypatch):
    from explainer import cache

    data, grid, _ = tiny
    root = tmp_path / "cache"
    root.mkdir()
    (root / "models").write_text("not a folder")
    monkeypatch.setenv(cache.ENV_VAR, str(root))
    with pytest.warns(RuntimeWarning, match="kept in memory only") as seen:
        out = lm.train_map_model("vae", 1.0, data)
        lm.train_digit_classifier(data)
    assert len(seen) == 1
    assert out.source == "trained"
    for k, v in grid.get("vae", 1.0).model.state_dict().items():
        assert torch.equal(out.model.state_dict()[k], v)


def _broken_map_records(record):
    state = record["state_dict"]
    shifted = dict(record["optimizer"], state={i + 1: s for i, s in
                                               record["optimizer"]["state"].items()})
    return {
        "no optimizer": {k: v for k, v in record.items() if k != "optimizer"},
        "optimizer of another model": {**record, "optimizer": shifted},
        "generator not a generator state": {**record, "generator": torch.zeros(3)},
        "no generator": {k: v for k, v in record.items() if k != "generator"},
        "wrong weights": {**record, "state_dict": {k: v[:1] for k, v in state.items()}},
        "history not a dict": {**record, "history": 3},
    }


@pytest.mark.parametrize("broken", list(_broken_map_records(
    {"state_dict": {}, "optimizer": {"state": {}}})))
def test_map_record_with_unexpected_content_is_reported_once_and_retrained(
        tiny, one_epoch, tmp_path, monkeypatch, broken):
    from explainer import cache

    data, grid, _ = tiny
    monkeypatch.setenv(cache.ENV_VAR, str(tmp_path / "cache"))
    config = lm.map_config("vae", 1.0)
    path = lm._map_model_path(config, data, seed=0)
    lm.train_map_model("vae", 1.0, data)
    cache.save_record(path, _broken_map_records(cache.load_record(path))[broken])
    with pytest.warns(RuntimeWarning, match="unusable") as seen:
        assert lm.cached_map_model("vae", 1.0, data) is None
        out = lm.train_map_model("vae", 1.0, data)
    assert len(seen) == 1, [str(w.message) for w in seen]
    assert out.source == "trained"
    for k, v in grid.get("vae", 1.0).model.state_dict().items():
        assert torch.equal(out.model.state_dict()[k], v)
    assert lm.cached_map_model("vae", 1.0, data).source == "cache"


def test_classifier_record_with_unexpected_content_is_retrained(tiny, tmp_path, monkeypatch):
    from explainer import cache

    data, _, clf = tiny
    monkeypatch.setenv(cache.ENV_VAR, str(tmp_path / "cache"))
    key = cache.cache_key(purpose="digit-classifier", data=data.fingerprint(), seed=0,
                          **lm.CLASSIFIER_TRAINING.to_dict())
    state = clf.state_dict()
    # the first layer loads, the second does not fit: nothing of it may leak into the retrain
    cache.save_record(cache.model_path(key), {"state_dict": {
        **state, "net.2.weight": torch.zeros(3, 3)}})
    with pytest.warns(RuntimeWarning, match="unusable") as seen:
        again = lm.train_digit_classifier(data)
    assert len(seen) == 1
    for k, v in state.items():
        assert torch.equal(again.state_dict()[k], v)
    assert again.test_accuracy_ == clf.test_accuracy_


def test_read_digits_names_confident_images_and_marks_the_rest(tiny):
    data, _, clf = tiny
    images = data.x_test[:20].numpy()
    proba = clf.predict_proba(images)
    assert lm.read_digits(images, clf, threshold=0.0) == [str(k) for k in proba.argmax(axis=1)]
    read = lm.read_digits(images, clf, threshold=0.9)
    assert [r == "?" for r in read] == list(proba.max(axis=1) < 0.9)
    with pytest.raises(ValueError, match=r"threshold must be in \[0, 1\]"):
        lm.read_digits(images, clf, threshold=2.0)
