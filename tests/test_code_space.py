"""The code-space computations: training, decoding along the axis, bands, distances."""

from __future__ import annotations

import base64
import dataclasses
import io
import math

import numpy as np
import pytest
import torch
from PIL import Image

from explainer import code_space as cs
from explainer.data import moon_images, moon_pair
from explainer.models import Autoencoder, ModelConfig
from explainer.plots import code_space as plots
from explainer.plots import trace

FAST = dict(n_steps=40, hidden_dim=16)
Settings = cs.CodeSpaceSettings


@pytest.fixture(scope="module")
def ae_space():
    return cs.explore_code_space(Settings("two_moons", kind="ae", **FAST))


def test_training_images_full_first_half_last():
    two = cs.training_images("two_moons")
    assert two.shape == (2, 784)
    assert torch.equal(two, moon_pair())
    phases = cs.training_images("phases", n_phases=5)
    assert phases.shape == (5, 784)
    assert torch.equal(phases[0], two[0]) and torch.equal(phases[-1], two[1])


def test_training_images_refuses_bad_input():
    with pytest.raises(ValueError, match="training_set must be one of"):
        cs.training_images("three_moons")
    with pytest.raises(ValueError, match="n_phases must be an integer in"):
        cs.training_images("phases", n_phases=2)


def test_reference_distances_known_values():
    refs = cs.reference_moons()
    d = cs.image_distances(refs, refs)
    assert np.allclose(np.diag(d), 0.0)
    # full and half moon differ from the 3/4 moon in a quarter of the disc each: same distance
    assert d[0, 1] == pytest.approx(d[2, 1], abs=0.01)
    assert 0.3 < d[0, 1] < 0.4
    # the pixel-wise average of full and half: half-bright on the whole left half
    average = 0.5 * (refs[0] + refs[2])
    assert cs.image_distances(average[None], refs)[0, 1] == pytest.approx(0.24, abs=0.01)


def test_image_distances_is_rms():
    a = np.zeros((1, 784))
    b = np.full((2, 784), 0.5)
    b[1, :392] = 0.0
    # sqrt(mean(0.25)) = 0.5;  sqrt(0.25 / 2)
    assert np.allclose(cs.image_distances(a, b), [[0.5, math.sqrt(0.125)]])
    with pytest.raises(ValueError, match="images must have shape"):
        cs.image_distances(np.zeros((1, 10)), b)


def test_axis_codes_and_midpoint():
    assert np.allclose(cs.axis_codes(np.array([0.0, 0.5, 1.0, 2.0]), 2.0, -2.0), [2, 0, -2, -6])
    assert cs.midpoint_code(2.0, -3.0) == -0.5


def test_noise_densities_integrate_to_one_and_refuse_zero_width():
    codes = np.linspace(-20, 20, 4001)
    dens = cs.noise_densities(codes, np.array([-1.0, 3.0]), np.array([0.5, 2.0]))
    assert dens.shape == (2, 4001)
    assert np.allclose(np.trapezoid(dens, codes, axis=1), 1.0, atol=1e-6)
    assert codes[dens[0].argmax()] == pytest.approx(-1.0, abs=0.01)
    with pytest.raises(ValueError, match="sigmas must be finite and > 0"):
        cs.noise_densities(codes, np.array([0.0]), np.array([0.0]))
    with pytest.raises(ValueError, match="same length"):
        cs.noise_densities(codes, np.array([0.0, 1.0]), np.array([1.0]))


def test_settings_give_the_model_config_and_the_images():
    assert Settings().model_config().kind == "ae"
    noisy = Settings(kind="noisy_ae", noise_scale=0.5, beta=1.0).model_config()
    assert (noisy.kind, noisy.noise_scale, noisy.beta) == ("noisy_ae", 0.5, 1.0)
    assert noisy.latent_dim == 1 and noisy.hidden_dims == (cs.DEFAULT_HIDDEN,)
    # no noise: the plain AE
    assert Settings(kind="noisy_ae", noise_scale=0.0).model_config().kind == "ae"
    vae = Settings(kind="vae", beta=0.0).model_config()
    assert (vae.kind, vae.beta) == ("vae", 0.0)
    assert torch.equal(Settings().images(), moon_pair())
    assert Settings("phases", n_phases=5).images().shape == (5, 784)
    # validated once, when made: the fields hold the checked values
    s = Settings(noise_scale=0, beta=0, lr=1)
    assert isinstance(s.noise_scale, float) and isinstance(s.lr, float)


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        (dict(kind="pca"), ValueError, "kind must be one of"),
        (dict(kind="noisy_ae", noise_scale=-0.1), ValueError, r"noise_scale must be in \[0, 100\]"),
        (dict(kind="noisy_ae", noise_scale=0.0, beta=1.0), ValueError,
         "beta > 0 needs noise_scale > 0"),
        (dict(kind="vae", beta=-1.0), ValueError, r"beta must be in \[0, 1000\]"),
        (dict(kind="vae", beta=float("nan")), ValueError, "beta must be a finite number"),
        (dict(kind="ae", beta="1"), TypeError, "beta must be a real number"),
        (dict(kind="vae", noise_scale=0.5), ValueError, "noise_scale applies to kind='noisy_ae'"),
        (dict(kind="ae", hidden_dim=0), ValueError, "hidden_dim must be an integer in"),
        (dict(training_set="three_moons"), ValueError, "training_set must be one of"),
        (dict(training_set="phases", n_phases=2), ValueError, "n_phases must be an integer in"),
        (dict(n_steps=0), ValueError, r"n_steps must be an integer in \[1, 100000\], got 0"),
        (dict(lr=0.0), ValueError, "lr must be in"),
        (dict(seed=0.5), TypeError, "seed must be an integer"),
    ],
)
def test_settings_refuse_bad_input(kwargs, error, message):
    with pytest.raises(error, match=message):
        Settings(**kwargs)


def test_training_is_deterministic_and_reconstructs():
    images = moon_pair()
    settings = Settings(kind="noisy_ae", noise_scale=0.5, beta=1.0, seed=3, **FAST)
    a = cs.train_code_model(settings)
    b = cs.train_code_model(settings)
    assert a.history.train_total == b.history.train_total
    means_a, sigmas_a = cs.encode_codes(a.model, images)
    means_b, _ = cs.encode_codes(b.model, images)
    assert np.array_equal(means_a, means_b)
    assert np.allclose(sigmas_a, 0.5)
    assert len(a.history.epoch) == FAST["n_steps"]  # full batch: one step per epoch


def test_ae_reconstructs_the_two_moons():
    images = moon_pair()
    result = cs.train_code_model(Settings(kind="ae", n_steps=150))
    means, sigmas = cs.encode_codes(result.model, images)
    assert np.array_equal(sigmas, [0.0, 0.0])
    decoded = cs.decode_codes(result.model, means)
    assert np.abs(decoded - images.numpy()).mean() < 0.02


def test_training_refuses_anything_but_settings():
    for train in (cs.train_code_model, cs.explore_code_space, cs.training_replay):
        with pytest.raises(TypeError, match="settings must be an explainer.code_space.CodeSpace"):
            train({"kind": "ae"})


def test_measure_code_space_shapes_and_consistency(ae_space):
    result, space = ae_space
    model = result.model
    assert space.kind == "ae" and space.densities is None and space.separation == math.inf
    assert space.strip_images.shape == (13, 784)
    assert np.allclose(space.strip_t, np.arange(-1, 2.01, 0.25))
    # the strip passes through both codes and the midpoint
    assert space.strip_codes[4] == pytest.approx(space.means[0])
    assert space.strip_codes[8] == pytest.approx(space.means[-1])
    assert space.strip_codes[6] == pytest.approx(space.midpoint)
    assert np.allclose(space.strip_images[6], space.midpoint_image, atol=1e-6)
    # every number is what the pure functions give
    curve_images = cs.decode_codes(model, space.curve_codes)
    assert np.allclose(space.distances, cs.image_distances(curve_images, cs.reference_moons()))
    assert np.allclose(space.midpoint_distances,
                       cs.image_distances(space.midpoint_image[None], cs.reference_moons())[0])
    assert space.distances.shape == (121, 3) and space.lit.shape == (121,)


def test_measure_code_space_bands_for_noisy_model():
    _, space = cs.explore_code_space(Settings("phases", kind="noisy_ae", noise_scale=0.5, beta=1.0,
                                              n_phases=4, **FAST))
    assert space.densities.shape == (4, 121)
    assert np.allclose(space.sigmas, 0.5)
    gap = abs(space.means[-1] - space.means[0])
    assert space.separation == pytest.approx(gap / 0.5)


def test_measure_code_space_refuses_bad_input(ae_space):
    result, _ = ae_space
    with pytest.raises(ValueError, match="at least 2 moons"):
        cs.measure_code_space(result.model, moon_pair()[:1])
    with pytest.raises(ValueError, match=r"reach must be in \[0, 10\]"):
        cs.measure_code_space(result.model, moon_pair(), reach=-1)
    with pytest.raises(TypeError, match="model must be an explainer.models.Autoencoder"):
        cs.measure_code_space("model", moon_pair())
    wide = Autoencoder(ModelConfig(kind="ae", latent_dim=2, hidden_dims=(8,)))
    with pytest.raises(ValueError, match="1-D code"):
        cs.measure_code_space(wide, moon_pair())


def test_vae_variance_collapses_without_kl():
    images = moon_pair()
    collapsed = cs.train_code_model(Settings(kind="vae", beta=0.0, n_steps=150))
    kept = cs.train_code_model(Settings(kind="vae", beta=1.0, n_steps=150))
    _, s0 = cs.encode_codes(collapsed.model, images)
    _, s1 = cs.encode_codes(kept.model, images)
    assert np.median(s0) < np.median(s1)


def test_training_replay_ends_at_the_trained_model():
    frames = cs.training_replay(Settings("two_moons", kind="ae", **FAST), every=10)
    assert [step for step, _ in frames] == [1, 10, 20, 30, 40]
    _, final = cs.explore_code_space(Settings("two_moons", kind="ae", **FAST))
    assert np.allclose(frames[-1][1].means, final.means)
    with pytest.raises(ValueError, match="every must be an integer in"):
        cs.training_replay(Settings(), every=0)


def test_training_replay_hands_over_each_frame_as_it_is_measured():
    seen = []
    frames = cs.training_replay(Settings("two_moons", kind="ae", **FAST), every=10,
                                on_frame=lambda step, space: seen.append((step, space)))
    assert [step for step, _ in seen] == [1, 10, 20, 30, 40]
    assert all(a is b for (_, a), (_, b) in zip(seen, frames))
    with pytest.raises(TypeError, match="on_frame must be callable or None, got int"):
        cs.training_replay(Settings(), on_frame=3)


def test_sweep_trains_one_model_per_value_and_seed():
    out = cs.sweep("noise_scale", [0.5, 1.0], kind="noisy_ae", seeds=(0, 1), **FAST)
    assert [[s.noise_scale for s in row] for row in out] == [[0.5, 0.5], [1.0, 1.0]]
    with pytest.raises(ValueError, match="setting must be one of"):
        cs.sweep("lr", [0.1])
    with pytest.raises(ValueError, match="at least one entry"):
        cs.sweep("beta", [])
    with pytest.raises(ValueError, match="seed is swept, so it cannot also be fixed"):
        cs.sweep("beta", [1.0], seed=3)


def test_figures_hold_the_measurements(ae_space):
    _, space = ae_space
    fig = plots.code_space_figure(space)
    assert [t.name for t in fig.data] == list(plots.TRACE_NAMES)
    assert np.allclose(trace(fig, "codes").x, space.means)
    assert np.allclose(trace(fig, "distance to 3/4 moon").y, space.distances[:, 1])
    assert np.allclose(trace(fig, "lit fraction").y, space.lit)
    assert trace(fig, "decoded strip").source.startswith("data:image/png;base64,")
    strips = plots.strips_figure({"a": space, "b": space})
    assert [t.name for t in strips.data] == [plots.STRIPS]
    with pytest.raises(ValueError, match="at least one CodeSpace"):
        plots.strips_figure({})
    sweep = plots.sweep_figure(np.array([0.1, 1.0]), {"a": np.array([1.0, 2.0])},
                               x_title="x", y_title="y", log_y=True)
    assert sweep.layout.yaxis.type == "log"
    with pytest.raises(ValueError, match="has shape"):
        plots.sweep_figure(np.array([0.1, 1.0]), {"a": np.array([1.0])}, x_title="x", y_title="y")


def png_tiles(uri: str, *, n_rows: int = 1) -> np.ndarray:
    """The 28x28 tiles of a tiled PNG (2 px apart), row by row, as values in [0, 1]."""
    png = base64.b64decode(uri.split(",", 1)[1])
    a = np.asarray(Image.open(io.BytesIO(png)).convert("L"), dtype=float) / 255
    n_cols = (a.shape[1] + 2) // 30
    return np.stack([a[30 * r:30 * r + 28, 30 * c:30 * c + 28]
                     for r in range(n_rows) for c in range(n_cols)])


def mirrored(space: cs.CodeSpace) -> cs.CodeSpace:
    """The same model with its code axis flipped (c -> -c): an encoder free to choose
    either sign could have learnt it."""
    return dataclasses.replace(space, means=-space.means, strip_codes=-space.strip_codes,
                               curve_codes=-space.curve_codes, midpoint=-space.midpoint)


def test_every_strip_runs_from_the_full_moon_on_the_left(ae_space):
    """One direction everywhere: the strips run in t (full moon's side left, half moon's
    right), and the code axes are reversed exactly when the full moon's code is larger."""
    _, space = ae_space
    refs = cs.reference_moons().numpy()
    for s in (space, mirrored(space)):
        fig = plots.code_space_figure(s)
        reversed_ = s.means[0] > s.means[-1]
        assert plots.axis_reversed(s) == reversed_
        assert (fig.layout.xaxis.autorange == "reversed") == reversed_
        assert (fig.layout.xaxis4.autorange == "reversed") == reversed_
        tiles = png_tiles(trace(fig, "decoded strip").source)
        assert np.allclose(tiles, s.strip_images.reshape(-1, 28, 28), atol=1 / 255)
        # the tile at t = 0 is the full moon's reconstruction, at t = 1 the half moon's
        at = {float(t): i for i, t in enumerate(s.strip_t)}
        d = cs.image_distances(tiles[[at[0.0], at[1.0]]].reshape(2, -1), refs[[0, 2]])
        assert d[0, 0] < d[0, 1] and d[1, 1] < d[1, 0]
        # the far point sits beyond the half moon, on the right
        far = trace(fig, "far point (t = 2)").x[0]
        assert (far < s.means[-1]) == reversed_
    # both ways of the axis give the same strips in the comparison figure
    strips = plots.strips_figure({"as learnt": space, "mirrored": mirrored(space)})
    tiles = png_tiles(trace(strips, plots.STRIPS).source, n_rows=2)
    n = len(space.strip_t) + 3
    assert np.allclose(tiles[:n - 3], space.strip_images.reshape(-1, 28, 28), atol=1 / 255)
    assert np.allclose(tiles[n:2 * n - 3], tiles[:n - 3])


def test_titles_are_short_enough_to_read(ae_space):
    """No line of a title longer than the figure can show (about 100 characters at 700 px)."""
    _, space = ae_space
    fig = plots.code_space_figure(space)
    lines = fig.layout.title.text.split("<br>")
    assert len(lines) == 2 and all(len(line) <= 100 for line in lines)
    _, vae = cs.explore_code_space(Settings("two_moons", kind="vae", beta=1.0, **FAST))
    assert all(len(line) <= 100 for line in plots.describe(vae).split("<br>"))
    assert all(len(a.text) <= 90 for a in fig.layout.annotations)


def test_band_traces_for_many_phases():
    _, space = cs.explore_code_space(Settings("phases", kind="noisy_ae", noise_scale=0.5,
                                              n_phases=4, **FAST))
    data = plots.code_space_updates(space)
    assert np.allclose(data["full moon's band"]["y"], space.densities[0])
    assert np.allclose(data["half moon's band"]["y"], space.densities[-1])
    # the two middle phases in one trace, separated by NaN
    others = data["other phases' bands"]["y"]
    assert others.size == 2 * (121 + 1)
    assert np.isnan(others[121])


def test_moon_images_match_reference_order():
    assert torch.equal(cs.reference_moons(), moon_images([1.0, 0.75, 0.5]))


def test_rounded_band():
    assert cs.rounded_band(0.27) == "0.15-0.30"
    assert cs.rounded_band(0.047) == "0.00-0.15"
    assert cs.rounded_band(0.35, width=0.1) == "0.30-0.40"
    with pytest.raises(ValueError, match=r"width must be in \(0, 10\]"):
        cs.rounded_band(0.3, width=0.0)
    with pytest.raises(ValueError, match="value must be in"):
        cs.rounded_band(-0.1)


def test_coarse_band():
    edges = (3.0, 5.0, 20.0)
    assert cs.coarse_band(16.0, edges=edges) == "5 to 20"
    assert cs.coarse_band(2.0, edges=edges) == "less than 3"
    assert cs.coarse_band(40.0, edges=edges) == "more than 20"
    assert cs.coarse_band(5.0, edges=edges) == "5 to 20"  # a band holds its lower edge
    assert cs.coarse_band(np.float64(0.01), edges=cs.WIDTH_EDGES) == "0.003 to 0.03"
    assert cs.coarse_band(0.0, edges=cs.SEPARATION_EDGES) == "less than 3"
    with pytest.raises(ValueError, match="value must be in"):
        cs.coarse_band(-1.0, edges=edges)
    with pytest.raises(ValueError, match="value must be a finite number"):
        cs.coarse_band(math.inf, edges=edges)
    with pytest.raises(ValueError, match="edges must increase"):
        cs.coarse_band(1.0, edges=(5.0, 3.0))
    with pytest.raises(ValueError, match="at least one number"):
        cs.coarse_band(1.0, edges=())


def test_gap_and_spacing_error_of_the_codes(ae_space):
    _, space = ae_space
    assert space.gap == pytest.approx(abs(space.means[-1] - space.means[0]))
    assert space.spacing_error == pytest.approx(0.0)  # two images: nothing in between
    # four codes, evenly spaced but for the third, which sits at t = 0.5 instead of 2/3
    uneven = dataclasses.replace(space, means=np.array([2.0, 0.0, -1.0, -4.0]))
    assert uneven.gap == pytest.approx(6.0)
    # t = (0, 1/3, 1/2, 1) against (0, 1/3, 2/3, 1): largest shift 1/6
    assert uneven.spacing_error == pytest.approx(1 / 6)
    # the sign of the axis does not matter
    assert mirrored(uneven).spacing_error == pytest.approx(1 / 6)
    collapsed = dataclasses.replace(space, means=np.array([1.0, 1.0]))
    assert collapsed.gap == 0 and collapsed.spacing_error == math.inf


def test_density_axis_says_when_there_are_no_bands(ae_space):
    _, space = ae_space
    plain = plots.code_space_figure(space)
    assert plain.layout.yaxis.title.text.startswith("no noise")
    assert plain.layout.yaxis.showticklabels is False
    _, noisy = cs.explore_code_space(Settings("two_moons", kind="noisy_ae", noise_scale=0.5,
                                              **FAST))
    banded = plots.code_space_figure(noisy)
    assert banded.layout.yaxis.title.text == "density" and banded.layout.yaxis.showticklabels
