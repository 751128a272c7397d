"""Bad input to the widgets, one row each: refused with an error naming the parameter and
its accepted range, never clamped. A constructor's bad argument raises ValueError or
TypeError before anything is built or trained; a bad value set later on a slider or on
the drawing pad raises traitlets' TraitError, and the widget keeps its value.

Rows that need a built widget take it from a small cached builder (tiny settings), so
the table needs no fixtures.
"""

from __future__ import annotations

import functools
import math

import numpy as np
import pytest
import torch
from traitlets import TraitError

from explainer import latent_maps as lm
from explainer.data import ImageDataset
from explainer.live_training import LiveRetrainer
from explainer.models import Autoencoder, ModelConfig
from explainer.widgets.anatomy import DiagramExplorer
from explainer.widgets.code_space import NoisyCodeExplainer, VAECodeExplainer
from explainer.widgets.drawing_pad import DrawingPad
from explainer.widgets.latent_maps import InterpolationExplorer, LatentMapExplorer
from explainer.widgets.lower_bound import (
    BoundSplitExplorer,
    EncoderDecoderAscent,
    ImportanceSamplingExplorer,
    NonlinearGapExplorer,
)
from explainer.widgets.mixture import AncestralSampling, MixtureBuilder

FAST = dict(steps=5, hidden_dim=8, frame_delay=0.0)


@functools.cache
def noisy() -> NoisyCodeExplainer:
    return NoisyCodeExplainer(**FAST)


@functools.cache
def bound_split() -> BoundSplitExplorer:
    return BoundSplitExplorer()


@functools.cache
def ascent() -> EncoderDecoderAscent:
    return EncoderDecoderAscent(np.array([0.5, 1.0, 2.5, 3.0]))


@functools.cache
def builder() -> MixtureBuilder:
    return MixtureBuilder()


@functools.cache
def sampling() -> AncestralSampling:
    return AncestralSampling([0.5, 0.5], [-1.0, 1.0], [0.5, 0.5], max_draws=50)


def map_explorer(**kwargs) -> LatentMapExplorer:
    """A LatentMapExplorer on stand-ins: its arguments are refused before any model is used."""
    grid = lm.MapGrid({("ae", 0.0): None, ("noisy_ae", 1.0): None, ("vae", 1.0): None})
    x, y = torch.zeros(2, 784), torch.zeros(2, dtype=torch.int64)
    data = ImageDataset(name="blank", side=28, x_train=x, y_train=y, x_test=x, y_test=y)
    return LatentMapExplorer(grid, data, lm.DigitClassifier(), **kwargs)


def diagram(**kwargs) -> DiagramExplorer:
    model = Autoencoder(ModelConfig(kind="vae", input_dim=16, latent_dim=2, hidden_dims=(8,)))
    return DiagramExplorer(model, torch.rand(3, 16), torch.arange(3), **kwargs)


WIDGET_CASES = [
    # code axis: constructor values outside the sliders, and a slider set from Python
    pytest.param(lambda: VAECodeExplainer(beta=5, **FAST), ValueError,
                 r"beta must be in \[0, 2\], got 5.0", id="vae-code-beta-above-slider"),
    pytest.param(lambda: NoisyCodeExplainer(noise_scale=-1, **FAST), ValueError,
                 r"noise_scale must be in \[0, 3\], got -1.0", id="noisy-code-negative-noise"),
    pytest.param(lambda: setattr(noisy().noise_scale, "value", -1.0), TraitError,
                 r"noise_scale must be in \[0, 3\], got -1.0", id="noisy-code-slider-negative-noise"),
    # lower bound
    pytest.param(lambda: BoundSplitExplorer(log_std=1000), ValueError,
                 r"log_std must be in \[-2.5, 1\], got 1000.0", id="bound-split-log-std-above-slider"),
    pytest.param(lambda: setattr(bound_split().mean, "value", math.nan), TraitError,
                 r"mean must be a finite number in \[-3, 3\], got nan", id="bound-split-slider-nan-mean"),
    pytest.param(lambda: NonlinearGapExplorer(x=5.0), ValueError,
                 r"x must be in \[-0.5, 3\], got 5.0", id="nonlinear-gap-x-above-slider"),
    pytest.param(lambda: setattr(ascent().rounds, "value", 2.5), TraitError,
                 r"rounds must be an integer, got float 2.5", id="ascent-slider-fractional-rounds"),
    pytest.param(lambda: ImportanceSamplingExplorer(torch.zeros(2, 10), k=3), ValueError,
                 r"k must be one of 1, 2, 5, 10; got 3", id="importance-k-not-a-stop"),
    # mixtures
    pytest.param(lambda: setattr(builder().weight, "value", math.nan), TraitError,
                 r"weight must be a finite number in \[0.01, 1\], got nan", id="mixture-slider-nan-weight"),
    pytest.param(lambda: MixtureBuilder(n_components=11), ValueError,
                 r"n_components must be an integer in \[1, 10\], got 11", id="mixture-too-many-components"),
    pytest.param(lambda: setattr(sampling().n_drawn, "value", 51), TraitError,
                 r"n_drawn must be an integer in \[0, 50\], got 51", id="sampling-slider-past-the-draws"),
    # the drawing pad and the drawing
    pytest.param(lambda: DrawingPad(pen_width=1e8), TraitError,
                 r"pen_width must be in \(0, 280\], got 100000000.0", id="pad-huge-pen"),
    pytest.param(lambda: setattr(DrawingPad(), "size", 5000), TraitError,
                 r"size must be an integer in \[28, 1024\], got 5000", id="pad-huge-canvas"),
    pytest.param(lambda: lm.strokes_to_image([[[10, 10]]], pen_width=1e8), ValueError,
                 r"pen_width must be in \(0, 280\], got 100000000.0", id="strokes-pen-wider-than-canvas"),
    pytest.param(lambda: lm.strokes_to_image([[[10, 10], [1e12, 5]]]), ValueError,
                 r"strokes\[0\]\[1\] = \[1e\+12, 5\] is too far off the canvas", id="strokes-point-far-off"),
    pytest.param(lambda: lm.strokes_to_image([[[1, 1]]] * 10_001), ValueError,
                 r"strokes hold 10001 strokes; at most 10000", id="strokes-too-many"),
    # latent maps and live retraining
    pytest.param(lambda: map_explorer(live_epochs=0), ValueError,
                 r"live_epochs must be an integer in \[1, 100\], got 0", id="latent-map-zero-live-epochs"),
    pytest.param(lambda: map_explorer(threshold=math.nan), ValueError,
                 r"threshold must be a finite number in \[0, 1\], got nan", id="latent-map-nan-threshold"),
    pytest.param(lambda: InterpolationExplorer([], None), TypeError,
                 r"models must be a list of latent_maps.MapModel", id="interpolation-no-models"),
    pytest.param(lambda: LiveRetrainer(synchronous=1), TypeError,
                 r"synchronous must be True or False, got 1", id="retrainer-synchronous-not-bool"),
    # the VAE's insides
    pytest.param(lambda: diagram(n_choices=0), ValueError,
                 r"n_choices must be an integer in \[1, inf\], got 0", id="diagram-no-digits"),
]


@pytest.mark.parametrize("call, error, message", WIDGET_CASES)
def test_bad_widget_input_is_refused(call, error, message):
    with pytest.raises(error, match=message):
        call()
