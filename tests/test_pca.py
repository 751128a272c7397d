import numpy as np
import pytest
import torch
from sklearn.decomposition import PCA as SkPCA

from explainer import pca as P
from explainer.data import load_digits, load_mnist
from explainer.models import Autoencoder, ModelConfig


@pytest.fixture(scope="module")
def mnist():
    return load_mnist()


def test_pca_matches_scikit_learn_up_to_sign(mnist):
    ours = P.fit_pca(mnist.x_train, n_components=30)
    sk = SkPCA(n_components=30, svd_solver="full").fit(mnist.x_train.double().numpy())
    comps = ours.components_.numpy()
    signs = np.sign((comps * sk.components_).sum(axis=1))
    assert np.abs(comps - signs[:, None] * sk.components_).max() < 1e-4
    assert np.allclose(ours.explained_variance_.numpy(), sk.explained_variance_, rtol=1e-6)
    assert np.allclose(ours.explained_variance_ratio_.numpy(), sk.explained_variance_ratio_,
                       rtol=1e-6)
    assert np.allclose(ours.mean_.numpy(), sk.mean_, atol=1e-10)


def test_reconstruction_error_shortcut_equals_direct_projection(mnist):
    p = P.fit_pca(mnist.x_train, n_components=20)
    curve = P.error_by_code_size(p, mnist.x_test, max_k=20)
    for k in (1, 7, 20):
        direct = P.squared_error(mnist.x_test, P.reconstruct(p, mnist.x_test, k=k)).mean()
        assert curve[k - 1] == pytest.approx(float(direct), rel=1e-9)
    assert np.all(np.diff(curve) <= 1e-9)  # more components never reconstruct worse


def test_principal_angles():
    e = torch.eye(4, dtype=torch.float64)
    assert np.allclose(P.principal_angles(e[:, :2], e[:, :2]), [0, 0], atol=1e-6)
    assert np.allclose(P.principal_angles(e[:, :2], e[:, 2:]), [90, 90])
    # an invertible mix of the same columns spans the same subspace
    mix = e[:, :2] @ torch.tensor([[2.0, 1.0], [-1.0, 3.0]], dtype=torch.float64)
    assert np.allclose(P.principal_angles(mix, e[:, :2]), [0, 0], atol=1e-6)
    tilted = torch.tensor([[1.0], [1.0], [0.0], [0.0]], dtype=torch.float64)
    assert P.principal_angles(tilted, e[:, :1]) == pytest.approx([45.0])


def test_linear_autoencoder_helpers():
    digits = load_digits()
    model = Autoencoder(ModelConfig(kind="linear_ae", input_dim=64, latent_dim=3))
    assert P.autoencoder_error(model, digits.x_test) > 0
    assert P.autoencoder_reconstruct(model, digits.x_test).shape == digits.x_test.shape
    with pytest.raises(ValueError, match="kind must be 'ae' or 'linear_ae'"):
        P.autoencoder_error(Autoencoder(ModelConfig(kind="vae", input_dim=64, latent_dim=3)),
                            digits.x_test)


@pytest.mark.parametrize(
    "call, error, match",
    [
        (lambda p, x: P.fit_pca(x[:1]), ValueError, "at least 2 samples"),
        (lambda p, x: P.fit_pca(x, n_components=0), ValueError,
         r"n_components must be an integer in \[1, "),
        (lambda p, x: P.reconstruct(p, x, k=11), ValueError, r"k must be an integer in \[1, 10\]"),
        (lambda p, x: P.reconstruct(p, x[:, :10], k=2), ValueError, "features per row"),
        (lambda p, x: P.fit_pca([[1.0]]), TypeError, "torch.Tensor or numpy array"),
    ],
)
def test_bad_input(call, error, match):
    x = load_digits().x_train
    p = P.fit_pca(x, n_components=10)
    with pytest.raises(error, match=match):
        call(p, x)


def test_nan_is_refused():
    x = load_digits().x_train.clone()
    x[3, 5] = float("nan")
    with pytest.raises(ValueError, match="x must be finite"):
        P.fit_pca(x)
