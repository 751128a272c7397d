"""The VAE's infinite mixture on one line: P(x) = int P(z) N(x; mu(z), sigma(z)^2) dz.

- ``analytic_decoder`` / ``train_latent_decoder``: z ~ N(0, 1) -> mu(z), sigma(z), one
  written down (it pushes N(0, 1) onto the target exactly), one trained.
- ``latent_model_density``: the infinite mixture by quadrature over z;
  ``latent_mixture_density`` averages N(x; mu(z_n), sigma(z_n)^2) over N draws of z.
- ``decoder_sigma_sweep``: how the decoder's noise width decides how close the mixture
  comes to the target, with infinitely many z and with N of them.
"""

from __future__ import annotations

import functools
import math
import time
from dataclasses import dataclass

import numpy as np
import torch
from scipy import special

from explainer import cache
from explainer.gaussians import log_normal_pdf, normal_pdf
from explainer.gmm import (
    MAX_COMPONENTS,
    MAX_DRAWS,
    TargetDensity,
    check_evaluations,
    component_curves,
    l1_error,
    mixture_density,
    point_blocks,
    x_grid,
)
from explainer.validation import (
    check_draws,
    check_finite,
    check_int,
    check_real,
    check_seed,
    check_seeds,
)


@dataclass(frozen=True)
class LatentDecoder:
    """A decoder z -> (mu(z), sigma(z)) on a 1-D latent, as arrays in, arrays out."""

    name: str
    _fn: object  # callable: np.ndarray -> (np.ndarray, np.ndarray)

    def __call__(self, z: object) -> tuple[np.ndarray, np.ndarray]:
        return self._fn(check_finite("z", z))


def analytic_decoder(target: TargetDensity, *, sigma: float = 0.15) -> LatentDecoder:
    """mu(z) = F^{-1}(Phi(z)) pushes N(0, 1) onto the target exactly; with a constant
    sigma(z) = ``sigma`` the infinite mixture is the target smoothed by N(0, sigma^2)."""
    sigma = check_real("sigma", sigma, low=0.0, low_open=True)
    grid_z = np.linspace(-8.5, 8.5, 4001)
    # u = Phi(z), clipped away from 0 and 1 only for the interpolation table
    u = np.clip(special.ndtr(grid_z), 1e-12, 1 - 1e-12)
    table = target.quantile(u)

    def fn(z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        # mu(z) = F^{-1}(Phi(z))
        return np.interp(z, grid_z, table), np.full(np.shape(z), sigma)

    return LatentDecoder("analytic", fn)


class _DecoderNet(torch.nn.Module):
    """z (B, 1) -> mu (B,), sigma (B,): a 1-32-32-2 tanh network."""

    def __init__(self, hidden: int) -> None:
        super().__init__()
        self.body = torch.nn.Sequential(
            torch.nn.Linear(1, hidden), torch.nn.Tanh(),
            torch.nn.Linear(hidden, hidden), torch.nn.Tanh(),
            torch.nn.Linear(hidden, 2),
        )

    def forward(self, z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        out = self.body(z[:, None])  # (B, 2)
        # sigma(z) = softplus(s(z)) + 1e-3, positive by construction
        return out[:, 0], torch.nn.functional.softplus(out[:, 1]) + 1e-3


@dataclass(frozen=True)
class TrainedDecoder:
    decoder: LatentDecoder
    losses: np.ndarray  # negative log-likelihood per x, per step (nats)
    seconds: float


def train_latent_decoder(
    samples: object,
    *,
    hidden: int = 32,
    n_steps: int = 800,
    n_latent: int = 64,
    batch_size: int = 256,
    lr: float = 1e-2,
    seed: int = 0,
) -> TrainedDecoder:
    """Fit mu(z), sigma(z) to ``samples`` by maximising a Monte Carlo estimate of the
    infinite mixture's log-likelihood, log (1/S) sum_s N(x; mu(z_s), sigma(z_s)^2): for
    finite S its expectation lies below log P(x) (Jensen), so this climbs a lower bound on
    the log-likelihood, not the log-likelihood itself. Each step takes ``batch_size`` of
    the x (a seeded permutation), draws S = ``n_latent`` fresh z ~ N(0, 1) (seeded;
    stratified, one in each of S equal-probability slices, so they cover the line evenly)
    and minimises -mean_i log (1/S) sum_s N(x_i; mu(z_s), sigma(z_s)^2). One thread, seeded,
    cached on disk (by the samples' content and every setting) and in memory; ``seconds`` is
    the training's own, wherever it ran."""
    x = check_draws("samples", samples, low=2, high=MAX_DRAWS)
    hidden = check_int("hidden", hidden, low=1, high=1024)
    n_steps = check_int("n_steps", n_steps, low=1, high=100_000)
    # each step holds a few (batch_size x n_latent) arrays and their gradients
    n_latent = check_int("n_latent", n_latent, low=1, high=1024)
    batch_size = check_int("batch_size", batch_size, low=1, high=min(len(x), 4096))
    lr = check_real("lr", lr, low=0.0, low_open=True)
    seed = check_seed(seed)
    return _train_cached(x.tobytes(), hidden, n_steps, n_latent, batch_size, lr, seed)


@functools.lru_cache(maxsize=4)
def _train_cached(
    x_bytes: bytes, hidden: int, n_steps: int, n_latent: int, batch_size: int, lr: float, seed: int
) -> TrainedDecoder:
    x_raw = np.frombuffer(x_bytes, dtype=np.float64)
    # the network works on standardised x' = (x - m) / s; mu(z) = m + s mu'(z), sigma = s sigma'
    shift, scale = float(x_raw.mean()), float(x_raw.std())
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        net = _DecoderNet(hidden)
    names = list(net.state_dict())
    spec = {**{name: (np.float32, tuple(p.shape)) for name, p in net.state_dict().items()},
            "losses": (np.float64, (n_steps,)), "seconds": (np.float64, ())}

    def train() -> dict[str, np.ndarray]:
        losses, seconds = _train_network(net, x_raw, shift=shift, scale=scale, n_steps=n_steps,
                                         n_latent=n_latent, batch_size=batch_size, lr=lr,
                                         seed=seed)
        return {**{name: p.numpy() for name, p in net.state_dict().items()},
                "losses": losses, "seconds": np.float64(seconds)}

    # trained once per machine: the weights and losses are kept in the cache, keyed by the
    # samples' content and every setting
    record = cache.computed_arrays(spec, train, purpose="latent-decoder",
                                   samples=cache.content_digest(x_raw), hidden=hidden,
                                   n_steps=n_steps, n_latent=n_latent, batch_size=batch_size,
                                   lr=lr, seed=seed)
    net.load_state_dict({name: torch.from_numpy(np.array(record[name])) for name in names})
    net.eval()

    def fn(z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        with torch.inference_mode():
            mu, sigma = net(torch.as_tensor(np.ravel(z), dtype=torch.float32))
        # back to x's units: mu = m + s mu', sigma = s sigma'
        mu = shift + scale * mu.double().numpy()
        sigma = scale * sigma.double().numpy()
        return mu.reshape(np.shape(z)), sigma.reshape(np.shape(z))

    return TrainedDecoder(LatentDecoder("network", fn), np.array(record["losses"]),
                          float(record["seconds"]))


def _train_network(net: _DecoderNet, x_raw: np.ndarray, *, shift: float, scale: float,
                   n_steps: int, n_latent: int, batch_size: int, lr: float,
                   seed: int) -> tuple[np.ndarray, float]:
    """Train ``net`` in place on the standardised samples; the loss per step (in x's units)
    and the seconds it took."""
    x_all = torch.from_numpy(((x_raw - shift) / scale).astype(np.float32))
    n = len(x_all)
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        gen = torch.Generator().manual_seed(seed)
        opt = torch.optim.Adam(net.parameters(), lr=lr)
        # the step size falls from lr to lr / 10 along a cosine over the run
        sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=n_steps, eta_min=lr / 10)
        order = torch.randperm(n, generator=gen)
        cursor = 0
        losses = np.empty(n_steps)
        start = time.perf_counter()
        log_s = math.log(n_latent)
        for step in range(n_steps):
            if cursor + batch_size > n:
                order, cursor = torch.randperm(n, generator=gen), 0
            x = x_all[order[cursor : cursor + batch_size]]  # (B,)
            cursor += batch_size
            # stratified z_s = Phi^{-1}((s + u_s) / S), u_s ~ U(0, 1): even cover of N(0, 1)
            u = (torch.arange(n_latent) + torch.rand(n_latent, generator=gen)) / n_latent
            z = torch.special.ndtri(u)
            mu, sigma = net(z)  # (S,), (S,)
            # log N(x_i; mu_s, sigma_s^2), shape (n, S)
            log_n = log_normal_pdf(x[:, None], mean=mu[None, :], std=sigma[None, :])
            # -mean_i log (1/S) sum_s N(x_i; mu(z_s), sigma(z_s)^2)
            loss = -(torch.logsumexp(log_n, dim=1) - log_s).mean()
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            # in x's units: log p(x) = log p'(x') - log s
            losses[step] = loss.item() + math.log(scale)
        seconds = time.perf_counter() - start
    finally:
        torch.set_num_threads(before)
    return losses, seconds


def latent_draws(n_samples: int, *, seed: int) -> np.ndarray:
    """z_1..z_N ~ N(0, 1), seeded; a longer run extends a shorter one."""
    n_samples = check_int("n_samples", n_samples, low=1, high=MAX_DRAWS)
    seed = check_seed(seed)
    return np.random.default_rng(seed).standard_normal(n_samples)


def latent_mixture_density(x: object, mu: object, sigma: object) -> np.ndarray:
    """P_N(x) = (1/N) sum_n N(x; mu(z_n), sigma(z_n)^2): the N-sample estimate of
    int P(z) P(x|z) dz, from the decoder's outputs at the drawn z."""
    mu, sigma = check_finite("mu", mu).reshape(-1), check_finite("sigma", sigma).reshape(-1)
    if len(mu) == 0 or mu.shape != sigma.shape:
        raise ValueError(
            f"mu and sigma must be 1-D of one length >= 1, got {mu.shape}, {sigma.shape}")
    if len(mu) > MAX_COMPONENTS:
        raise ValueError(f"mu must hold at most {MAX_COMPONENTS} values (one per z), got {len(mu)}")
    if (sigma <= 0).any():
        raise ValueError("sigma must be > 0 for every z")
    return mixture_density(x, np.ones_like(mu), mu, sigma)


def latent_model_density(
    x: object, decoder: LatentDecoder, *, n_quadrature: int = 4000
) -> np.ndarray:
    """The infinite mixture int P(z) N(x; mu(z), sigma(z)^2) dz by quadrature over z at the
    normal quantiles z_j = Phi^{-1}((j + 1/2) / J), each with weight 1/J."""
    n_quadrature = check_int("n_quadrature", n_quadrature, low=1, high=MAX_COMPONENTS)
    # z_j = Phi^{-1}((j + 1/2) / J)
    z = special.ndtri((np.arange(n_quadrature) + 0.5) / n_quadrature)
    mu, sigma = decoder(z)
    return latent_mixture_density(x, mu, sigma)


def latent_term_curves(
    mu: object, sigma: object, *, n_shown: int, n_points: int = 25
) -> tuple[np.ndarray, np.ndarray]:
    """The first ``n_shown`` of the N terms N(x; mu(z_n), sigma(z_n)^2) / N of the N-sample
    sum (N = len(mu)), as one polyline with NaN gaps (see ``component_curves``)."""
    mu, sigma = check_finite("mu", mu).reshape(-1), check_finite("sigma", sigma).reshape(-1)
    n_total = len(mu)
    n_shown = check_int("n_shown", n_shown, low=1, high=n_total)
    xs, ys = component_curves(np.ones(n_shown), mu[:n_shown], sigma[:n_shown], n_points=n_points)
    # each term carries weight 1/N of the whole sum (component_curves gave it 1/n_shown)
    return xs, ys * (n_shown / n_total)


def latent_mixture_densities(x: object, mu: object, sigma: object, ns: object) -> np.ndarray:
    """P_N(x) for every N in ``ns`` at once, shape (len(ns), len(x)), from running sums
    over the first N terms: row i equals ``latent_mixture_density(x, mu[:N], sigma[:N])``."""
    mu, sigma = check_finite("mu", mu).reshape(-1), check_finite("sigma", sigma).reshape(-1)
    if len(mu) > MAX_COMPONENTS:
        raise ValueError(f"mu must hold at most {MAX_COMPONENTS} values (one per z), got {len(mu)}")
    ns = [check_int(f"ns[{i}]", n, low=1, high=len(mu)) for i, n in enumerate(np.atleast_1d(ns))]
    if not ns:
        raise ValueError("ns must hold at least one N")
    if mu.shape != sigma.shape or (sigma <= 0).any():
        raise ValueError("mu and sigma must be 1-D of one length, with sigma > 0 for every z")
    x = check_finite("x", x).reshape(-1)
    check_evaluations(max(ns), len(x))
    # S_N(x) = sum_{n <= N} N(x; mu(z_n), sigma(z_n)^2), in blocks between consecutive N
    order = sorted(set(ns))
    sums, running, start = {}, np.zeros_like(x), 0
    for n in order:
        block_sum = np.empty_like(x)
        for cols in point_blocks(n - start, len(x)):
            block_sum[cols] = normal_pdf(x[None, cols], mean=mu[start:n, None],
                                         std=sigma[start:n, None]).sum(0)
        running = running + block_sum
        sums[n], start = running, n
    # P_N(x) = S_N(x) / N
    return np.stack([sums[n] / n for n in ns])


@dataclass(frozen=True)
class SigmaSweep:
    """The analytic decoder's constant sigma(z) = sigma against the target, per sigma:
    the L1 error of its infinite mixture and the mean L1 error of its N-draw sum."""

    sigmas: np.ndarray  # (S,)
    n_draws: int
    seeds: tuple[int, ...]
    infinite_errors: np.ndarray  # (S,) int |p - P_inf| dx
    draw_errors: np.ndarray  # (S,) mean over seeds of int |p - P_N| dx

    def best_for_draws(self) -> float:
        """The sigma whose N-draw sum is closest to the target (on average over seeds)."""
        return float(self.sigmas[int(np.argmin(self.draw_errors))])


def decoder_sigma_sweep(
    target: TargetDensity, sigmas: object, *, n_draws: int = 100, seeds: tuple[int, ...] = (0, 1, 2)
) -> SigmaSweep:
    """How the analytic decoder's noise width sigma decides how close its mixture comes to
    the target: for each sigma, the infinite mixture int P(z) N(x; mu(z), sigma^2) dz (by
    quadrature over z) and the sum over ``n_draws`` prior draws of z (one per seed), each
    compared with the target by the L1 distance on the quadrature grid."""
    sigmas = check_finite("sigmas", sigmas).reshape(-1)
    if len(sigmas) == 0 or not (np.isfinite(sigmas) & (sigmas > 0)).all():
        raise ValueError(f"sigmas must hold at least one finite value > 0, got {sigmas.tolist()}")
    n_draws = check_int("n_draws", n_draws, low=1, high=MAX_COMPONENTS)
    seeds = check_seeds(seeds)
    grid = x_grid()
    p = target.pdf(grid)
    draws = [latent_draws(n_draws, seed=s) for s in seeds]
    infinite, drawn = [], []
    for sigma in sigmas:
        decoder = analytic_decoder(target, sigma=float(sigma))
        # int |p(x) - int P(z) N(x; mu(z), sigma^2) dz| dx
        infinite.append(l1_error(p, latent_model_density(grid, decoder), grid))
        # mean over seeds of int |p(x) - (1/N) sum_n N(x; mu(z_n), sigma^2)| dx
        drawn.append(np.mean([l1_error(p, latent_mixture_density(grid, *decoder(z)), grid)
                              for z in draws]))
    return SigmaSweep(sigmas=sigmas, n_draws=n_draws, seeds=seeds,
                      infinite_errors=np.array(infinite), draw_errors=np.array(drawn))
