import numpy as np
import pytest
import torch

from explainer import compression as C
from explainer import pca as P
from explainer.data import load_mnist


@pytest.fixture(scope="module")
def mnist():
    return load_mnist()


@pytest.fixture(scope="module")
def reference(mnist):
    return P.fit_pca(mnist.x_train, n_components=P.MAX_CODE_SIZE)


def test_the_linear_ae_is_the_familys_linear_ae_with_its_weights(mnist, reference):
    model, _ = C.train_linear_ae(mnist, k=3, training=C.LinearAETraining(n_steps=20),
                                 reference=reference, every=20)
    family = model.to_autoencoder()
    assert family.config.kind == "linear_ae" and family.latent_dim == 3
    x = mnist.x_test[:50]
    assert torch.allclose(P.autoencoder_reconstruct(family, x), model.reconstruct(x), atol=1e-5)
    assert torch.equal(family.decoder[0].weight, model.decoder)


@pytest.fixture
def quick_deep_ae(monkeypatch):
    # one epoch: these tests check the wiring, the notebook measures the trained models
    monkeypatch.setattr(C, "DEEP_AE_TRAINING", C.DEEP_AE_TRAINING.replace(epochs=1))


def test_linear_ae_finds_pca_subspace_at_k10(mnist, reference):
    model, states = C.train_linear_ae(mnist, k=10, reference=reference, every=200)
    angles = P.principal_angles(model.decoder, reference.components_[:10].T)
    assert angles.max() < 5.0
    pca_test = P.error_by_code_size(reference, mnist.x_test, max_k=10)[-1]
    test_error = float(P.squared_error(mnist.x_test, model.reconstruct(mnist.x_test)).mean())
    assert test_error <= 1.02 * pca_test
    # measured at step 0 and at the end; training lowered the error to PCA's
    assert [s.step for s in states] == [0, 200]
    pca_train = P.error_by_code_size(reference, mnist.x_train, max_k=10)[-1]
    assert states[0].train_error > 1.5 * pca_train
    assert states[-1].train_error == pytest.approx(pca_train, rel=1e-3)


def test_linear_ae_weights_are_a_mix_not_pca_itself(mnist, reference):
    model, _ = C.train_linear_ae(mnist, k=5, reference=reference, every=200)
    w = reference.components_[:5].T.float()
    # same subspace: projecting D onto span(W) changes nothing ...
    d = model.decoder
    assert torch.allclose(w @ (w.T @ d), d, atol=2e-3 * d.abs().max())
    # ... but D is not W: its columns are neither orthonormal nor PCA's columns
    gram = d.T @ d
    assert not torch.allclose(gram, torch.eye(5), atol=0.05)


def test_loss_formula_equals_direct_error(mnist):
    x = mnist.x_train[:500]
    mean = x.mean(0)
    xc = x - mean
    g = torch.Generator().manual_seed(1)
    e, d = torch.randn(784, 3, generator=g) * 0.1, torch.randn(784, 3, generator=g) * 0.1
    direct = ((xc - xc @ e @ d.T) ** 2).sum(1).mean()
    cov = xc.T @ xc / len(x)
    assert float(C.linear_ae_loss(cov, e, d, cov.trace())) == pytest.approx(float(direct), rel=1e-4)


def test_training_is_deterministic_and_callback_can_stop(mnist, reference):
    short = C.LinearAETraining(n_steps=20)
    a, _ = C.train_linear_ae(mnist, k=3, training=short, reference=reference, seed=4)
    b, _ = C.train_linear_ae(mnist, k=3, training=short, reference=reference, seed=4)
    assert torch.equal(a.decoder, b.decoder)
    seen = []
    _, states = C.train_linear_ae(mnist, k=3, training=C.LinearAETraining(n_steps=100), every=10,
                                  reference=reference,
                                  callback=lambda s: seen.append(s.step) or len(seen) < 3)
    assert seen == [0, 10, 20] and len(states) == 3


def test_kept_moments_train_the_same_model(mnist, reference):
    short = C.LinearAETraining(n_steps=20)
    a, _ = C.train_linear_ae(mnist, k=3, training=short, reference=reference, seed=4)
    b, _ = C.train_linear_ae(mnist, k=3, training=short, reference=reference, seed=4,
                             moments=C.data_moments(mnist))
    assert torch.equal(a.decoder, b.decoder) and torch.equal(a.mean, b.mean)
    wrong = C.DataMoments(torch.zeros(4), torch.zeros(4, 4), torch.tensor(0.0))
    with pytest.raises(ValueError, match=r"moments must be the DataMoments of data \(784 pixels\)"):
        C.train_linear_ae(mnist, k=3, training=short, moments=wrong)


@pytest.mark.parametrize("kwargs, match", [
    (dict(k=0), "k must be"),
    (dict(k=65), "k must be"),
])
def test_bad_training_input(mnist, kwargs, match):
    with pytest.raises(ValueError, match=match):
        C.train_linear_ae(mnist, **kwargs)
    with pytest.raises(TypeError, match="training must be an explainer.compression.LinearAE"):
        C.train_linear_ae(mnist, k=3, training={"n_steps": 200})


@pytest.mark.parametrize("kwargs, match", [
    (dict(lr=0.0), r"lr must be in \(0, inf\]"),
    (dict(momentum=1.0), "momentum must be"),
    (dict(n_steps=0), r"n_steps must be an integer in \[1, 100000\], got 0"),
    (dict(lr=float("nan")), "lr must be"),
])
def test_the_schedule_is_validated_once_when_made(kwargs, match):
    with pytest.raises(ValueError, match=match):
        C.LinearAETraining(**kwargs)
    assert C.LINEAR_AE_TRAINING == C.LinearAETraining(n_steps=200, lr=0.05, momentum=0.9)


def test_nearest_code_size():
    assert C.nearest_code_size(1) == 2
    assert C.nearest_code_size(30) == 30
    assert C.nearest_code_size(20) == 10  # tie between 10 and 30: the smaller
    assert C.nearest_code_size(50) == 64
    with pytest.raises(ValueError, match="k must be"):
        C.nearest_code_size(0)


def test_compare_code_sizes(mnist, quick_deep_ae):
    cmp = C.compare_code_sizes(mnist, grid=(3, 8), digits=(0, 500))
    assert cmp.grid == (3, 8) and cmp.pca_error.shape == (P.MAX_CODE_SIZE,)
    # the trained linear AE reaches PCA's test error at its size
    assert np.allclose(cmp.linear_error, cmp.pca_error[[2, 7]], rtol=0.02)
    for k in (3, 8):
        assert cmp.deep_images[k].shape == (2, 784) and cmp.linear_images[k].shape == (2, 784)
    img = cmp.pca_images(5)
    assert img.shape == (2, 784) and img.min() >= 0.0 and img.max() <= 1.0
    # the cached linear AE is the same model on the second call
    again = C.compare_code_sizes(mnist, grid=(3, 8), digits=(0, 500))
    assert np.array_equal(again.linear_images[3], cmp.linear_images[3])
    text = C.deep_vs_pca(cmp, k=8)
    assert text.startswith("k = 8: PCA's test error") and "times" in text
    with pytest.raises(ValueError, match="trained code sizes"):
        C.deep_vs_pca(cmp, k=30)
    with pytest.raises(ValueError, match="digits entry"):
        C.compare_code_sizes(mnist, grid=(3,), digits=(5000,))
    with pytest.raises(ValueError, match="grid"):
        C.compare_code_sizes(mnist, grid=())


def test_cached_linear_ae_with_unexpected_content_is_trained_again(tmp_path, monkeypatch):
    import warnings

    from explainer import cache
    from explainer.data import ImageDataset

    monkeypatch.setenv(cache.ENV_VAR, str(tmp_path / "cache"))
    x = torch.rand(160, 64, generator=torch.Generator().manual_seed(0))
    labels = torch.zeros(80, dtype=torch.int64)
    digits = ImageDataset("tiny", 8, x[:80], labels, x[80:], labels)
    first = C.cached_linear_ae(digits, k=2)
    (path,) = (tmp_path / "cache" / "arrays").glob("*.npz")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert torch.equal(C.cached_linear_ae(digits, k=2).decoder, first.decoder)
    arrays = cache.load_arrays(path)
    cache.save_arrays(path, {**arrays, "encoder": arrays["encoder"][:, :1]})
    with pytest.warns(RuntimeWarning, match="unusable.*encoder must have the shape"):
        again = C.cached_linear_ae(digits, k=2)
    assert torch.equal(again.decoder, first.decoder)
