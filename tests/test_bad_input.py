"""Bad input across the public API, in one table: every row is a call that must be refused
with an error naming the parameter and the accepted range, never answered silently.

One row per bad call, in this simple format (rows can be added anywhere):

    pytest.param(lambda: <the bad call>, ExceptionType, r"regex the message must match", id="...")

The calls use tiny models and data (784-8-2 networks, a few random images), so each row runs
in milliseconds.

The widgets' rows (WIDGET_ROWS) follow the same format: a constructor's bad argument raises
ValueError or TypeError before anything is built or trained; a bad value set later on a slider
or on the drawing pad raises traitlets' TraitError, and the widget keeps its value. Rows that
need a built widget take it from a small cached builder (tiny settings).
"""

from __future__ import annotations

import functools
import math

import numpy as np
import pytest
import torch
from traitlets import TraitError

from explainer import (
    anatomy,
    code_space,
    compression,
    data,
    elbo,
    gmm,
    image_elbo,
    latent_mixture,
    mixture_fits,
    models,
    nonlinear_posterior,
    pca,
    strokes,
    train,
)
from explainer import hole_meter as holes
from explainer import map_models as maps
from explainer import map_views as views
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


def tiny(kind: str = "vae", **config) -> Autoencoder:
    """A 784-8-2 model of the family (a 784-2 one for "linear_ae"): built in milliseconds."""
    hidden = () if kind == "linear_ae" else (8,)
    return Autoencoder(ModelConfig(kind=kind, latent_dim=2, hidden_dims=hidden, **config))


def images(n: int = 4, *, scale: float = 1.0) -> torch.Tensor:
    """``n`` random images (n, 784) with pixel values in [0, scale]."""
    return scale * torch.rand(n, 784, generator=torch.Generator().manual_seed(0))


def map_model(kind: str = "vae") -> maps.MapModel:
    """A tiny untrained model dressed as a latent map's model."""
    return maps.MapModel(kind, 1.0, tiny(kind), train.History())


def trained_history(*, test: bool) -> train.History:
    """The history of one epoch of a tiny model, with or without a test split."""
    x = images()
    return train.fit(tiny(), x, x_test=x if test else None,
                     training=train.TrainingConfig(epochs=1)).history


def folded_q(x: float = 1.0, **grid) -> nonlinear_posterior.GaussianFit:
    """The best Gaussian q under elbo's folded decoder, on a grid of z given by ``grid``."""
    return nonlinear_posterior.fit_gaussian_q(x, decoder_mean=nonlinear_posterior.folded_decoder(),
                                              variance=0.1, **grid)


def dataset(x_train: torch.Tensor | None = None, **fields) -> ImageDataset:
    """A 4 + 4 image 28x28 dataset; ``fields`` replace any of its fields."""
    labels = torch.arange(4)
    parts = dict(name="tiny", side=28, x_train=images() if x_train is None else x_train,
                 y_train=labels, x_test=images(), y_test=labels)
    return ImageDataset(**{**parts, **fields})


TARGET = gmm.target_density()
NAN = float("nan")
BYTES = images(scale=255.0)  # MNIST as 8-bit intensities, not divided by 255
PIXELS_0_255 = (r"must hold pixel values in \[0, 1\], got values in \[0\.\d+, 25\d\.?\d*\]"
                r".*divide by 255")

ROWS = [
    # --- images outside [0, 1] meet the Bernoulli likelihood -----------------------------
    pytest.param(lambda: train.fit(tiny(), BYTES, training=train.TrainingConfig(epochs=1)),
                 ValueError, "x_train " + PIXELS_0_255, id="fit-x_train-0-255"),
    pytest.param(lambda: train.fit(tiny(), images(), x_test=BYTES,
                                   training=train.TrainingConfig(epochs=1)),
                 ValueError, "x_test " + PIXELS_0_255, id="fit-x_test-0-255"),
    pytest.param(lambda: train.fit(tiny("ae"), -images(), training=train.TrainingConfig(epochs=1)),
                 ValueError, r"x_train must hold pixel values in \[0, 1\], got values in \[-",
                 id="fit-negative-pixels"),
    pytest.param(lambda: train.evaluate(tiny(), BYTES), ValueError, "x " + PIXELS_0_255,
                 id="evaluate-0-255"),
    pytest.param(lambda: tiny().loss_terms(BYTES), ValueError, "x " + PIXELS_0_255,
                 id="loss_terms-0-255"),
    pytest.param(lambda: tiny().encode(BYTES), ValueError, "x " + PIXELS_0_255, id="encode-0-255"),
    pytest.param(lambda: tiny("noisy_ae", noise_scale=1.0)(BYTES), ValueError, "x " + PIXELS_0_255,
                 id="forward-0-255"),
    pytest.param(lambda: dataset(BYTES), ValueError, "x_train " + PIXELS_0_255, id="dataset-0-255"),
    pytest.param(lambda: image_elbo.log_importance_weights(tiny(), BYTES, n_samples=2, seed=0),
                 ValueError, "x " + PIXELS_0_255, id="importance-weights-0-255"),
    pytest.param(lambda: views.encode_images(tiny(), BYTES), ValueError,
                 "images " + PIXELS_0_255, id="encode_images-0-255"),
    pytest.param(lambda: holes.DigitClassifier().predict_proba(BYTES), ValueError,
                 "images " + PIXELS_0_255, id="classifier-0-255"),
    pytest.param(lambda: anatomy.diagram(tiny(), BYTES[0], [0.0, 0.0]), ValueError,
                 "image " + PIXELS_0_255, id="diagram-0-255"),
    pytest.param(lambda: pca.autoencoder_reconstruct(tiny("ae"), BYTES), ValueError,
                 "x " + PIXELS_0_255, id="autoencoder_reconstruct-0-255"),
    pytest.param(lambda: code_space.encode_codes(
                     Autoencoder(code_space.CodeSpaceSettings().model_config()), BYTES),
                 ValueError, "images " + PIXELS_0_255, id="encode_codes-0-255"),
    # --- the model's own methods: shape, dtype, values ------------------------------------
    pytest.param(lambda: tiny().encode(torch.rand(3, 5)), ValueError,
                 r"x must have shape \(n_samples, 784\).*got \(3, 5\)", id="encode-wrong-width"),
    pytest.param(lambda: tiny().loss_terms(torch.rand(784)),
                 ValueError, r"x must have shape \(n_samples, 784\).*got \(784,\)",
                 id="loss_terms-one-image-1d"),
    pytest.param(lambda: tiny().encode([[0.5] * 784]), TypeError,
                 "x must be a torch.Tensor or numpy array, got list", id="encode-list"),
    pytest.param(lambda: tiny().loss_terms(torch.full((2, 784), float("nan"))), ValueError,
                 "x must be finite: 1568 values are NaN", id="loss_terms-nan"),
    pytest.param(lambda: tiny().loss_terms(images(3), eps=torch.zeros(1, 2)), ValueError,
                 r"eps must have the shape of the code means \(3, 2\), got \(1, 2\)",
                 id="loss_terms-eps-broadcast"),
    # --- mixtures: sizes bounded so that no call needs more than about 1 GB ---------------
    pytest.param(lambda: gmm.mixture_density([0.0], np.ones(100_001), np.zeros(100_001),
                                             np.ones(100_001)), ValueError,
                 r"K must be in \[1, 100000\].*weights, means and stds.*got K = 100001",
                 id="mixture-too-many-components"),
    pytest.param(lambda: mixture_fits.grid_mixture(TARGET, 100_001), ValueError,
                 r"n_components must be an integer in \[1, 100000\], got 100001",
                 id="grid_mixture-too-many-components"),
    pytest.param(lambda: mixture_fits.fit_mixtures(ks=(100_000,)),
                 ValueError, r"ks\[0\] must be an integer in \[1, 512\], got 100000",
                 id="fit_mixtures-K-too-large"),
    pytest.param(lambda: mixture_fits.fit_mixtures(ks=(64,), n_samples=50),
                 ValueError, r"ks\[0\] must be at most n_samples \(50\).*got 64",
                 id="fit_mixtures-K-above-samples"),
    pytest.param(lambda: mixture_fits.fit_mixtures(ks=(2,), n_samples=20_001, use_disk_cache=False),
                 ValueError, r"n_samples must be an integer in \[1, 20000\]",
                 id="fit_mixtures-too-many-samples"),
    pytest.param(lambda: mixture_fits.fit_gaussian_mixture(np.zeros((50, 2)), 2, seed=0),
                 ValueError, r"samples must be 1-D \(one number per draw\), got shape \(50, 2\)",
                 id="fit_gaussian_mixture-2d-samples"),
    pytest.param(lambda: mixture_fits.fit_gaussian_mixture(np.arange(2000.0), 1000, seed=0),
                 ValueError, r"n_components must be an integer in \[1, 512\]",
                 id="fit_gaussian_mixture-K-too-large"),
    pytest.param(lambda: gmm.sample_mixture([1.0], [0.0], [1.0], 1_000_001, seed=0), ValueError,
                 r"n_samples must be an integer in \[1, 1000000\]", id="sample_mixture-too-many"),
    pytest.param(lambda: TARGET.sample(1_000_001, seed=0), ValueError,
                 r"n_samples must be an integer in \[1, 1000000\]", id="target-sample-too-many"),
    pytest.param(lambda: latent_mixture.latent_draws(1_000_001, seed=0), ValueError,
                 r"n_samples must be an integer in \[1, 1000000\]", id="latent_draws-too-many"),
    pytest.param(lambda: gmm.x_grid(1_000_001), ValueError,
                 r"n_points must be an integer in \[2, 1000000\]", id="x_grid-too-many-points"),
    pytest.param(lambda: gmm.component_densities(np.zeros(4195), np.ones(1000), np.zeros(1000),
                                                 np.ones(1000)), ValueError,
                 r"K \* len\(x\) must be at most 4194304.*got 1000 \* 4195",
                 id="component_densities-too-large"),
    pytest.param(lambda: gmm.component_curves(np.ones(10_000), np.zeros(10_000), np.ones(10_000),
                                              n_points=419),
                 ValueError, r"n_points must be an integer in \[2, 418\]",
                 id="component_curves-too-many-points"),
    pytest.param(lambda: latent_mixture.latent_model_density(
                     [0.0], latent_mixture.analytic_decoder(TARGET), n_quadrature=100_001),
                 ValueError, r"n_quadrature must be an integer in \[1, 100000\]",
                 id="latent_model-too-many-z"),
    pytest.param(lambda: latent_mixture.latent_mixture_densities(
                     [0.0], np.zeros(200_000), np.ones(200_000), [1]),
                 ValueError, r"mu must hold at most 100000 values \(one per z\), got 200000",
                 id="latent_mixture_densities-too-many-z"),
    pytest.param(lambda: gmm.mixture_density(np.zeros(1_000_000), np.ones(2000), np.zeros(2000),
                                             np.ones(2000)),
                 ValueError,
                 r"K \* len\(x\) must be at most 1e\+09.*got K = 2000 components"
                 r" at len\(x\) = 1000000",
                 id="mixture-too-many-evaluations"),
    pytest.param(lambda: latent_mixture.train_latent_decoder(np.arange(100.0), n_latent=1025,
                                                             n_steps=1),
                 ValueError, r"n_latent must be an integer in \[1, 1024\]",
                 id="train_latent_decoder-n_latent"),
    # --- shapes are checked, never reinterpreted --------------------------------------------
    pytest.param(lambda: views.decode_codes(tiny(), np.zeros((3, 4))), ValueError,
                 r"codes must have shape \(n, 2\) \(one row per code\), got \(3, 4\)",
                 id="latent_maps-decode_codes-3x4"),
    pytest.param(lambda: views.decode_codes(tiny(), np.zeros(2)), ValueError,
                 r"codes must have shape \(n, 2\) \(one row per code\), got \(2,\)",
                 id="latent_maps-decode_codes-1d"),
    pytest.param(lambda: code_space.decode_codes(
                     Autoencoder(code_space.CodeSpaceSettings().model_config()),
                                                 np.zeros((3, 2))), ValueError,
                 r"codes must be 1-D \(one number per code: the code is 1-D\), got shape \(3, 2\)",
                 id="code_space-decode_codes-n-by-2"),
    pytest.param(lambda: code_space.noise_densities(np.zeros(5), np.zeros((2, 2)), np.ones((2, 2))),
                 ValueError, r"means must be 1-D \(one code per image\), got shape \(2, 2\)",
                 id="noise_densities-2d-means"),
    pytest.param(lambda: views.map_view(map_model(), images(4), torch.arange(3), n_grid=2),
                 ValueError, r"y_test must hold one label per image, shape \(4,\), got \(3,\)",
                 id="map_view-labels-wrong-length"),
    pytest.param(lambda: views.map_view(map_model(), images(4), torch.full((4,), 1.7), n_grid=2),
                 TypeError, r"y_test must hold integer labels, got dtype torch.float32",
                 id="map_view-float-labels"),
    pytest.param(lambda: views.ellipse_outlines(np.zeros((3, 3)), np.ones((3, 3))), ValueError,
                 r"centres must have shape \(n, 2\), got \(3, 3\)", id="ellipses-3d-centres"),
    pytest.param(lambda: views.ellipse_outlines(np.zeros((3, 2)), np.ones((2, 2))), ValueError,
                 r"sigmas must have the shape of centres \(3, 2\), got \(2, 2\)",
                 id="ellipses-sigmas-mismatch"),
    pytest.param(lambda: views.tile_manifold(np.zeros((10, 784)), 3), ValueError,
                 r"decoded must hold n_grid\^2 = 9 images of 784 pixels, got shape \(10, 784\)",
                 id="tile_manifold-wrong-count"),
    # --- numbers: the message says what is wrong and where the accepted range is ----------
    pytest.param(lambda: ModelConfig(kind="noisy_ae", noise_scale=1e20), ValueError,
                 r"noise_scale must be in \[0, 100\], got 1e\+20", id="config-noise-1e20"),
    pytest.param(lambda: train.fit(tiny("noisy_ae", noise_scale=100.0), images(),
                                   training=train.TrainingConfig(epochs=2, lr=1e10)),
                 FloatingPointError,
                 r"diverged at epoch \d: .*the learning rate lr=1e\+10 is far above",
                 id="fit-lr-1e10"),
    pytest.param(lambda: train.fit(tiny("linear_ae"), images(scale=1e20),
                                   training=train.TrainingConfig(epochs=2)),
                 FloatingPointError,
                 r"diverged at epoch 1: .*x_train holds values up to 9\.9\d*e\+19",
                 id="fit-gaussian-data-1e20"),
    pytest.param(lambda: train.History().last(), ValueError,
                 r"the history has no epochs yet", id="history-empty"),
    pytest.param(lambda: trained_history(test=False).last("test"), ValueError,
                 r"no test split recorded \(fit was given no x_test\)", id="history-no-test"),
    pytest.param(lambda: trained_history(test=True).last("val"), ValueError,
                 r"split must be one of 'train', 'test'", id="history-bad-split"),
    pytest.param(lambda: data.load_mnist(test_fraction=0.0001),
                 ValueError,
                 r"test_fraction must be in about \(0\.001, 0\.999\).*at least one image"
                 r".*got 0\.0001",
                 id="mnist-empty-test"),
    pytest.param(lambda: data.load_mnist(test_fraction=0.9999), ValueError,
                 r"test_fraction must be in about \(0\.001, 0\.999\).*got 0\.9999",
                 id="mnist-empty-train"),
    pytest.param(lambda: data.load_digits(test_fraction=0.001),
                 ValueError, r"test_fraction must be in about \(0\.0027\d*, 0\.997\d*\)",
                 id="digits-empty-test"),
    pytest.param(lambda: elbo.normal_density(np.zeros(3), mean=0.0, log_std=-1000.0), ValueError,
                 r"log_std must be in \[-300, 300\], got -1000", id="normal_density-tiny-std"),
    pytest.param(lambda: nonlinear_posterior.fit_gaussian_q(
                     1e10, decoder_mean=nonlinear_posterior.folded_decoder(), variance=0.1),
                 ValueError,
                 r"x must be in \[-445\.2, 447\.2\] for this decoder and variance.*got 1e\+10",
                 id="fit_gaussian_q-huge-x"),
    pytest.param(lambda: nonlinear_posterior.numerical_posterior(
                     -1e6, decoder_mean=nonlinear_posterior.folded_decoder(),
                     variance=0.1, z=nonlinear_posterior.z_grid()),
                 ValueError, r"x must be in \[-445\.2, 447\.2\]", id="numerical_posterior-huge-x"),
    # --- the rest of the API: NaN, inf, negative, zero, wrong type, shape or size ----------
    pytest.param(lambda: models.reparameterize(torch.zeros(4, 2), torch.zeros(1, 2)), ValueError,
                 r"logvar must have the shape of the code means \(4, 2\), got \(1, 2\)",
                 id="reparameterize-logvar-broadcast"),
    pytest.param(lambda: ModelConfig(hidden_dims=(10**7,)),
                 ValueError, r"the model would have 16300000824 parameters.*at most 33554432",
                 id="config-huge-hidden"),
    pytest.param(lambda: ModelConfig(latent_dim=NAN), TypeError, r"latent_dim must be an integer",
                 id="config-latent-nan"),
    pytest.param(lambda: train.fit(tiny(), images(), training=train.TrainingConfig(epochs=1),
                                   callback=5),
                 TypeError, r"callback must be callable \(epoch, model, history\), got int",
                 id="fit-callback-int"),
    pytest.param(lambda: train.fit(tiny(), images(), resume="adam"),
                 TypeError, r"resume must be an explainer.train.FitResult \(or None\), got str",
                 id="fit-resume-str"),
    pytest.param(lambda: train.fit(tiny(), images(), training={"epochs": 1}),
                 TypeError, r"training must be an explainer.train.TrainingConfig, got dict",
                 id="fit-training-dict"),
    pytest.param(lambda: train.TrainingConfig(epochs=1, lr=float("inf")), ValueError,
                 r"lr must be a finite number in \(0, inf\]", id="training-lr-inf"),
    pytest.param(lambda: train.TrainingConfig(batch_size=2.5), TypeError,
                 r"batch_size must be an integer, got float 2.5", id="training-batch-float"),
    pytest.param(lambda: train.train_model(tiny().config, dataset(), training=None), TypeError,
                 r"training must be an explainer.train.TrainingConfig, got NoneType",
                 id="train_model-training-none"),
    pytest.param(lambda: train.fit(tiny(), images()[:0], training=train.TrainingConfig(epochs=1)),
                 ValueError, r"x_train must hold at least one image", id="fit-empty"),
    pytest.param(lambda: train.train_model({"kind": "vae"}, dataset(),
                                           training=train.TrainingConfig(epochs=1)),
                 TypeError, r"config must be an explainer.models.ModelConfig, got dict",
                 id="train_model-config-dict"),
    pytest.param(lambda: train.train_model(tiny().config, images(),
                                           training=train.TrainingConfig(epochs=1)),
                 TypeError, r"data must be an explainer.data.ImageDataset, got Tensor",
                 id="train_model-data-tensor"),
    pytest.param(lambda: train.evaluate(tiny(), images(), batch_size=0), ValueError,
                 r"batch_size must be an integer in \[1, inf\], got 0", id="evaluate-batch-0"),
    pytest.param(lambda: data.lit_fraction(images(), reference=0.0), ValueError,
                 r"reference must be in \(0, inf\], got 0\.0", id="lit_fraction-reference-0"),
    pytest.param(lambda: data.lit_fraction(images(), reference=-1.0), ValueError,
                 r"reference must be in \(0, inf\]", id="lit_fraction-reference-negative"),
    pytest.param(lambda: data.lit_fraction(torch.full((2, 784), NAN)), ValueError,
                 r"images must be finite", id="lit_fraction-nan"),
    pytest.param(lambda: data.moon_images([]), ValueError,
                 r"illuminated must hold at least one lit fraction", id="moon_images-empty"),
    pytest.param(lambda: data.render_moon(NAN), ValueError,
                 r"illuminated must be a finite number in \[0, 1\]", id="render_moon-nan"),
    pytest.param(lambda: data.render_moon(0.5, size=0), ValueError,
                 r"size must be an integer in \[4, 1024\], got 0", id="render_moon-size-0"),
    pytest.param(lambda: pca.decode(pca.fit_pca(images(), n_components=2), torch.full((2, 2), NAN)),
                 ValueError, r"code must be finite", id="pca-decode-nan"),
    pytest.param(lambda: pca.fit_pca(images(1)), ValueError,
                 r"x must hold at least 2 samples for a PCA, got 1", id="pca-one-sample"),
    pytest.param(lambda: pca.encode(pca.fit_pca(images(), n_components=2), images(), k=3),
                 ValueError, r"k must be an integer in \[1, 2\], got 3",
                 id="pca-encode-k-too-large"),
    pytest.param(lambda: compression.nearest_code_size(3, ()), ValueError,
                 r"grid must hold at least one code size", id="nearest_code_size-empty-grid"),
    pytest.param(lambda: compression.nearest_code_size(0), ValueError,
                 r"k must be an integer in \[1, 64\], got 0", id="nearest_code_size-k-0"),
    pytest.param(lambda: anatomy.minimize2_terms([0.0, 1.0, 2.0], [0.0]),
                 ValueError, r"logvar must have the shape of mean \(3,\), got \(1,\)",
                 id="minimize2-broadcast"),
    pytest.param(lambda: anatomy.kl_readings([0.0, 1.0, 2.0], [0.5]),
                 ValueError, r"logvar must have the shape of mean \(3,\), got \(1,\)",
                 id="kl_readings-broadcast"),
    pytest.param(lambda: anatomy.kl_readings([NAN], [0.0]), ValueError, r"mean must be finite",
                 id="kl_readings-nan"),
    pytest.param(lambda: anatomy.summarize(train.TrainedModel(tiny(), train.History(), False, ""),
                                           images(), n_images=0), ValueError,
                 r"n_images must be an integer in \[1, 4\], got 0", id="summarize-n_images-0"),
    pytest.param(lambda: anatomy.draw_noise(0, seed=0), ValueError,
                 r"latent_dim must be an integer in \[1, inf\], got 0", id="draw_noise-0"),
    pytest.param(lambda: code_space.axis_codes([0.5], NAN, 1.0), ValueError,
                 r"code_full must be a finite number", id="axis_codes-nan"),
    pytest.param(lambda: code_space.midpoint_code(0.0, float("inf")), ValueError,
                 r"code_half must be a finite number", id="midpoint-inf"),
    pytest.param(lambda: code_space.CodeSpaceSettings(kind="noisy_ae", noise_scale=-1.0),
                 ValueError,
                 r"noise_scale must be in \[0, 100\], got -1\.0", id="code_model-noise-negative"),
    pytest.param(lambda: views.plane_half_width(np.full((3, 2), NAN)), ValueError,
                 r"codes must be finite", id="plane_half_width-nan"),
    pytest.param(lambda: views.plane_half_width(np.zeros((0, 2))), ValueError,
                 r"codes must hold at least one code", id="plane_half_width-empty"),
    pytest.param(lambda: views.plane_half_width(np.zeros((3, 2)), floor=-1.0), ValueError,
                 r"floor must be in \(0, inf\], got -1\.0", id="plane_half_width-floor"),
    pytest.param(lambda: views.prior_circles((-1.0,)), ValueError,
                 r"radii must be finite and > 0", id="prior_circles-negative"),
    pytest.param(lambda: holes.nearest_distances(images(), torch.full((3, 784), NAN)), ValueError,
                 r"reference must be finite", id="nearest_distances-nan-reference"),
    pytest.param(lambda: holes.nearest_distances(images(), torch.rand(3, 10)), ValueError,
                 r"images must have shape \(n_samples, 10\)", id="nearest_distances-width"),
    pytest.param(lambda: views.interpolate(tiny(), images(1)[0, :10], images(1)[0]), ValueError,
                 r"image_a must have shape \(n_samples, 784\)", id="interpolate-wrong-size"),
    pytest.param(lambda: maps.MapGrid({("vae", 1.0): map_model()}).nearest("vae", NAN),
                 ValueError, r"value must be a finite number in \[0, inf\]",
                 id="map_grid-nearest-nan"),
    pytest.param(lambda: maps.describe("gan", 1.0), ValueError,
                 r"kind must be one of 'ae', 'noisy_ae', 'vae'", id="describe-unknown"),
    pytest.param(lambda: holes.prior_samples(0), ValueError,
                 r"n_samples must be an integer in \[1, 100000\], got 0", id="prior_samples-0"),
    pytest.param(lambda: strokes.strokes_to_image([[[0.0, NAN]]]), ValueError,
                 r"strokes\[0\] holds a non-finite coordinate", id="strokes-nan"),
    pytest.param(lambda: folded_q(z=np.linspace(-10, 10, 4001)),
                 TypeError,
                 r"z must be a float64 torch.Tensor \(use nonlinear_posterior.z_grid\(\)\)"
                 r", got ndarray",
                 id="quadrature-z-numpy"),
    pytest.param(lambda: folded_q(z=torch.tensor([-10.0, 0.0, 0.1, 10.0], dtype=torch.float64)),
                 ValueError, r"z must be evenly spaced", id="quadrature-z-uneven"),
    pytest.param(lambda: nonlinear_posterior.quadrature_log_marginal(
                     1.0, decoder_mean=nonlinear_posterior.folded_decoder(),
                     variance=0.1, z=torch.linspace(-10, 10, 101)),
                 TypeError, r"z must be a float64 torch.Tensor .*got float32",
                 id="quadrature-z-float32"),
    pytest.param(lambda: image_elbo.importance_sampled_log_likelihood(torch.full((2, 10), NAN),
                                                                      k=2),
                 ValueError, r"log_weights must not hold NaN", id="importance-nan"),
    pytest.param(lambda: image_elbo.elbo_from_weights(torch.zeros(2, 0)), ValueError,
                 r"log_weights must hold at least one sample per image, got shape \(2, 0\)",
                 id="elbo_from_weights-empty"),
    pytest.param(lambda: image_elbo.fixed_test_digits([[0.0] * 784], n_digits=1, seed=0), TypeError,
                 r"x_test must be a torch.Tensor", id="fixed_test_digits-list"),
    pytest.param(lambda: elbo.LinearGaussianDecoder(1.0, 0.0, 0.0), ValueError,
                 r"variance must be in \(0, inf\], got 0\.0", id="linear-gaussian-variance-0"),
    pytest.param(lambda: elbo.GaussianQ([0.0, 1.0], [0.0]), ValueError,
                 r"mean and log_std must have the same shape", id="gaussian-q-mismatch"),
    pytest.param(lambda: gmm.l1_error([1.0, 1.0], [0.0, 0.0], [1.0, 0.0]), ValueError,
                 r"grid must be increasing", id="l1-decreasing-grid"),
    pytest.param(lambda: mixture_fits.mean_log_likelihood([], [1.0], [0.0], [1.0]), ValueError,
                 r"samples must hold at least one draw", id="mean_log_likelihood-empty"),
    pytest.param(lambda: latent_mixture.latent_mixture_densities([0.0], [0.0], [1.0], []),
                 ValueError, r"ns must hold at least one N", id="latent_sums-no-ns"),
    pytest.param(lambda: gmm.histogram_density([0.0], [1.0, 0.0]),
                 ValueError, r"edges must be increasing, with at least 2 entries",
                 id="histogram-decreasing-edges"),
    pytest.param(lambda: gmm.mixture_density([0.0], [1.0, -1.0], [0.0, 1.0], [1.0, 1.0]),
                 ValueError, r"weights must be >= 0", id="mixture-negative-weight"),
    pytest.param(lambda: gmm.mixture_density([0.0], [1.0], [0.0], [0.0]), ValueError,
                 r"stds must be > 0", id="mixture-zero-std"),
    pytest.param(lambda: gmm.mixture_density([NAN], [1.0], [0.0], [1.0]), ValueError,
                 r"x must be finite", id="mixture-nan-x"),
]


FAST = dict(n_steps=5, hidden_dim=8)


@functools.cache
def noisy() -> NoisyCodeExplainer:
    return NoisyCodeExplainer(code_space.CodeSpaceSettings(kind="noisy_ae", **FAST),
                              frame_delay=0.0)


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
    grid = maps.MapGrid({("ae", 0.0): None, ("noisy_ae", 1.0): None, ("vae", 1.0): None})
    x, y = torch.zeros(2, 784), torch.zeros(2, dtype=torch.int64)
    data = ImageDataset(name="blank", side=28, x_train=x, y_train=y, x_test=x, y_test=y)
    return LatentMapExplorer(grid, data, holes.DigitClassifier(), **kwargs)


def diagram(**kwargs) -> DiagramExplorer:
    model = Autoencoder(ModelConfig(kind="vae", input_dim=16, latent_dim=2, hidden_dims=(8,)))
    return DiagramExplorer(model, torch.rand(3, 16), torch.arange(3), **kwargs)


WIDGET_ROWS = [
    # code axis: constructor values outside the sliders, and a slider set from Python
    pytest.param(lambda: VAECodeExplainer(code_space.CodeSpaceSettings(kind="vae", beta=5, **FAST)),
                 ValueError, r"beta must be in \[0, 2\], got 5.0", id="vae-code-beta-above-slider"),
    pytest.param(lambda: NoisyCodeExplainer(
                     code_space.CodeSpaceSettings(kind="noisy_ae", noise_scale=4, **FAST)),
                 ValueError, r"noise_scale must be in \[0, 3\], got 4.0",
                 id="noisy-code-noise-above-slider"),
    pytest.param(lambda: setattr(noisy().noise_scale, "value", -1.0),
                 TraitError, r"noise_scale must be in \[0, 3\], got -1.0",
                 id="noisy-code-slider-negative-noise"),
    # lower bound
    pytest.param(lambda: BoundSplitExplorer(log_std=1000),
                 ValueError, r"log_std must be in \[-2.5, 1\], got 1000.0",
                 id="bound-split-log-std-above-slider"),
    pytest.param(lambda: setattr(bound_split().mean, "value", math.nan),
                 TraitError, r"mean must be a finite number in \[-3, 3\], got nan",
                 id="bound-split-slider-nan-mean"),
    pytest.param(lambda: NonlinearGapExplorer(x=5.0), ValueError,
                 r"x must be in \[-0.5, 3\], got 5.0", id="nonlinear-gap-x-above-slider"),
    pytest.param(lambda: setattr(ascent().rounds, "value", 2.5), TraitError,
                 r"rounds must be an integer, got float 2.5", id="ascent-slider-fractional-rounds"),
    pytest.param(lambda: ImportanceSamplingExplorer(torch.zeros(2, 10), k=3), ValueError,
                 r"k must be one of 1, 2, 5, 10; got 3", id="importance-k-not-a-stop"),
    # mixtures
    pytest.param(lambda: setattr(builder().weight, "value", math.nan),
                 TraitError, r"weight must be a finite number in \[0.01, 1\], got nan",
                 id="mixture-slider-nan-weight"),
    pytest.param(lambda: MixtureBuilder(n_components=11),
                 ValueError, r"n_components must be an integer in \[1, 10\], got 11",
                 id="mixture-too-many-components"),
    pytest.param(lambda: setattr(sampling().n_drawn, "value", 51),
                 TraitError, r"n_drawn must be an integer in \[0, 50\], got 51",
                 id="sampling-slider-past-the-draws"),
    # the drawing pad and the drawing
    pytest.param(lambda: DrawingPad(pen_width=1e8), TraitError,
                 r"pen_width must be in \(0, 280\], got 100000000.0", id="pad-huge-pen"),
    pytest.param(lambda: setattr(DrawingPad(), "size", 5000), TraitError,
                 r"size must be an integer in \[28, 1024\], got 5000", id="pad-huge-canvas"),
    pytest.param(lambda: strokes.strokes_to_image([[[10, 10]]], pen_width=1e8),
                 ValueError, r"pen_width must be in \(0, 280\], got 100000000.0",
                 id="strokes-pen-wider-than-canvas"),
    pytest.param(lambda: strokes.strokes_to_image([[[10, 10], [1e12, 5]]]),
                 ValueError, r"strokes\[0\]\[1\] = \[1e\+12, 5\] is too far off the canvas",
                 id="strokes-point-far-off"),
    pytest.param(lambda: strokes.strokes_to_image([[[1, 1]]] * 10_001), ValueError,
                 r"strokes hold 10001 strokes; at most 10000", id="strokes-too-many"),
    # latent maps and live retraining
    pytest.param(lambda: map_explorer(live_epochs=0),
                 ValueError, r"live_epochs must be an integer in \[1, 100\], got 0",
                 id="latent-map-zero-live-epochs"),
    pytest.param(lambda: map_explorer(threshold=math.nan),
                 ValueError, r"threshold must be a finite number in \[0, 1\], got nan",
                 id="latent-map-nan-threshold"),
    pytest.param(lambda: InterpolationExplorer([], None), TypeError,
                 r"models must be a list of map_models.MapModel", id="interpolation-no-models"),
    pytest.param(lambda: LiveRetrainer(synchronous=1), TypeError,
                 r"synchronous must be True or False, got 1", id="retrainer-synchronous-not-bool"),
    # the VAE's insides
    pytest.param(lambda: diagram(n_choices=0), ValueError,
                 r"n_choices must be an integer in \[1, inf\], got 0", id="diagram-no-digits"),
]


@pytest.mark.parametrize("call, error, match", ROWS + WIDGET_ROWS)
def test_bad_input_is_refused(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_valid_input_still_passes():
    """The same entry points accept images in [0, 1], as float32, float64 or 28x28."""
    model = tiny()
    x = images()
    assert model.encode(x.double())[0].shape == (4, 2)
    assert model.loss_terms(x.reshape(4, 28, 28)).total.shape == (4,)
    assert train.evaluate(model, x)["total"] > 0
    assert dataset().x_train.dtype == torch.float32
