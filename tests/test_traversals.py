"""Latent traversals: each row decodes the digit's mean with one dimension moved; the
widget follows its KL-weight slider and digit dropdown (traces checked by name)."""

import numpy as np
import pytest
import torch

from explainer import anatomy, traversals
from explainer.data import moon_phases
from explainer.models import Autoencoder, ModelConfig
from explainer.plots import anatomy as anatomy_plots
from explainer.plots import traversals as plots
from explainer.widgets.traversals import TraversalExplorer
from tiny_vaes import tiny_vaes

VAE4 = ModelConfig(kind="vae", latent_dim=4, hidden_dims=(16,))


@pytest.fixture(scope="module")
def images():
    return moon_phases(8)


@pytest.fixture(scope="module")
def trained(images):
    return tiny_vaes(VAE4, images, (0.0, 1.0, 50.0), epochs=4)


def test_each_row_decodes_the_mean_with_one_dimension_set(trained, images):
    model = trained[1.0].model
    stats = traversals.dimension_stats(model, images)
    t = traversals.traverse(model, images[2], stats=stats, values=[-1.0, 0.5, 2.0], digit=2,
                            label=7)
    assert t.images.shape == (4, 3, 784) and t.latent_dim == 4
    with torch.no_grad():
        m = model.encode(images[2:3])[0][0]
        for j in range(4):
            for i, v in enumerate((-1.0, 0.5, 2.0)):
                code = m.clone()
                code[j] = v  # c = m with c_j = v
                assert np.allclose(t.images[j, i], model.decode(code[None])[0].numpy(), atol=1e-6)
        decoded = model.decode(m[None])[0].numpy()
    # change_j: the largest mean absolute pixel change along row j, from decode(m)
    expected = np.abs(t.images - decoded).mean(axis=2).max(axis=1)
    assert np.allclose(t.change, expected, atol=1e-6)
    assert np.allclose(t.mean, m.numpy(), atol=1e-6)


def test_dimension_stats_are_the_kl_and_burdas_active_units(trained, images):
    model = trained[50.0].model
    s = traversals.dimension_stats(model, images)
    with torch.no_grad():
        mean, logvar = model.encode(images)
    # an independent KL: torch.distributions, per dimension, averaged over the images
    q = torch.distributions.Normal(mean.double(), torch.exp(0.5 * logvar.double()))
    p = torch.distributions.Normal(torch.zeros_like(q.loc), torch.ones_like(q.scale))
    assert np.allclose(s.kl_per_dim, torch.distributions.kl_divergence(q, p).mean(0).numpy(),
                       atol=1e-6)
    assert np.allclose(s.mean_variance, mean.double().var(0, unbiased=False).numpy(), atol=1e-9)
    assert np.array_equal(s.active, anatomy.active_units(mean)) and s.n_active == s.active.sum()


def test_traversal_grid_selects_and_refuses_by_name(trained, images):
    labels = torch.arange(8) % 3
    grid = traversals.TraversalGrid(trained, images, labels, digits=[0, 5], reference=images)
    assert grid.beta == 1.0 and grid.digit == 0 and grid.betas == [0.0, 1.0, 50.0]
    t = grid.select(50.0, 5)
    assert (t.beta, t.digit, t.label) == (50.0, 5, 2) and grid.current is t
    with pytest.raises(ValueError,
                       match=r"beta must be one of the trained KL weights \[0.0, 1.0, 50.0\]"):
        grid.select(2.0, 5)
    with pytest.raises(ValueError, match=r"digit must be one of \[0, 5\], got 3"):
        grid.select(1.0, 3)
    with pytest.raises(ValueError, match=r"digit must be an integer in \[0, 7\], got 9"):
        traversals.TraversalGrid(trained, images, labels, digits=[9], reference=images)
    with pytest.raises(ValueError, match="trained must hold at least one"):
        traversals.TraversalGrid({}, images, labels, digits=[0], reference=images)
    with pytest.raises(ValueError, match="values must be at least two finite numbers"):
        traversals.traverse(trained[1.0].model, images[0], stats=grid.stats[1.0], values=[1.0])
    ae = Autoencoder(ModelConfig(kind="ae", latent_dim=4, hidden_dims=(16,)))
    with pytest.raises(ValueError, match="model must be a VAE"):
        traversals.dimension_stats(ae, images)
    assert traversals.first_of_each_class(torch.tensor([2, 0, 2, 1, 0])) == [1, 3, 0]


def test_figures_name_their_traces_and_label_every_row(trained, images):
    grid = traversals.TraversalGrid(trained, images, torch.arange(8), digits=[1], reference=images)
    t = grid.current
    fig = plots.traversal_figure(t)
    assert {tr.name for tr in fig.data} == {"traversal", "this digit"}
    labels = fig.layout.yaxis.ticktext
    assert len(labels) == 4 and all(f"dim {j + 1}: KL" in lab for j, lab in enumerate(labels))
    assert sum("inactive" in lab for lab in labels) == 4 - t.stats.n_active
    both = plots.comparison_figure([grid.traversal(0.0, 1), grid.traversal(50.0, 1)])
    assert [tr.name for tr in both.data] == ["traversal, beta = 0", "traversal, beta = 50"]
    with pytest.raises(ValueError, match="traversals must hold at least one"):
        plots.comparison_figure([])


def test_widget_follows_its_weight_slider_and_digit_dropdown(trained, images):
    grid = traversals.TraversalGrid(trained, images, torch.arange(8), digits=[0, 3, 6],
                                    reference=images)
    w = TraversalExplorer(grid)
    traces = {tr.name: tr for tr in w.fig.data}
    for beta, digit in ((50.0, 3), (0.0, 3), (0.0, 6)):
        w.beta.value = beta
        w.digit.value = digit
        t = grid.traversal(beta, digit)
        assert traces["traversal"].source == plots.grid_source(t)
        assert traces["this digit"].source == plots.traversal_updates(t)["this digit"]["source"]
        assert list(w.fig.layout.yaxis.ticktext) == plots.row_labels(t)
        assert f"beta = {beta:g}, test digit {digit}" in w.fig.layout.title.text
    with pytest.raises(Exception, match="Invalid selection"):
        w.beta.value = 2.0
    with pytest.raises(TypeError, match="grid must be an explainer.traversals.TraversalGrid"):
        TraversalExplorer({})
    controls = w.exported_controls()
    assert [len(c.values) for c in controls] == [3, 3]


def test_training_curves_start_untrained_and_follow_the_history(trained, images):
    curves = anatomy.training_curves({1.0: trained[1.0]}, images)
    c = curves[1.0]
    h = trained[1.0].history
    assert list(c.epoch) == [0, 1, 2, 3, 4]
    assert np.allclose(c.reconstruction[1:], h.test_reconstruction)
    assert np.allclose(c.kl[1:], h.test_kl)
    # epoch 0: the same seed's untrained model, measured as fit measures its test pass
    start = Autoencoder(VAE4.replace(beta=1.0), seed=0)
    with torch.no_grad():
        mean, logvar = start.encode(images)
    kl = 0.5 * (logvar.exp() - 1 - logvar + mean**2).sum(1).mean()
    assert c.kl[0] == pytest.approx(float(kl), rel=1e-5)
    fig = anatomy_plots.training_curves_figure(curves)
    assert {tr.name for tr in fig.data} == {"beta = 1", "beta = 1, KL"}
    with pytest.raises(ValueError, match="trained must hold at least one"):
        anatomy.training_curves({}, images)
