"""The MNIST VAE's bound, estimated: log p(x) by importance sampling with the encoder as
proposal, and one image's ELBO split into the tutorial's two losses.

    log p(x) ~ log (1/K) sum_k p(x|z_k) p(z_k) / q(z_k|x),   z_k ~ q(z|x)

(Burda et al., 2016): its expectation rises with K from the ELBO (K = 1) towards log p(x).
``image_two_losses`` splits one image's ELBO into Minimize1 = E_q[-log p(x|z)] and
Minimize2 / 2 = KL(q(z|x) || N(0, I)), each computed two ways. The same estimate with the
prior as proposal is in :mod:`explainer.marginal_likelihood`.

Everything is in nats per image, float64 from the model's float32 outputs.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

import torch
from torch import nn

from explainer.elbo import standard_error
from explainer.gaussians import log_standard_normal_pdf
from explainer.losses import kl_standard_normal
from explainer.models import ModelConfig
from explainer.validation import check_int, check_seed


def check_vae(model: nn.Module) -> ModelConfig:
    """``model``'s config, if it is an ``explainer.models.Autoencoder`` of kind "vae"."""
    config = getattr(model, "config", None)
    if config is None or getattr(config, "kind", None) != "vae":
        raise ValueError("model must be an explainer.models.Autoencoder of kind 'vae'")
    return config


@dataclass(frozen=True)
class CodeSampling:
    """The checked set-up of an estimator that draws ``n_samples`` codes per image of
    ``x`` from a ``torch.Generator`` seeded with ``seed``, ``chunk_size`` images at a time
    (the encoder's or the prior's importance weights)."""

    model: nn.Module
    x: torch.Tensor
    n_samples: int
    latent_dim: int
    chunk_size: int
    generator: torch.Generator

    @classmethod
    def checked(cls, model: nn.Module, x: object, *, n_samples: int, seed: int,
                chunk_size: int) -> CodeSampling:
        n_samples = check_int("n_samples", n_samples, low=1, high=100_000)
        seed = check_seed(seed)
        chunk_size = check_int("chunk_size", chunk_size, low=1)
        config = check_vae(model)
        x = model.check_input(x)
        return cls(model, x, n_samples, config.latent_dim, chunk_size,
                   torch.Generator().manual_seed(seed))

    def chunks(self) -> Iterator[torch.Tensor]:
        """The images, ``chunk_size`` at a time, with the model in eval mode meanwhile."""
        was_training = self.model.training
        self.model.eval()
        try:
            yield from self.x.split(self.chunk_size)
        finally:
            self.model.train(was_training)


@torch.inference_mode()
def log_importance_weights(
    model: nn.Module, x: torch.Tensor, *, n_samples: int, seed: int, chunk_size: int = 8
) -> torch.Tensor:
    """log w_k = log p(x|z_k) + log p(z_k) - log q(z_k|x), z_k ~ q(z|x): shape (n, n_samples).

    The noise comes from a ``torch.Generator`` seeded with ``seed`` (same seed, same
    weights); ``chunk_size`` images are decoded at a time to bound memory. Returned in
    float64. ``model`` is an ``explainer.models.Autoencoder`` of kind "vae".
    """
    sampling = CodeSampling.checked(model, x, n_samples=n_samples, seed=seed,
                                    chunk_size=chunk_size)
    n_samples, d, generator = sampling.n_samples, sampling.latent_dim, sampling.generator
    out = []
    for xb in sampling.chunks():
        n = xb.shape[0]
        mean, logvar = model.encode_checked(xb)  # (n, d) each
        std = (0.5 * logvar).exp()
        eps = torch.randn((n, n_samples, d), generator=generator, dtype=mean.dtype)
        # z = mu + sigma * e
        z = mean[:, None, :] + std[:, None, :] * eps  # (n, K, d)
        decoded = model.decode_logits(z.reshape(n * n_samples, d))
        x_rep = xb.repeat_interleave(n_samples, dim=0)
        # log p(x|z) = -nll
        log_lik = -model.reconstruction_nll(decoded, x_rep).reshape(n, n_samples)
        # log p(z) = sum_j log N(z_j; 0, 1)
        log_prior = log_standard_normal_pdf(z).sum(dim=2)
        # log q(z|x) = sum_j log N(z_j; mu_j, sigma_j^2) = sum_j [log N(e_j; 0, 1) - s_j / 2]
        log_q = (log_standard_normal_pdf(eps) - 0.5 * logvar[:, None, :]).sum(dim=2)
        out.append((log_lik.double() + log_prior.double() - log_q.double()))
    return torch.cat(out, dim=0)


def importance_sampled_log_likelihood(log_weights: torch.Tensor, *, k: int) -> torch.Tensor:
    """The K-sample estimate of log p(x), averaged over the draws: shape (n,).

    The columns of ``log_weights`` (n, N) are cut into N // k groups of k; each group
    gives log (1/k) sum exp(log w), and the groups are averaged. Its expectation is the
    IWAE bound L_k: L_1 is the ELBO, L_k rises with k towards log p(x).
    """
    check_log_weights(log_weights)
    total = log_weights.shape[1]
    k = check_int("k", k, low=1, high=total)
    groups = total // k
    w = log_weights[:, : groups * k].reshape(log_weights.shape[0], groups, k)
    # log (1/k) sum_k w_k  per group, then the mean over groups
    return (torch.logsumexp(w, dim=2) - math.log(k)).mean(dim=1)


def elbo_from_weights(log_weights: torch.Tensor) -> torch.Tensor:
    """The ELBO per image, E_q[log w], estimated by the mean of all log weights: (n,)."""
    check_log_weights(log_weights)
    return log_weights.mean(dim=1)


def check_log_weights(log_weights: object) -> torch.Tensor:
    """``log_weights`` if it is a 2-D tensor (n_images, n_samples) with at least one weight
    per image and no NaN (as :func:`log_importance_weights` and
    ``marginal_likelihood.log_prior_weights`` return them), else raise."""
    if not isinstance(log_weights, torch.Tensor) or log_weights.ndim != 2:
        raise ValueError("log_weights must be a 2-D tensor (n_images, n_samples), got "
                         f"{type(log_weights).__name__} "
                         f"{tuple(getattr(log_weights, 'shape', ()))}")
    if log_weights.shape[0] == 0 or log_weights.shape[1] == 0:
        raise ValueError(f"log_weights must hold at least one sample per image, got shape "
                         f"{tuple(log_weights.shape)}")
    if torch.isnan(log_weights).any():
        raise ValueError("log_weights must not hold NaN (from log_importance_weights)")
    return log_weights


@dataclass(frozen=True)
class ImageTwoLosses:
    """One image's ELBO under a VAE split into the tutorial's two losses, each computed
    two ways (nats):

        ELBO = -Minimize1 - Minimize2 / 2,
        Minimize1 = E_q[-log p(x|z)],  Minimize2 / 2 = KL(q(z|x) || N(0, I)).

    ``minimize1``: the mean of -log p(x|z) over ``n_samples`` draws z ~ q(z|x).
    ``minimize1_training``: the training loss's reconstruction term
    (``Autoencoder.loss_terms``, one draw of z per evaluation, as in a training step),
    averaged over ``n_samples`` evaluations; ``minimize1_one_draw`` is the first of them.
    ``kl``: the closed form (``losses.kl_standard_normal``), Minimize2 / 2.
    ``kl_monte_carlo``: the mean of log q(z|x) - log p(z) over the draws of ``minimize1``.
    """

    minimize1: float
    minimize1_stderr: float
    minimize1_training: float
    minimize1_training_stderr: float
    minimize1_one_draw: float
    kl: float
    kl_monte_carlo: float
    kl_monte_carlo_stderr: float
    n_samples: int

    @property
    def minimize2(self) -> float:
        """Minimize2 = 2 KL(q(z|x) || N(0, I))."""
        return 2.0 * self.kl

    @property
    def elbo(self) -> float:
        """ELBO = -Minimize1 - Minimize2 / 2 (Minimize1 by sampling, the KL closed)."""
        # ELBO = -Minimize1 - Minimize2 / 2
        return -self.minimize1 - 0.5 * self.minimize2


@torch.inference_mode()
def image_two_losses(model: nn.Module, x: torch.Tensor, *, n_samples: int,
                     seed: int) -> ImageTwoLosses:
    """Split one image's ELBO into Minimize1 and Minimize2 / 2, each two ways (see
    :class:`ImageTwoLosses`). ``x``: one image, shape (1, input_dim); ``model``: an
    ``explainer.models.Autoencoder`` of kind "vae"; the draws come from a
    ``torch.Generator`` seeded with ``seed``.
    """
    n_samples = check_int("n_samples", n_samples, low=2, high=1_000_000)
    seed = check_seed(seed)
    config = check_vae(model)
    x = model.check_input(x)
    if x.shape[0] != 1:
        raise ValueError(f"x must be one image, shape (1, {config.input_dim}), got "
                         f"{x.shape[0]} images")
    generator = torch.Generator().manual_seed(seed)
    was_training = model.training
    model.eval()
    mean, logvar = model.encode_checked(x)  # (1, d) each
    eps = torch.randn((n_samples, config.latent_dim), generator=generator, dtype=mean.dtype)
    # z = m + exp(s / 2) e
    z = mean + (0.5 * logvar).exp() * eps  # (K, d)
    x_rep = x.expand(n_samples, -1)
    # Minimize1 per draw: -log p(x|z)
    nll = model.reconstruction_nll(model.decode_logits(z), x_rep).double()
    # log q(z|x) - log p(z) = sum_j [ log N(z_j; m_j, e^{s_j}) - log N(z_j; 0, 1) ]
    #                       = sum_j [ log N(e_j; 0, 1) - s_j / 2 - log N(z_j; 0, 1) ]
    log_ratio = (log_standard_normal_pdf(eps) - 0.5 * logvar
                 - log_standard_normal_pdf(z)).sum(dim=1).double()
    # KL = 1/2 sum_j ( e^{s_j} - (1 + s_j) + m_j^2 ): Minimize2 / 2
    kl = float(kl_standard_normal(mean, logvar)[0])
    # the training loss: one draw of z per evaluation, n_samples evaluations
    training = model.loss_terms_checked(x_rep, generator=generator).reconstruction.double()
    model.train(was_training)
    return ImageTwoLosses(
        minimize1=float(nll.mean()), minimize1_stderr=standard_error(nll),
        minimize1_training=float(training.mean()),
        minimize1_training_stderr=standard_error(training),
        minimize1_one_draw=float(training[0]),
        kl=kl, kl_monte_carlo=float(log_ratio.mean()),
        kl_monte_carlo_stderr=standard_error(log_ratio),
        n_samples=n_samples,
    )


def fixed_test_digits(x_test: torch.Tensor, *, n_digits: int, seed: int) -> torch.Tensor:
    """``n_digits`` test images chosen by a seeded permutation (the same set every run)."""
    if not isinstance(x_test, torch.Tensor) or x_test.ndim < 1:
        raise TypeError(f"x_test must be a torch.Tensor of images, got {type(x_test).__name__}")
    n_digits = check_int("n_digits", n_digits, low=1, high=x_test.shape[0])
    seed = check_seed(seed)
    order = torch.randperm(x_test.shape[0], generator=torch.Generator().manual_seed(seed))
    return x_test[order[:n_digits].sort().values]
