"""The latent maps' state without widgets: rows, memoised views, live retraining, details."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from explainer import hole_meter as holes
from explainer import latent_maps
from explainer import map_models as maps
from explainer import map_views as views
from explainer.latent_maps import GRID_NOTE, LatentMaps, MapSettings, RowState


@pytest.fixture
def session(tiny, one_epoch):
    """A LatentMaps showing the AE on top and the VAE at beta = 1 below, recording every change."""
    data, grid, clf = tiny
    seen: list[tuple[int, RowState]] = []
    s = LatentMaps(grid, data, clf, settings=MapSettings(live_epochs=2, n_samples=100),
                   synchronous=True, listener=lambda row, state: seen.append((row, state)))
    s.show(0, "ae")
    s.show(1, "vae", 1.0)
    s.seen = seen
    return s


def test_the_class_needs_no_widgets():
    code = "import sys, explainer.latent_maps; print('ipywidgets' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_a_grid_model_is_shown_from_memory(session, tiny):
    data, grid, clf = tiny
    state = session.state(1)
    assert state.label == "VAE β=1" and state.note == GRID_NOTE and not state.pending
    assert session.seen[-1] == (1, state)
    view = views.map_view(grid.get("vae", 1.0), data.x_test, data.y_test)
    np.testing.assert_allclose(state.row_view.view.codes, view.codes)
    reading = holes.hole_meter(grid.get("vae", 1.0), clf, data.x_train, n_samples=100)
    shown = state.row_view.reading
    assert (shown.label, shown.confident, shown.nearest) == (
        reading.label, reading.confident, reading.nearest)
    # memoised: the same view object for the same model, a fresh one when asked not to keep it
    assert session.row_view(grid.get("vae", 1.0)) is state.row_view
    assert session.row_view(grid.get("vae", 1.0), memo=False) is not state.row_view
    assert [label for label, _ in session.meter()] == ["AE", "VAE β=1", "real test digits"]


def test_an_off_grid_value_streams_each_epoch_and_keeps_the_model(session, tiny):
    from explainer import cache

    _, grid, _ = tiny
    session.seen.clear()
    written = cache.computed()
    session.show(1, "vae", 0.5)
    assert cache.computed() == written  # a live model's hole meter is not kept on disk
    notes = [state.note for row, state in session.seen if row == 1]
    assert notes[0] == "VAE β=0.5 is being retrained live from VAE β=0.3…"
    pending = session.seen[0][1]
    assert pending.pending and pending.label == "VAE β=1"  # the old view meanwhile
    assert notes[1:] == ["retraining live from VAE β=0.3: epoch 2 of 3",
                         "retraining live from VAE β=0.3: epoch 3 of 3",
                         "retrained live: VAE β=0.3 + 2 epochs"]
    streamed = session.seen[1][1].row_view.model
    assert streamed.resume is None and streamed.source == "live"  # shown, never continued
    live = session.live_models[("vae", 0.5)]
    assert session.state(1).row_view.model is live and live.resume is not None and live.epochs == 3
    session.show(1, "vae", 1.0)
    session.seen.clear()
    session.show(1, "vae", 0.5)  # from memory now: one change, no retraining
    assert len(session.seen) == 1 and session.state(1).row_view.model is live
    assert session.state(1).note == live.source


def test_the_value_is_checked_once(session, monkeypatch):
    calls = []
    original = latent_maps.map_config

    def counted(kind, value=None):
        calls.append((kind, value))
        return original(kind, value)

    monkeypatch.setattr(latent_maps, "map_config", counted)
    monkeypatch.setattr(maps, "map_config", counted)
    session.show(0, "noisy_ae", 0.5)  # off the grid: retrained live
    assert calls == [("noisy_ae", 0.5)]
    with pytest.raises(ValueError, match=r"noise_scale must be in \(0, inf\]"):
        session.show(0, "noisy_ae", -1.0)
    with pytest.raises(ValueError, match=r"row 1 shows one of \('vae',\), got 'ae'"):
        session.show(1, "ae")


def test_a_point_and_a_drawing_are_decoded_in_both_rows(session, tiny):
    data, grid, _ = tiny
    session.select_point(0.5, -1.0)
    for row, key in ((0, ("ae", 0.0)), (1, ("vae", 1.0))):
        detail = session.state(row).detail
        assert detail.point == (0.5, -1.0)
        decoded = views.decode_codes(grid.models[key].model, np.array([[0.5, -1.0]]))[0]
        np.testing.assert_allclose(detail.point_image, decoded)
    session.set_strokes([[[140, 40], [150, 140], [140, 240]]], canvas_size=280, pen_width=18.0)
    vae, ae = session.state(1).detail, session.state(0).detail
    assert vae.drawn_label == "your digit" and vae.drawn.shape == (784,)
    code, _ = views.encode_images(grid.get("vae", 1.0).model, vae.drawn[None, :])
    np.testing.assert_allclose(vae.drawn_code, code, atol=1e-6)
    assert len(vae.drawn_ellipse[0]) > 0
    assert len(ae.drawn_ellipse[0]) == 0  # the AE has no posterior
    session.set_drawn(data.x_test[3].numpy(), label="test digit 3")
    assert session.state(0).detail.drawn_label == "test digit 3"
    session.set_drawn(None)
    assert session.state(1).detail.reconstruction is None
    with pytest.raises(ValueError, match="x must be a finite number"):
        session.select_point(float("nan"), 0.0)
    with pytest.raises(ValueError, match="image must hold 784 finite pixels"):
        session.set_drawn(np.zeros(10))


@pytest.mark.parametrize("kwargs, error, message", [
    (dict(live_epochs=0), ValueError, r"live_epochs must be an integer in \[1, 100\], got 0"),
    (dict(n_samples=2.5), TypeError, "n_samples must be an integer, got float"),
    (dict(threshold=-0.1), ValueError, r"threshold must be in \[0, 1\], got -0.1"),
    (dict(seed=-1), ValueError, r"seed must be an integer in \[0, inf\], got -1"),
])
def test_settings_are_checked_where_they_are_made(kwargs, error, message):
    with pytest.raises(error, match=message):
        MapSettings(**kwargs)


def test_the_session_refuses_what_it_cannot_show(tiny):
    data, grid, clf = tiny
    with pytest.raises(TypeError, match="settings must be a MapSettings"):
        LatentMaps(grid, data, clf, settings={"n_samples": 10})
    no_noise = maps.MapGrid({k: v for k, v in grid.models.items() if k[0] != "noisy_ae"})
    with pytest.raises(ValueError, match="grid must hold the AE, a noisy AE and a VAE"):
        LatentMaps(no_noise, data, clf)
