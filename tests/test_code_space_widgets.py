"""The code-space widgets outside the browser: every slider, toggle and button."""

from __future__ import annotations

import numpy as np
import pytest
from traitlets import TraitError

from explainer import code_space as cs
from explainer.plots import code_space as plots
from explainer.plots import trace
from explainer.widgets.code_space import NoisyCodeExplainer, VAECodeExplainer
from widget_errors import assert_error_shown

FAST = dict(n_steps=30, hidden_dim=16)


def expected(training_set: str, **settings) -> cs.CodeSpace:
    return cs.explore_code_space(cs.CodeSpaceSettings(training_set, **FAST, **settings))[1]


def assert_figure_shows(widget, space: cs.CodeSpace) -> None:
    """Every trace of the widget's figure (found by name) holds what the pure functions
    give, and the code axes run with the full moon's side on the left."""
    updates = plots.code_space_updates(space)
    assert sorted(t.name for t in widget.fig.data) == sorted(updates)
    for name, data in updates.items():
        for key, value in data.items():
            shown = getattr(trace(widget.fig, name), key)
            if isinstance(value, str):
                assert shown == value, (name, key)
            elif key == "text":
                assert list(shown) == list(value), (name, key)
            else:
                assert np.allclose(np.asarray(shown, dtype=float), np.asarray(value, dtype=float),
                                   equal_nan=True), (name, key)
    assert widget.fig.layout.title.text.endswith(plots.describe(space))
    assert_full_moon_left(widget.fig, space)


def assert_full_moon_left(fig, space: cs.CodeSpace) -> None:
    """The code axis and the distance axis are drawn so that the full moon's code is left
    of the half moon's (reversed exactly when the full moon's code is the larger)."""
    reversed_ = space.means[0] > space.means[-1]
    for axis in (fig.layout.xaxis, fig.layout.xaxis4):
        assert (axis.autorange == "reversed") == reversed_


@pytest.fixture()
def noisy():
    return NoisyCodeExplainer(cs.CodeSpaceSettings(kind="noisy_ae", **FAST), frame_delay=0.0)


@pytest.fixture()
def vae():
    return VAECodeExplainer(cs.CodeSpaceSettings(kind="vae", beta=1.0, **FAST), frame_delay=0.0)


def test_noisy_starts_as_plain_ae(noisy):
    assert noisy.beta.disabled
    assert_figure_shows(noisy, expected("two_moons", kind="ae"))
    assert noisy.errors in noisy.ui.children and noisy.fig in noisy.ui.children
    assert noisy.summary() == "NoisyCodeExplainer: interactive figure (needs a running kernel)"


def test_noise_scale_slider_retrains(noisy):
    noisy.noise_scale.value = 0.7
    assert not noisy.beta.disabled
    assert_figure_shows(noisy, expected("two_moons", kind="noisy_ae", noise_scale=0.7))
    assert noisy.space.densities is not None
    noisy.noise_scale.value = 0.0
    assert noisy.beta.disabled
    assert_figure_shows(noisy, expected("two_moons", kind="ae"))


def test_beta_slider_retrains(noisy):
    noisy.noise_scale.value = 0.5
    noisy.beta.value = 1.5
    assert_figure_shows(noisy, expected("two_moons", kind="noisy_ae", noise_scale=0.5, beta=1.5))


def test_beta_is_inactive_without_noise(noisy):
    noisy.beta.value = 1.0  # disabled in the page; set from Python it must not break
    assert_figure_shows(noisy, expected("two_moons", kind="ae"))
    assert "plain AE" in noisy.fig.layout.title.text


def test_training_set_toggle_retrains(noisy):
    noisy.noise_scale.value = 0.5
    noisy.training_set.value = "phases"
    space = expected("phases", kind="noisy_ae", noise_scale=0.5)
    assert_figure_shows(noisy, space)
    assert len(trace(noisy.fig, "codes").x) == cs.DEFAULT_PHASES
    assert noisy.settings == cs.CodeSpaceSettings("phases", kind="noisy_ae", noise_scale=0.5,
                                                  **FAST)


def test_noisy_replay_button_animates_then_ends_at_trained_model(noisy):
    noisy.noise_scale.value = 0.5
    titles = []
    noisy.fig.layout.on_change(lambda _layout, text: titles.append(text), "title.text")
    noisy.replay.click()
    steps = [step for step, _ in noisy.frames]
    assert steps == [1, 10, 20, 30]
    assert len(titles) == len(steps)
    assert titles[0].startswith("training step 1:")
    final = expected("two_moons", kind="noisy_ae", noise_scale=0.5)
    assert np.allclose(noisy.space.means, final.means)
    assert noisy.fig.layout.title.text.startswith("training step 30:")
    assert np.allclose(trace(noisy.fig, "codes").x, final.means)


def test_sliders_refuse_out_of_range_values(noisy, vae):
    # ipywidgets clamps a slider's value into its range (noise -1 trained the plain AE,
    # beta 5 trained beta 2) and lets NaN through: refused here, nothing retrained
    space = noisy.space
    for bad, message in ((-1.0, r"noise_scale must be in \[0, 3\], got -1.0"),
                         (float("nan"), r"noise_scale must be a finite number in \[0, 3\]")):
        with pytest.raises(TraitError, match=message):
            noisy.noise_scale.value = bad
    assert noisy.noise_scale.value == 0.0 and noisy.space is space
    with pytest.raises(TraitError, match=r"beta must be in \[0, 2\], got 5.0"):
        vae.beta.value = 5.0
    assert vae.beta.value == 1.0
    with pytest.raises(ValueError, match="noise_scale must be in"):
        cs.CodeSpaceSettings(kind="noisy_ae", noise_scale=-1.0)


def test_constructors_refuse_values_outside_their_sliders():
    with pytest.raises(ValueError, match=r"beta must be in \[0, 2\], got 5.0"):
        VAECodeExplainer(cs.CodeSpaceSettings(kind="vae", beta=5, **FAST), frame_delay=0.0)
    with pytest.raises(ValueError, match=r"noise_scale must be in \[0, 3\], got 4.0"):
        NoisyCodeExplainer(cs.CodeSpaceSettings(kind="noisy_ae", noise_scale=4, **FAST),
                           frame_delay=0.0)
    with pytest.raises(ValueError, match=r"beta must be in \[0, 2\], got 2.5"):
        NoisyCodeExplainer(cs.CodeSpaceSettings(kind="noisy_ae", noise_scale=0.5, beta=2.5, **FAST),
                           frame_delay=0.0)


def test_errors_are_shown_on_the_page_and_raised(noisy, monkeypatch):
    assert_error_shown(noisy, monkeypatch, cs, "explore_code_space",
                       lambda: setattr(noisy.noise_scale, "value", 0.3),
                       error=ValueError("noise_scale must be in [0, 100], got -1.0"))


def test_vae_beta_slider_retrains(vae):
    assert_figure_shows(vae, expected("two_moons", kind="vae", beta=1.0))
    vae.beta.value = 0.0
    collapsed = expected("two_moons", kind="vae", beta=0.0)
    assert_figure_shows(vae, collapsed)
    assert "VAE, KL weight β = 0:" in vae.fig.layout.title.text


def test_vae_training_set_toggle_and_replay(vae):
    vae.training_set.value = "phases"
    assert_figure_shows(vae, expected("phases", kind="vae", beta=1.0))
    vae.replay.click()
    assert np.allclose(vae.space.means, expected("phases", kind="vae", beta=1.0).means)


def test_constructor_refuses_bad_input():
    with pytest.raises(ValueError, match="frame_delay must be in"):
        VAECodeExplainer(frame_delay=-1.0)
    with pytest.raises(TypeError, match="settings must be an explainer.code_space.CodeSpace"):
        NoisyCodeExplainer({"kind": "noisy_ae"})
    with pytest.raises(ValueError, match="settings.kind must be 'vae' for VAECodeExplainer, "
                                         "got 'ae'"):
        VAECodeExplainer(cs.CodeSpaceSettings(kind="ae"))


def test_default_settings_are_the_plain_ae_and_the_vae_at_beta_1():
    assert NoisyCodeExplainer.KIND == "noisy_ae" and VAECodeExplainer.KIND == "vae"
    w = VAECodeExplainer(frame_delay=0.0)
    assert w.settings == cs.CodeSpaceSettings(kind="vae", beta=1.0) and w.beta.value == 1.0


def test_strip_direction_follows_the_model_in_the_widget(noisy):
    """Whichever code the encoder gives the full moon, the widget's axes and strip put the
    full moon's side on the left after every retraining."""
    seen = set()
    for value in (0.0, 0.5, 1.0, 2.0):
        noisy.noise_scale.value = value
        space = noisy.space
        assert_full_moon_left(noisy.fig, space)
        tiles = strip_tiles(trace(noisy.fig, "decoded strip").source)
        assert np.allclose(tiles, space.strip_images.reshape(-1, 28, 28), atol=1 / 255)
        seen.add(bool(space.means[0] > space.means[-1]))
    assert seen == {True, False}, "both directions of the encoder's axis should be met here"
    with pytest.raises(KeyError, match="one trace named .*nothing.*, found 0"):
        trace(noisy.fig, "nothing")


def strip_tiles(uri: str) -> np.ndarray:
    """The 28x28 tiles of a strip's PNG, left to right, as values in [0, 1]."""
    import base64
    import io

    from PIL import Image

    png = base64.b64decode(uri.split(",", 1)[1])
    a = np.asarray(Image.open(io.BytesIO(png)).convert("L"), dtype=float) / 255
    n = (a.shape[1] + 2) // 30
    return np.stack([a[:, 30 * i:30 * i + 28] for i in range(n)])
