"""The code-space widgets outside the browser: every slider, toggle and button."""

from __future__ import annotations

import numpy as np
import pytest
from traitlets import TraitError

from explainer import code_space as cs
from explainer.plots import code_space as plots
from explainer.widgets.code_space import NoisyCodeExplainer, VAECodeExplainer
from widget_errors import assert_error_shown


FAST = dict(steps=30, hidden_dim=16)


def expected(training_set: str, **settings) -> cs.CodeSpace:
    return cs.explore_code_space(training_set, **FAST, **settings)[1]


def assert_figure_shows(widget, space: cs.CodeSpace) -> None:
    """Every trace of the widget's figure holds what the pure functions give."""
    for trace, data in zip(widget.fig.data, plots.code_space_updates(space), strict=True):
        for key, value in data.items():
            shown = getattr(trace, key)
            if isinstance(value, str):
                assert shown == value, (trace.name, key)
            elif key == "text":
                assert list(shown) == list(value), (trace.name, key)
            else:
                assert np.allclose(np.asarray(shown, dtype=float), np.asarray(value, dtype=float),
                                   equal_nan=True), (trace.name, key)
    assert widget.fig.layout.title.text.endswith(plots.describe(space))


@pytest.fixture()
def noisy():
    return NoisyCodeExplainer(frame_delay=0.0, **FAST)


@pytest.fixture()
def vae():
    return VAECodeExplainer(frame_delay=0.0, **FAST)


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
    assert len(noisy.fig.data[3].x) == cs.DEFAULT_PHASES


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
    assert np.allclose(noisy.fig.data[3].x, final.means)


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
        cs.explore_code_space(kind="noisy_ae", noise_scale=-1.0)


def test_constructors_refuse_values_outside_their_sliders():
    with pytest.raises(ValueError, match=r"beta must be in \[0, 2\], got 5.0"):
        VAECodeExplainer(beta=5, frame_delay=0.0, **FAST)
    with pytest.raises(ValueError, match=r"noise_scale must be in \[0, 3\], got -1.0"):
        NoisyCodeExplainer(noise_scale=-1, frame_delay=0.0, **FAST)
    with pytest.raises(ValueError, match=r"beta must be in \[0, 2\], got 2.5"):
        NoisyCodeExplainer(noise_scale=0.5, beta=2.5, frame_delay=0.0, **FAST)


def test_errors_are_shown_on_the_page_and_raised(noisy, monkeypatch):
    assert_error_shown(noisy, monkeypatch, cs, "explore_code_space",
                       lambda: setattr(noisy.noise_scale, "value", 0.3),
                       error=ValueError("noise_scale must be in [0, 100], got -1.0"))


def test_vae_beta_slider_retrains(vae):
    assert_figure_shows(vae, expected("two_moons", kind="vae", beta=1.0))
    vae.beta.value = 0.0
    collapsed = expected("two_moons", kind="vae", beta=0.0)
    assert_figure_shows(vae, collapsed)
    assert "VAE, KL weight beta 0" in vae.fig.layout.title.text


def test_vae_training_set_toggle_and_replay(vae):
    vae.training_set.value = "phases"
    assert_figure_shows(vae, expected("phases", kind="vae", beta=1.0))
    vae.replay.click()
    assert np.allclose(vae.space.means, expected("phases", kind="vae", beta=1.0).means)


def test_constructor_refuses_bad_input():
    with pytest.raises(ValueError, match="training_set must be one of"):
        NoisyCodeExplainer(training_set="moons")
    with pytest.raises(ValueError, match="frame_delay must be in"):
        VAECodeExplainer(frame_delay=-1.0)
    with pytest.raises(TypeError, match="seed must be an integer"):
        VAECodeExplainer(seed=0.5)
    with pytest.raises(ValueError, match="steps must be an integer in"):
        NoisyCodeExplainer(steps=0)
