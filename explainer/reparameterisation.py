"""The reparameterisation trick as what it is: a way for gradients to reach m and s.

Training needs the gradient of E_q[f(c)], q = N(m, diag(e^s)), in the encoder's outputs m
and s (the Bernoulli decoder's f(c) = log p(x|c)). The expectation is over a distribution
that itself depends on m and s, so one cannot just differentiate a drawn f(c). Two unbiased
Monte Carlo estimators of that gradient, from the same draws e ~ N(0, I):

- pathwise (reparameterised): write the draw as c = m + e^{s/2} e, a differentiable function
  of m and s with the randomness moved into e, and differentiate through it:
      d/dm_j E[f] = E[ df/dc_j ],     d/ds_j E[f] = E[ df/dc_j e_j e^{s_j/2} / 2 ].
- score function (REINFORCE): differentiate the density instead of the draw:
      d/dtheta E[f] = E[ f(c) d/dtheta log q(c) ],
      d/dm_j log q = e_j e^{-s_j/2},   d/ds_j log q = (e_j^2 - 1) / 2.

Both average per-draw terms; :class:`GradientEstimate` keeps every draw's term so that its
mean, standard error and variance can be read off. :func:`reference_gradient` is the
pathwise estimate from many draws, the yardstick for both.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

from explainer import cache
from explainer.losses import bernoulli_nll
from explainer.models import Autoencoder
from explainer.validation import check_code_stats, check_int, check_seed

ESTIMATORS = ("pathwise", "score function")
# Draws per batch through the decoder (bounds memory: a batch of codes and its images;
# 1,024 keeps a kernel about 30 MB lower than 4,096 did, at the same speed).
BATCH = 1024


@dataclass(frozen=True)
class GradientEstimate:
    """Per-draw terms of one estimator: ``grad_mean`` and ``grad_logvar`` are (n_draws, k),
    each row one draw's estimate of (d/dm, d/ds) E_q[f(c)]; the estimate is their mean."""

    estimator: str
    grad_mean: np.ndarray
    grad_logvar: np.ndarray

    @property
    def n_draws(self) -> int:
        return self.grad_mean.shape[0]

    def mean(self) -> tuple[np.ndarray, np.ndarray]:
        """The estimates of (d/dm, d/ds) E_q[f], each (k,)."""
        return self.grad_mean.mean(axis=0), self.grad_logvar.mean(axis=0)

    def variance(self) -> tuple[np.ndarray, np.ndarray]:
        """The variance of ONE draw's term, per dimension (unbiased), each (k,)."""
        return self.grad_mean.var(axis=0, ddof=1), self.grad_logvar.var(axis=0, ddof=1)

    def standard_error(self) -> tuple[np.ndarray, np.ndarray]:
        """The standard error of the mean over the draws: sqrt(variance / n_draws)."""
        vm, vs = self.variance()
        return np.sqrt(vm / self.n_draws), np.sqrt(vs / self.n_draws)

    def running_mean(self, j: int, *, wrt: str = "mean") -> np.ndarray:
        """The estimate of dimension ``j``'s gradient after 1, 2, ..., n_draws draws."""
        g = self.grad_mean if wrt == "mean" else self.grad_logvar
        return np.cumsum(g[:, j]) / np.arange(1, self.n_draws + 1)


def _as_code(mean: object, logvar: object) -> tuple[torch.Tensor, torch.Tensor]:
    """(m, s) of one code, (latent_dim,) each, as float64 tensors, else raise."""
    m, s = check_code_stats(mean, logvar)
    if m.ndim != 1 or m.size < 1:
        raise ValueError(f"mean and logvar must be 1-D (latent_dim,), got shape {m.shape}")
    return torch.from_numpy(m), torch.from_numpy(s)


def draw_noise(n_draws: int, latent_dim: int, *, seed: int) -> torch.Tensor:
    """e ~ N(0, I), (n_draws, latent_dim) in float64, from ``seed``."""
    n_draws = check_int("n_draws", n_draws, low=2)
    latent_dim = check_int("latent_dim", latent_dim, low=1)
    seed = check_seed(seed)
    generator = torch.Generator().manual_seed(seed)
    return torch.randn(n_draws, latent_dim, generator=generator, dtype=torch.float64)


def estimate_gradients(
    f: Callable[[torch.Tensor], torch.Tensor],
    mean: object,
    logvar: object,
    *,
    n_draws: int,
    seed: int,
) -> dict[str, GradientEstimate]:
    """Both estimators of (d/dm, d/ds) E_q[f(c)], q = N(mean, diag(exp(logvar))), from the
    same ``n_draws`` draws e (seeded). ``f`` maps codes (n, k) (float64) to values (n,),
    differentiably (torch autograd)."""
    if not callable(f):
        raise TypeError(f"f must be callable (codes (n, k) -> values (n,)), got {type(f).__name__}")
    m, s = _as_code(mean, logvar)
    e = draw_noise(n_draws, m.numel(), seed=seed)
    sigma = torch.exp(0.5 * s)
    # every draw's df/dc and f(c), filled in place batch by batch: pieces kept from each
    # batch between its large temporaries fragmented the heap: a kernel kept 600-700 MB
    # after 200,000 draws (benchmarks/README.md)
    grad_c = torch.empty(n_draws, m.numel(), dtype=torch.float64)
    value = torch.empty(n_draws, 1, dtype=torch.float64)
    for i in range(0, n_draws, BATCH):
        # c = m + e^{s/2} e
        c = (m + sigma * e[i:i + BATCH]).requires_grad_(True)
        batch_value = f(c)
        if batch_value.shape != (c.shape[0],):
            raise ValueError(f"f must return one value per code, shape ({c.shape[0]},), got "
                             f"{tuple(batch_value.shape)}")
        # df/dc, draw by draw (the draws are independent: the gradient of the sum)
        (batch_grad,) = torch.autograd.grad(batch_value.sum(), c)
        grad_c[i:i + BATCH] = batch_grad
        value[i:i + BATCH, 0] = batch_value.detach()
    return {
        "pathwise": GradientEstimate(
            "pathwise",
            # d/dm f(m + e^{s/2} e) = df/dc
            grad_mean=grad_c.numpy(),
            # d/ds f(m + e^{s/2} e) = df/dc * e e^{s/2} / 2
            grad_logvar=(grad_c * e * sigma * 0.5).numpy(),
        ),
        "score function": GradientEstimate(
            "score function",
            # f(c) d/dm log q(c) = f(c) (c - m) / e^s = f(c) e e^{-s/2}
            grad_mean=(value * e / sigma).numpy(),
            # f(c) d/ds log q(c) = f(c) ((c - m)^2 e^{-s} - 1) / 2 = f(c) (e^2 - 1) / 2
            grad_logvar=(value * (e**2 - 1.0) * 0.5).numpy(),
        ),
    }


def reference_gradient(model: Autoencoder, image: object, mean: object, logvar: object, *,
                       n_draws: int = 200_000, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """The pathwise estimate of (d/dm, d/ds) E_q[log p(x|c)] (:func:`decoder_log_likelihood`
    of ``model`` and ``image``) from ``n_draws`` draws: each (k,), the reference a smaller
    run of either estimator is measured against. Cached on disk by the content of the
    model's weights, the image and q, and the settings (the draws are many)."""
    f = decoder_log_likelihood(model, image)  # checks the model and the image
    m, s = _as_code(mean, logvar)
    n_draws = check_int("n_draws", n_draws, low=2, high=10_000_000)
    seed = check_seed(seed)

    def estimate() -> dict[str, np.ndarray]:
        grad_mean, grad_logvar = estimate_gradients(f, m.numpy(), s.numpy(), n_draws=n_draws,
                                                    seed=seed)["pathwise"].mean()
        return {"grad_mean": grad_mean, "grad_logvar": grad_logvar}

    k = m.numel()
    arrays = cache.computed_arrays(
        {"grad_mean": (np.float64, (k,)), "grad_logvar": (np.float64, (k,))}, estimate,
        purpose="pathwise-reference", config=model.config.to_dict(),
        model=cache.content_digest(*model.state_dict().values()),
        image=cache.content_digest(torch.as_tensor(image)), q=cache.content_digest(m, s),
        n_draws=n_draws, seed=seed)
    return arrays["grad_mean"], arrays["grad_logvar"]


def decoder_log_likelihood(
    model: Autoencoder, image: object
) -> Callable[[torch.Tensor], torch.Tensor]:
    """f(c) = log p(x|c) for one ``image`` x (784,) under ``model``'s Bernoulli decoder:
    -sum_d [x_d log x_hat_d + (1 - x_d) log(1 - x_hat_d)] negated, x_hat = sigmoid(decoder(c))."""
    if not isinstance(model, Autoencoder):
        raise TypeError("model must be an explainer.models.Autoencoder, got "
                        f"{type(model).__name__}")
    if model.config.kind != "vae" or model.config.likelihood != "bernoulli":
        raise ValueError("model must be a VAE with a Bernoulli decoder, got kind="
                         f"{model.config.kind!r}, likelihood={model.config.likelihood!r}")
    x = model.check_input(torch.as_tensor(image).reshape(1, -1), name="image")

    def f(c: torch.Tensor) -> torch.Tensor:
        # log p(x|c) = -BCE(decoder(c), x), summed over pixels
        return -bernoulli_nll(model.decode_logits(c.float()), x.expand(c.shape[0], -1)).double()

    return f
