"""PCA by SVD, and how an autoencoder's code compares with it.

For n images as the rows of X (n x d) with mean image mu, PCA takes the SVD of the
centred data, X - 1 mu^T = U S V^T, and keeps the first k rows of V^T as an orthonormal
basis W^T (k x d) of the best k-dimensional subspace:

    code          c     = (x - mu) W                      (k numbers per image)
    reconstruction x_hat = mu + c W^T
    error          ||x - x_hat||^2, the smallest any rank-k linear map can reach

A linear autoencoder (encoder E, decoder D, biases) trained on the same squared error
has the same optimum, but only up to an invertible k x k mix A: D = W A, E = A^-1 W^T
reconstruct equally. So its decoder's columns need not be W's columns; what it shares
with PCA is the subspace they span, measured here by principal angles.

Everything is float64 for the SVD; the arrays handed out are float32 unless said.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from explainer.models import Autoencoder
from explainer.validation import check_int

# The code sizes at which the notebook trains autoencoders (the k slider shows PCA at
# every k from 1 to MAX_CODE_SIZE and the autoencoders at the nearest of these).
MAX_CODE_SIZE = 64


@dataclass(frozen=True)
class PCA:
    """A fitted PCA, in scikit-learn's vocabulary (fitted attributes end in ``_``).

    ``mean_``: (d,); ``components_``: (n_components, d), orthonormal rows, sorted by
    variance, each signed so that its largest-magnitude entry is positive;
    ``singular_values_``, ``explained_variance_`` (divided by n - 1, as scikit-learn),
    ``explained_variance_ratio_``: (n_components,). All float64.
    """

    mean_: torch.Tensor
    components_: torch.Tensor
    singular_values_: torch.Tensor
    explained_variance_: torch.Tensor
    explained_variance_ratio_: torch.Tensor
    n_samples_: int

    @property
    def n_components_(self) -> int:
        return int(self.components_.shape[0])

    @property
    def n_features_(self) -> int:
        return int(self.components_.shape[1])


def fit_pca(x: torch.Tensor | np.ndarray, *, n_components: int | None = None) -> PCA:
    """PCA of the rows of ``x`` (n_samples, n_features) by SVD of the centred data.

    ``n_components`` defaults to min(n_samples, n_features).
    """
    x = _as_matrix("x", x)
    n, d = x.shape
    if n < 2:
        raise ValueError(f"x must hold at least 2 samples for a PCA, got {n}")
    limit = min(n, d)
    n_components = limit if n_components is None else check_int(
        "n_components", n_components, low=1, high=limit)
    x64 = x.to(torch.float64)
    mean = x64.mean(dim=0)
    # X - 1 mu^T = U S V^T  (thin SVD)
    _, s, vt = torch.linalg.svd(x64 - mean, full_matrices=False)
    # a fixed sign per component: its largest-magnitude entry positive
    biggest = vt.abs().argmax(dim=1)
    signs = torch.sign(vt[torch.arange(vt.shape[0]), biggest])
    vt = vt * signs[:, None]
    # variance along component j: s_j^2 / (n - 1)
    variance = s.pow(2) / (n - 1)
    # total variance = sum over all components (the trace of the covariance)
    total = variance.sum()
    return PCA(
        mean_=mean,
        components_=vt[:n_components].contiguous(),
        singular_values_=s[:n_components].clone(),
        explained_variance_=variance[:n_components].clone(),
        explained_variance_ratio_=(variance[:n_components] / total).clone(),
        n_samples_=n,
    )


def encode(pca: PCA, x: torch.Tensor | np.ndarray, *, k: int) -> torch.Tensor:
    """The k-number codes c = (x - mu) W_k of the rows of ``x``: (n, k), float64."""
    x = _check_features(pca, x)
    k = _check_k(pca, k)
    # c = (x - mu) W_k,  W_k = first k components as columns
    return (x.to(torch.float64) - pca.mean_) @ pca.components_[:k].T


def decode(pca: PCA, code: torch.Tensor) -> torch.Tensor:
    """Images from codes: x_hat = mu + c W_k^T, with k = code.shape[1]: (n, d), float64."""
    if not isinstance(code, torch.Tensor) or code.ndim != 2:
        raise TypeError("code must be a 2-D torch.Tensor of shape (n, k)")
    k = _check_k(pca, code.shape[1])
    if not torch.isfinite(code).all():
        raise ValueError("code must be finite: it holds NaN or infinite values")
    # x_hat = mu + c W_k^T
    return pca.mean_ + code.to(torch.float64) @ pca.components_[:k]


def reconstruct(pca: PCA, x: torch.Tensor | np.ndarray, *, k: int) -> torch.Tensor:
    """Each row of ``x`` projected onto the top-k subspace: mu + (x - mu) W_k W_k^T."""
    return decode(pca, encode(pca, x, k=k))


def squared_error(x: torch.Tensor | np.ndarray, x_hat: torch.Tensor | np.ndarray) -> torch.Tensor:
    """Squared reconstruction error per image, sum_d (x_d - x_hat_d)^2: shape (n,), float64."""
    x = _as_matrix("x", x)
    x_hat = _as_matrix("x_hat", x_hat)
    if x.shape != x_hat.shape:
        raise ValueError(f"x and x_hat must have the same shape, got {tuple(x.shape)} and "
                         f"{tuple(x_hat.shape)}")
    # e_i = sum_d (x_id - x_hat_id)^2
    return (x.to(torch.float64) - x_hat.to(torch.float64)).pow(2).sum(dim=1)


def error_by_code_size(pca: PCA, x: torch.Tensor | np.ndarray, *,
                       max_k: int | None = None) -> np.ndarray:
    """Mean squared error per image of ``x`` reconstructed with k = 1 .. max_k components.

    Returns a float64 array of length max_k (entry k - 1 is the error at k). Since the
    components are orthonormal, ||x - x_hat_k||^2 = ||x - mu||^2 - sum_{j<=k} c_j^2,
    so all k come from one projection.
    """
    x = _check_features(pca, x)
    max_k = pca.n_components_ if max_k is None else _check_k(pca, max_k, name="max_k")
    centred = x.to(torch.float64) - pca.mean_
    codes = centred @ pca.components_[:max_k].T
    # ||x - mu||^2 - cumulative sum of c_j^2
    err = centred.pow(2).sum(dim=1, keepdim=True) - codes.pow(2).cumsum(dim=1)
    return err.mean(dim=0).clamp_min(0.0).numpy()


def principal_angles(a: torch.Tensor | np.ndarray, b: torch.Tensor | np.ndarray) -> np.ndarray:
    """Principal angles, in degrees and ascending, between the column spaces of a and b.

    ``a`` is (d, k_a) and ``b`` is (d, k_b), each of full column rank; returns
    min(k_a, k_b) angles. With Q_a, Q_b orthonormal bases (QR), the cosines of the
    angles are the singular values of Q_a^T Q_b (Bjorck & Golub, 1973). All zero means
    one subspace contains the other.
    """
    a = _as_matrix("a", a).to(torch.float64)
    b = _as_matrix("b", b).to(torch.float64)
    if a.shape[0] != b.shape[0]:
        raise ValueError(f"a and b must have the same number of rows (the ambient dimension), "
                         f"got {a.shape[0]} and {b.shape[0]}")
    for name, m in (("a", a), ("b", b)):
        if m.shape[1] > m.shape[0]:
            raise ValueError(f"{name} must have at most as many columns as rows, got shape "
                             f"{tuple(m.shape)}")
        rank = int(torch.linalg.matrix_rank(m))
        if rank < m.shape[1]:
            raise ValueError(f"{name} must have full column rank ({m.shape[1]}), got rank {rank}")
    qa, _ = torch.linalg.qr(a)
    qb, _ = torch.linalg.qr(b)
    # cos(theta_i) = sigma_i(Q_a^T Q_b)
    cosines = torch.linalg.svdvals(qa.T @ qb).clamp(-1.0, 1.0)
    # theta = arccos(sigma), in degrees; ascending angles = descending cosines
    return np.degrees(np.arccos(cosines.numpy()))


def autoencoder_reconstruct(model: Autoencoder, x: torch.Tensor | np.ndarray) -> torch.Tensor:
    """A deterministic autoencoder's reconstruction decode(encode(x)) of each row: (n, d)."""
    _check_deterministic(model)
    return _reconstruct(model, model.check_input(x))


def autoencoder_error(model: Autoencoder, x: torch.Tensor | np.ndarray) -> float:
    """Mean squared reconstruction error per image of ``x`` through ``model``."""
    _check_deterministic(model)
    x = model.check_input(x)
    return float(squared_error(x, _reconstruct(model, x)).mean())


def _check_deterministic(model: object) -> None:
    if not isinstance(model, Autoencoder):
        raise TypeError("model must be an explainer.models.Autoencoder, got "
                        f"{type(model).__name__}")
    if model.config.kind not in ("ae", "linear_ae"):
        raise ValueError("model.config.kind must be 'ae' or 'linear_ae', got "
                         f"{model.config.kind!r}")


@torch.inference_mode()
def _reconstruct(model: Autoencoder, x: torch.Tensor) -> torch.Tensor:
    was_training = model.training
    model.eval()
    mean, _ = model.encode_checked(x)
    out = model.decode(mean)
    model.train(was_training)
    return out


def _as_matrix(name: str, x: object) -> torch.Tensor:
    if isinstance(x, np.ndarray):
        x = torch.from_numpy(x)
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor or numpy array, got {type(x).__name__}")
    if x.ndim != 2:
        raise ValueError(f"{name} must be 2-D (n_samples, n_features), got shape {tuple(x.shape)}")
    if x.shape[0] == 0 or x.shape[1] == 0:
        raise ValueError(f"{name} must not be empty, got shape {tuple(x.shape)}")
    if not x.is_floating_point():
        x = x.to(torch.float64)
    if not torch.isfinite(x).all():
        raise ValueError(f"{name} must be finite: it holds NaN or infinite values")
    return x


def _check_features(pca: PCA, x: object) -> torch.Tensor:
    if not isinstance(pca, PCA):
        raise TypeError("pca must be an explainer.pca.PCA (from fit_pca), got "
                        f"{type(pca).__name__}")
    x = _as_matrix("x", x)
    if x.shape[1] != pca.n_features_:
        raise ValueError(f"x must have {pca.n_features_} features per row (as the PCA was "
                         f"fitted), got {x.shape[1]}")
    return x


def _check_k(pca: PCA, k: object, *, name: str = "k") -> int:
    if not isinstance(pca, PCA):
        raise TypeError("pca must be an explainer.pca.PCA (from fit_pca), got "
                        f"{type(pca).__name__}")
    return check_int(name, k, low=1, high=pca.n_components_)

