import base64

import numpy as np
import pytest
import torch

from explainer import anatomy
from explainer.data import moon_phases
from explainer.models import Autoencoder, ModelConfig
from explainer.plots import anatomy as plots
from explainer.plots import trace
from explainer.widgets.anatomy import DiagramExplorer, KLWeightExplorer
from tiny_vaes import tiny_vaes

VAE8 = ModelConfig(kind="vae", latent_dim=8, hidden_dims=(16,))


@pytest.fixture(scope="module")
def images():
    return moon_phases(12)


@pytest.fixture(scope="module")
def trained(images):
    return tiny_vaes(VAE8, images, (0.0, 1.0, 5.0), epochs=5)


def test_minimize2_is_twice_the_kl_under_the_log_variance_reading():
    rng = np.random.default_rng(0)
    for _ in range(20):
        m, s = rng.normal(size=8), rng.normal(scale=2, size=8)
        r = anatomy.kl_readings(m, s)
        assert r["minimize2"] == pytest.approx(2 * r["kl_log_variance"], rel=1e-6)
        assert r["torch_log_variance"] == pytest.approx(r["kl_log_variance"], rel=1e-6)
        assert r["kl_log_std"] != pytest.approx(r["kl_log_variance"], rel=1e-3)


def test_minimize2_terms_vanish_at_the_prior():
    noise_part, mean_part = anatomy.minimize2_terms(np.zeros(3), np.zeros(3))
    assert np.all(noise_part == 0) and np.all(mean_part == 0)
    noise_part, _ = anatomy.minimize2_terms(np.zeros(2), np.array([-2.0, 2.0]))
    assert np.all(noise_part > 0)


def test_diagram_adds_scaled_noise(trained, images):
    model = trained[1.0].model
    e = anatomy.draw_noise(8, seed=3)
    d = anatomy.diagram(model, images[4], e)
    # c = m + exp(s / 2) e
    assert np.allclose(d.code, d.mean + np.exp(d.logvar / 2) * e, atol=1e-6)
    assert np.allclose(d.sigma, np.exp(d.logvar / 2))
    assert d.decoded.shape == (784,) and 0 <= d.decoded.min() and d.decoded.max() <= 1
    assert np.array_equal(anatomy.draw_noise(8, seed=3), e)


def test_diagram_bad_input(trained, images):
    with pytest.raises(ValueError, match="noise must hold 8 finite numbers"):
        anatomy.diagram(trained[1.0].model, images[0], np.zeros(3))
    with pytest.raises(ValueError, match="noise must hold 8 finite numbers"):
        anatomy.diagram(trained[1.0].model, images[0], np.full(8, np.nan))
    ae = Autoencoder(ModelConfig(kind="ae", latent_dim=8, hidden_dims=(16,)))
    with pytest.raises(ValueError, match="model must be a VAE"):
        anatomy.diagram(ae, images[0], np.zeros(8))
    with pytest.raises(ValueError, match=r"latent_dim must be an integer in \[1, inf\]"):
        anatomy.draw_noise(0, seed=0)


def test_summary_counts_active_dimensions(trained, images):
    s = anatomy.summarize(trained[1.0], images, n_images=4, n_samples=5)
    assert s.logvars.shape == (12, 8) and s.kl_per_dim.shape == (8,)
    assert s.active == int((s.kl_per_dim > anatomy.ACTIVE_KL).sum())
    assert s.reconstructions.shape == (4, 784) and s.samples.shape == (5, 784)
    assert s.mean_logvar == pytest.approx(float(s.logvars.mean()))
    # the floor is the images' own pixel entropy, and the title names it
    x = images.double()
    entropy = -(x * x.log().nan_to_num(0.0) + (1 - x) * (1 - x).log().nan_to_num(0.0)).sum(1)
    assert s.entropy_floor == pytest.approx(float(entropy.mean()), rel=1e-4)
    assert f"pixel entropy floor {s.entropy_floor:.0f}" in plots.beta_title(s)


def test_diagram_widget_follows_every_control(trained, images):
    labels = torch.arange(12)
    w = DiagramExplorer(trained[1.0].model, images, labels, n_choices=6)

    def bars():
        return [np.asarray(trace(w.fig, name).y) for name in plots.BAR_NAMES]

    w.digit.value = 3
    d = anatomy.diagram(trained[1.0].model, images[3], w.noise)
    assert np.allclose(bars()[0], d.mean) and np.allclose(bars()[1], d.logvar)
    assert np.allclose(bars()[4], d.code)
    before = w.noise.copy()
    w.resample.click()
    assert not np.array_equal(w.noise, before)
    assert np.allclose(bars()[3], w.noise)
    w.dimension.value = 2
    assert w.e_value.value == pytest.approx(round(float(np.clip(w.noise[2], -3, 3)), 1))
    noise_after_select = w.noise.copy()
    assert np.array_equal(noise_after_select, w.noise)  # selecting does not change e
    w.e_value.value = 2.5
    assert w.noise[2] == pytest.approx(2.5) and bars()[3][2] == pytest.approx(2.5)
    assert "Minimize2" in w.readings.value


def test_diagram_widget_refuses_bad_values_and_says_when_e_is_off_the_slider(trained, images):
    from traitlets import TraitError

    labels = torch.arange(12)
    with pytest.raises(ValueError, match=r"n_choices must be an integer in \[1, inf\], got 0"):
        DiagramExplorer(trained[1.0].model, images, labels, n_choices=0)
    w = DiagramExplorer(trained[1.0].model, images, labels, n_choices=6)
    with pytest.raises(TraitError, match=r"e must be in \[-3, 3\], got 4.0"):
        w.e_value.value = 4.0
    # a drawn e beyond the slider's range: the slider shows its end, the readings say so
    w.noise_state.set(1, 3.4)
    w.dimension.value = 1
    assert w.e_value.value == 3.0 and w.noise[1] == 3.4
    assert "dim 2's e is 3.40, beyond the slider's range [-3, 3]" in w.readings.value
    with pytest.raises(ValueError, match="trained must hold at least one"):
        KLWeightExplorer({}, images)


def test_kl_weight_widget_redraws_each_cached_weight(trained, images):
    w = KLWeightExplorer(trained, images)
    for beta in (0.0, 5.0, 1.0):
        w.beta.value = beta
        expected = plots.beta_updates(w.summaries[beta])
        assert np.allclose(np.asarray(trace(w.fig, plots.LOGVAR_HISTOGRAM).x),
                           expected[plots.LOGVAR_HISTOGRAM]["x"])
        assert np.allclose(np.asarray(trace(w.fig, plots.KL_BARS).y), expected[plots.KL_BARS]["y"])
        assert (trace(w.fig, plots.RECONSTRUCTIONS).source
                == expected[plots.RECONSTRUCTIONS]["source"])
        assert (trace(w.fig, plots.PRIOR_SAMPLES).source
                == expected[plots.PRIOR_SAMPLES]["source"])
        assert f"beta = {beta:g}" in w.fig.layout.title.text
    with pytest.raises(Exception, match="Invalid selection"):
        w.beta.value = 0.5  # not on the trained grid: the slider refuses it


def test_active_units_is_the_variance_of_the_means_over_the_images():
    g = torch.Generator().manual_seed(0)
    # dimension 0 varies with the image (active), dimension 1 is the same for every image
    mean = torch.stack([torch.randn(50, generator=g), torch.full((50,), 0.3)], dim=1)
    assert anatomy.active_units(mean).tolist() == [True, False]
    assert anatomy.active_units(mean.numpy(), threshold=10.0).tolist() == [False, False]
    with pytest.raises(ValueError, match="at least two images"):
        anatomy.active_units(mean[:1])
    with pytest.raises(ValueError, match="threshold"):
        anatomy.active_units(mean, threshold=-1.0)


def test_diagram_widget_offers_the_digits_it_is_given(trained, images):
    labels = torch.arange(12) % 4
    w = DiagramExplorer(trained[1.0].model, images, labels, digits=[5, 2, 9])
    assert [v for _, v in w.digit.options] == [5, 2, 9] and w.digit.value == 5
    assert w.digit.options[0][0] == "test digit 5 (a 1)"
    means = plots.BAR_NAMES[0]
    d = anatomy.diagram(trained[1.0].model, images[5], w.noise)
    assert np.allclose(np.asarray(trace(w.fig, means).y), d.mean)
    w.digit.value = 9
    d = anatomy.diagram(trained[1.0].model, images[9], w.noise)
    assert np.allclose(np.asarray(trace(w.fig, means).y), d.mean)
    with pytest.raises(ValueError, match=r"digit must be an integer in \[0, 11\], got 12"):
        DiagramExplorer(trained[1.0].model, images, labels, digits=[12])
    with pytest.raises(ValueError, match="digits must name at least one image"):
        DiagramExplorer(trained[1.0].model, images, labels, digits=[])


def test_diagram_noise_draws_again_from_the_next_seed_and_sets_one_dimension():
    noise = anatomy.DiagramNoise(4, seed=7)
    first = noise.e.copy()
    assert np.array_equal(first, anatomy.draw_noise(4, seed=7))
    assert np.array_equal(noise.draw_new(), anatomy.draw_noise(4, seed=8))
    before = noise.e
    after = noise.set(2, 1.5)
    assert after[2] == 1.5 and before[2] != 1.5  # a new array; the earlier one is kept
    with pytest.raises(ValueError, match=r"dim must be an integer in \[0, 3\], got 4"):
        noise.set(4, 0.0)
    with pytest.raises(ValueError, match="e must be a finite number"):
        noise.set(0, float("nan"))
    noise.set(0, 0.5)
    assert noise.describe() == "e: draw 1 (seed 8), dims 1, 3 set by hand"
    noise.draw_new()
    assert noise.describe() == "e: draw 2 (seed 9)" and noise.hand_set == ()


def test_noise_draws_are_the_widgets_draws_in_order():
    draws = anatomy.noise_draws(3, seed=4, n_draws=5)
    assert draws.shape == (5, 3) and draws.dtype == np.float32
    noise = anatomy.DiagramNoise(3, seed=4)
    assert np.array_equal(draws[0], noise.e)
    for k in range(1, 5):
        assert np.array_equal(draws[k], noise.draw_new())
    with pytest.raises(ValueError, match=r"n_draws must be an integer in \[1, 100000\], got 0"):
        anatomy.noise_draws(3, seed=4, n_draws=0)


def test_diagram_widget_with_several_kl_weights_follows_the_weight(trained, images):
    labels = torch.arange(12)
    w = DiagramExplorer(trained, images, labels, n_choices=4)
    assert list(w.models) == [0.0, 1.0, 5.0] and w.beta.value == 1.0
    assert [g.label for g in w.exported_controls()] == ["digit", "KL weight"]
    means = plots.BAR_NAMES[0]
    for beta in (5.0, 0.0):
        w.beta.value = beta
        d = anatomy.diagram(trained[beta].model, images[0], w.noise)
        assert np.allclose(np.asarray(trace(w.fig, means).y), d.mean)
        assert np.allclose(np.asarray(trace(w.fig, plots.BAR_NAMES[4]).y), d.code)
    assert "e: draw 0 (seed 0)" in w.readings.value
    # one model: no KL weight slider, in the kernel or in the page
    one = DiagramExplorer(trained[1.0].model, images, labels, n_choices=4)
    assert [g.label for g in one.exported_controls()] == ["digit"]
    assert '"KL weight"' not in one.kernel_controls()
    with pytest.raises(TypeError, match="model must be an explainer.models.Autoencoder"):
        DiagramExplorer({1.0: "vae"}, images, labels)
    with pytest.raises(TypeError, match="model must be an explainer.models.Autoencoder"):
        DiagramExplorer({}, images, labels)


def test_diagram_live_figure_carries_what_the_page_computes_from(trained, images):
    from explainer.widgets.anatomy import float32_bytes
    from explainer.widgets.live import KINDS, packed_models

    labels = torch.arange(12)
    w = DiagramExplorer(trained, images, labels, digits=[3, 7], seed=5)
    w.resample.click()
    w.dimension.value = 2
    w.e_value.value = 1.5
    [live] = w.live_figures()
    assert live.kind == "anatomy" and "anatomy" in KINDS and live.figure == 0
    spec = live.spec
    # the digits, exactly (float32 bytes), labelled as the page's digit slider
    assert spec["digit"]["labels"] == [lab for lab, _ in w.digit.options]
    for k, i in enumerate((3, 7)):
        pixels = np.frombuffer(base64.b64decode(spec["digit"]["pixels"][k]), dtype="<f4")
        assert np.array_equal(pixels, images[i].numpy())
    # every KL weight's model, by the slider's labels, packed with its encoder
    ids, models = packed_models([trained[b].model for b in (0.0, 1.0, 5.0)],
                                parts=("decoder", "encoder"))
    assert spec["model"] == {"slider": "KL weight", "table": dict(zip(["0", "1", "5"], ids)),
                             "default": "1"}
    assert dict(live.models) == models
    # the kernel's draws (from seed 5 on) and the noise shown now
    draws = np.frombuffer(base64.b64decode(spec["noise"]["draws"]), dtype="<f4")
    assert np.array_equal(draws.reshape(-1, 8), anatomy.noise_draws(8, seed=5, n_draws=100))
    assert spec["noise"]["draw"] == 1 and spec["noise"]["hand_set"] == [2]
    assert np.array_equal(np.float32(spec["noise"]["e"]), w.noise)
    assert spec["dimension"] == 2 and spec["noise"]["seed"] == 5
    assert float32_bytes(np.float32([1.0])) == base64.b64encode(np.float32(1).tobytes()).decode()
    # what the page draws itself, and the controls it makes work, as the kernel names them
    names = {t.name for t in w.fig.data}
    assert {name for name, _ in live.computed} <= names
    assert set(live.controls) <= set(w.kernel_controls())
    assert {"digit", "KL weight"} == {g.label for g in w.exported_controls()}
    # the readout the page writes the readings into: the explainer's only one
    from explainer.publish.readouts import find_readouts
    assert [r.widget for r in find_readouts(w)] == [w.readings] and spec["readout"] == 0
