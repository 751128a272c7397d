"""The terms of the VAE's objective, in nats per image.

For an image x with D pixels, an encoder q(z|x) = N(m, diag(exp(s))) (s the
log-variance) and a decoder p(x|z):

    -ELBO(x) = E_q[-log p(x|z)]  +  KL(q(z|x) || N(0, I))
             =  reconstruction   +  kl

The tutorial calls the first term Minimize1 and twice the second Minimize2. Training
minimises ``reconstruction + beta * kl``: beta = 1 is the VAE, beta = 0 drops the KL.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from explainer import gaussians

LIKELIHOODS = ("bernoulli", "gaussian")


def bernoulli_nll(logits: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """-log p(x|z) per image for a Bernoulli decoder with the given logits: shape (n,).

    Targets may be grey levels in [0, 1]: the cross-entropy is then not zero even for a
    perfect decoder (its floor is the images' own entropy).
    """
    # -sum_d [x_d log sigmoid(l_d) + (1 - x_d) log(1 - sigmoid(l_d))], computed from logits
    return F.binary_cross_entropy_with_logits(logits, x, reduction="none").sum(dim=1)


def bernoulli_entropy_floor(x: torch.Tensor) -> torch.Tensor:
    """The smallest value :func:`bernoulli_nll` can take for each image: the entropy of its
    own grey levels, shape (n,). No decoder goes below it (the cross-entropy is smallest when
    sigmoid(l_d) = x_d), so it is the part of the "reconstruction" nats that no model can
    remove; zero for binary images."""
    # H(x) = -sum_d [x_d log x_d + (1 - x_d) log(1 - x_d)],  with 0 log 0 = 0
    return (torch.special.entr(x) + torch.special.entr(1.0 - x)).sum(dim=1)


def gaussian_nll(mean: torch.Tensor, x: torch.Tensor, *, log_sigma: float = 0.0) -> torch.Tensor:
    """-log N(x; mean, sigma^2 I) per image: shape (n,)."""
    d = x.shape[1]
    # -sum_d log N(x_d; mean_d, sigma^2), summed in closed form (one pass over the pixels):
    # sum_d (x_d - mean_d)^2 / (2 sigma^2)  +  D (log sigma + log(2 pi) / 2)
    return 0.5 * (x - mean).pow(2).sum(dim=1) * math.exp(-2.0 * log_sigma) + d * (
        log_sigma + 0.5 * gaussians.LOG_2PI
    )


def squared_error(mean: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """sum_d (x_d - mean_d)^2 per image: shape (n,). PCA minimises its average."""
    return (x - mean).pow(2).sum(dim=1)


def kl_standard_normal(mean: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """KL( N(mean, diag(exp(logvar))) || N(0, I) ) per image: shape (n,).

    Kingma & Welling (2014), Appendix B. Twice this is the tutorial's Minimize2 when its
    s_i is read as the log-variance.
    """
    # sum_j 1/2 ( exp(s_j) - (1 + s_j) + m_j^2 )
    return gaussians.kl_standard_normal(mean, logvar).sum(dim=1)


def kl_per_dimension(mean: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """KL per code dimension, averaged over images: shape (latent_dim,)."""
    # 1/2 ( exp(s_j) - (1 + s_j) + m_j^2 ), mean over the batch
    return gaussians.kl_standard_normal(mean, logvar).mean(dim=0)


def reconstruction_nll(likelihood: str, decoded: torch.Tensor, x: torch.Tensor, *,
                       variance: float = 1.0) -> torch.Tensor:
    """-log p(x|z) per image; ``decoded`` holds logits (bernoulli) or means (gaussian).

    ``variance``: the Gaussian decoder's sigma^2 (1 unless a model sets another; the
    Bernoulli decoder has none and accepts only the default)."""
    if likelihood == "bernoulli":
        _check_no_variance(variance)
        return bernoulli_nll(decoded, x)
    if likelihood == "gaussian":
        if variance == 1.0:
            return gaussian_nll(decoded, x)
        # sigma = sqrt(variance):  SSE / (2 sigma^2) + D log(sigma sqrt(2 pi))
        return gaussian_nll(decoded, x, log_sigma=0.5 * math.log(variance))
    raise ValueError(f"likelihood must be one of {LIKELIHOODS}; got {likelihood!r}")


def reconstruction_nll_grad(likelihood: str, decoded: torch.Tensor, x: torch.Tensor, *,
                            variance: float = 1.0) -> torch.Tensor:
    """d(-log p(x|z)) / d(decoded), pixel by pixel: shape (n, D). Used by the hand-derived
    backward pass of :mod:`explainer.backprop`. ``variance`` as in :func:`reconstruction_nll`."""
    if likelihood == "bernoulli":
        _check_no_variance(variance)
        # d/dl [ softplus(l) - x l ] = sigmoid(l) - x
        return torch.sigmoid(decoded).sub_(x)
    if likelihood == "gaussian":
        if variance == 1.0:
            # d/dmu [ (x - mu)^2 / 2 ] = mu - x
            return decoded - x
        # d/dmu [ (x - mu)^2 / (2 sigma^2) ] = (mu - x) / sigma^2
        return (decoded - x).div_(variance)
    raise ValueError(f"likelihood must be one of {LIKELIHOODS}; got {likelihood!r}")


@dataclass(frozen=True)
class ELBOTerms:
    """Per-image terms (each of shape (n,)), in nats.

    ``reconstruction``: E_q[-log p(x|z)], one sample of z.
    ``kl``: KL(q(z|x) || N(0, I)); zero for the deterministic AE, which has no q.
    ``total``: reconstruction + kl, the negative ELBO.
    ``objective``: reconstruction + beta * kl, what training minimises.
    """

    reconstruction: torch.Tensor
    kl: torch.Tensor
    total: torch.Tensor
    objective: torch.Tensor

    def mean(self) -> dict[str, float]:
        """Averages over the images, as plain floats."""
        return {
            "reconstruction": float(self.reconstruction.mean()),
            "kl": float(self.kl.mean()),
            "total": float(self.total.mean()),
            "objective": float(self.objective.mean()),
        }


def elbo_terms(
    x: torch.Tensor,
    decoded: torch.Tensor,
    mean: torch.Tensor,
    logvar: torch.Tensor | None,
    *,
    likelihood: str = "bernoulli",
    beta: float = 1.0,
    decoder_variance: float = 1.0,
) -> ELBOTerms:
    """The ELBO's terms for a batch, separately: see :class:`ELBOTerms`. ``decoder_variance``
    is the Gaussian decoder's sigma^2 (see :func:`reconstruction_nll`)."""
    reconstruction = reconstruction_nll(likelihood, decoded, x, variance=decoder_variance)
    if logvar is None:
        kl = torch.zeros_like(reconstruction)
    else:
        kl = kl_standard_normal(mean, logvar)
    # -ELBO = reconstruction + KL;  objective = reconstruction + beta * KL
    return ELBOTerms(reconstruction, kl, reconstruction + kl, reconstruction + beta * kl)


def _check_no_variance(variance: float) -> None:
    if variance != 1.0:
        raise ValueError("variance applies to the gaussian likelihood only (a Bernoulli decoder "
                         f"has no variance to set); got variance={variance}")
