"""log p(x) of a VAE estimated two ways: z drawn from the prior, or z drawn from the encoder.

Both rest on one identity. For any proposal r(z) that covers the posterior,

    p(x) = E_{z ~ r} [ p(x|z) p(z) / r(z) ],

so log (1/K) sum_k w_k, with w_k = p(x|z_k) p(z_k) / r(z_k) and z_k ~ r, estimates log p(x).
Its expectation is below log p(x) (Jensen) and rises towards it as K grows.

* **Prior sampling**, r = p(z) = N(0, I): the weight is just w_k = p(x|z_k), and the
  estimate is log (1/K) sum_k p(x|z_k): "average the decoder's likelihood over codes
  drawn from the prior", the infinite mixture of notebook 05 evaluated by Monte Carlo.
* **Importance sampling with the encoder**, r = q(z|x) (Burda et al., 2016):
  ``explainer.image_elbo.log_importance_weights`` and ``importance_sampled_log_likelihood``.

How many draws each needs depends on how much of r's mass lands where the posterior
p(z|x) is. Importance sampling needs about exp(KL(p(z|x) || r)) draws (Chatterjee &
Diaconis, 2018); with r the prior that is exp(KL(p(z|x) || p(z))), which grows with the
code's dimension: the posterior fills a vanishing fraction of the prior's volume.

Everything is in nats per image, computed in float64 from the model's float32 outputs.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from explainer import cache
from explainer.image_elbo import (
    CodeSampling,
    check_log_weights,
    check_vae,
    importance_sampled_log_likelihood,
    log_importance_weights,
)
from explainer.losses import kl_standard_normal
from explainer.train import TrainedModel
from explainer.validation import check_choice, check_int, check_seeds

# decode at most this many codes at once: bounds memory to MAX_DECODES x input_dim floats
# (8,192 x 784 x 4 bytes = 26 MB for MNIST), whatever the number of samples
MAX_DECODES = 8192
ESTIMATORS = ("prior", "encoder")


@torch.inference_mode()
def log_prior_weights(
    model: nn.Module, x: torch.Tensor, *, n_samples: int, seed: int, chunk_size: int = 8
) -> torch.Tensor:
    """log w_k = log p(x|z_k), z_k ~ N(0, I): shape (n, n_samples), float64.

    These are importance weights with the prior as proposal (p(z_k) / p(z_k) = 1), so
    ``image_elbo.importance_sampled_log_likelihood(weights, k=K)`` turns them into the K-sample
    prior-sampling estimate log (1/K) sum_k p(x|z_k). The codes come from a
    ``torch.Generator`` seeded with ``seed``; ``chunk_size`` images, and at most
    ``MAX_DECODES`` codes, are decoded at a time.
    """
    sampling = CodeSampling.checked(model, x, n_samples=n_samples, seed=seed,
                                    chunk_size=chunk_size)
    n_samples, d, generator = sampling.n_samples, sampling.latent_dim, sampling.generator
    out = []
    for xb in sampling.chunks():
        n = xb.shape[0]
        # z_k ~ N(0, I)
        z = torch.randn((n * n_samples, d), generator=generator)  # (n K, d)
        x_rep = xb.repeat_interleave(n_samples, dim=0)  # (n K, D)
        log_lik = torch.empty(n * n_samples, dtype=torch.float64)
        for j in range(0, n * n_samples, MAX_DECODES):
            block = slice(j, j + MAX_DECODES)
            # log p(x|z) = -nll
            log_lik[block] = -model.reconstruction_nll(model.decode_logits(z[block]),
                                                        x_rep[block]).double()
        out.append(log_lik.reshape(n, n_samples))
    return torch.cat(out, dim=0)


def effective_sample_size(log_weights: torch.Tensor) -> torch.Tensor:
    """Kish's effective sample size of each row of weights, (sum w)^2 / sum w^2: shape (n,).

    K if every draw counts equally, 1 if one draw carries all the weight.
    """
    check_log_weights(log_weights)
    # (sum w)^2 / sum w^2 = exp(2 logsumexp(log w) - logsumexp(2 log w))
    return torch.exp(2.0 * torch.logsumexp(log_weights, dim=1)
                     - torch.logsumexp(2.0 * log_weights, dim=1))


@torch.inference_mode()
def kl_to_prior(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """KL(q(z|x) || N(0, I)) per image, in nats: shape (n,), float64."""
    check_vae(model)
    mean, logvar = model.encode(x)
    return kl_standard_normal(mean, logvar).double()


def _check_ks(ks: Sequence[int], *, n_samples: int) -> tuple[int, ...]:
    ks = tuple(ks)
    if not ks:
        raise ValueError("ks must hold at least one sample size")
    checked = tuple(check_int(f"ks[{i}]", k, low=1, high=n_samples) for i, k in enumerate(ks))
    if list(checked) != sorted(set(checked)):
        raise ValueError(f"ks must be strictly increasing, got {list(checked)}")
    return checked


@dataclass(frozen=True)
class EstimatorComparison:
    """Both estimates of log p(x) for each seed, digit and K (nats per digit).

    ``estimates[name]`` has shape (n_seeds, n_digits, len(ks)): for each K the mean of
    log (1/K) sum w over the n_samples // K groups of K draws. ``ess[name]`` is the
    effective sample size of all n_samples draws, (n_seeds, n_digits). ``kl_prior`` is
    KL(q(z|x) || N(0, I)) per digit, (n_digits,).
    """

    latent_dim: int
    ks: tuple[int, ...]
    seeds: tuple[int, ...]
    n_samples: int
    estimates: dict[str, np.ndarray]
    ess: dict[str, np.ndarray]
    kl_prior: np.ndarray

    def mean(self, estimator: str) -> np.ndarray:
        """The estimate at each K, averaged over digits and seeds: (len(ks),)."""
        return self.estimates[check_choice("estimator", estimator, ESTIMATORS)].mean(axis=(0, 1))

    def seed_spread(self, estimator: str) -> np.ndarray:
        """The standard deviation over seeds of the digit-averaged estimate: (len(ks),)."""
        per_seed = self.estimates[check_choice("estimator", estimator, ESTIMATORS)].mean(axis=1)
        return per_seed.std(axis=0, ddof=1) if len(self.seeds) > 1 else np.zeros(len(self.ks))

    def difference(self, *, k: int) -> np.ndarray:
        """encoder minus prior estimate per digit at ``k`` (mean over seeds): (n_digits,)."""
        k = check_int("k", k, low=1)
        if k not in self.ks:
            raise ValueError(f"k must be one of {list(self.ks)}, got {k}")
        i = self.ks.index(k)
        diff = self.estimates["encoder"][:, :, i] - self.estimates["prior"][:, :, i]
        return diff.mean(axis=0)


def compare_estimators(
    model: nn.Module,
    digits: torch.Tensor,
    *,
    ks: Sequence[int] = (1, 10, 100, 1000),
    n_samples: int = 1000,
    seeds: Sequence[int] = (0, 1, 2),
    chunk_size: int = 8,
) -> EstimatorComparison:
    """Prior sampling against importance sampling with the encoder, on the same digits.

    For each seed, ``n_samples`` draws per digit from each proposal (the prior:
    :func:`log_prior_weights`; the encoder: ``image_elbo.log_importance_weights``), turned into
    the K-sample estimate at every K in ``ks`` by ``image_elbo.importance_sampled_log_likelihood``.
    """
    check_vae(model)
    n_samples = check_int("n_samples", n_samples, low=1, high=100_000)
    ks = _check_ks(ks, n_samples=n_samples)
    seeds = check_seeds(seeds, distinct=True)
    chunk_size = check_int("chunk_size", chunk_size, low=1)
    digits = model.check_input(digits, name="digits")
    return _compare(model, digits, ks=ks, n_samples=n_samples, seeds=seeds,
                    chunk_size=chunk_size)


def _compare(model: nn.Module, digits: torch.Tensor, *, ks: tuple[int, ...], n_samples: int,
             seeds: tuple[int, ...], chunk_size: int) -> EstimatorComparison:
    """:func:`compare_estimators` for arguments already checked."""
    estimates = {name: [] for name in ESTIMATORS}
    ess = {name: [] for name in ESTIMATORS}
    for seed in seeds:
        weights = {
            "prior": log_prior_weights(model, digits, n_samples=n_samples, seed=seed,
                                       chunk_size=chunk_size),
            "encoder": log_importance_weights(model, digits, n_samples=n_samples, seed=seed,
                                              chunk_size=chunk_size),
        }
        for name, w in weights.items():
            estimates[name].append(torch.stack(
                [importance_sampled_log_likelihood(w, k=k) for k in ks], dim=1).numpy())
            ess[name].append(effective_sample_size(w).numpy())
    return EstimatorComparison(
        latent_dim=model.config.latent_dim,
        ks=ks,
        seeds=seeds,
        n_samples=n_samples,
        estimates={name: np.stack(v) for name, v in estimates.items()},
        ess={name: np.stack(v) for name, v in ess.items()},
        kl_prior=kl_to_prior(model, digits).numpy(),
    )


def cached_comparison(
    trained: TrainedModel,
    digits: torch.Tensor,
    *,
    ks: Sequence[int] = (1, 10, 100, 1000),
    n_samples: int = 1000,
    seeds: Sequence[int] = (0, 1, 2),
    use_disk_cache: bool = True,
) -> EstimatorComparison:
    """:func:`compare_estimators` for a model from ``train.train_model``, stored on disk
    under the model's cache key, the digits' pixels, ``ks``, ``n_samples`` and ``seeds``."""
    if not isinstance(trained, TrainedModel):
        raise TypeError(f"trained must be an explainer.train.TrainedModel, got "
                        f"{type(trained).__name__}")
    model = trained.model
    check_vae(model)
    n_samples = check_int("n_samples", n_samples, low=1, high=100_000)
    ks = _check_ks(ks, n_samples=n_samples)
    seeds = check_seeds(seeds, distinct=True)
    digits = model.check_input(digits, name="digits")
    pixels = hashlib.sha256(digits.contiguous().numpy().tobytes()).hexdigest()[:16]
    path = cache.cache_dir() / "arrays" / (cache.cache_key(
        kind="marginal-likelihood", model=trained.key, digits=pixels, ks=ks,
        n_samples=n_samples, seeds=seeds) + ".npz")
    shape = (len(seeds), digits.shape[0])
    spec = {name: (np.float64, (*shape, len(ks))) for name in ESTIMATORS}
    spec.update({f"{name}_ess": (np.float64, shape) for name in ESTIMATORS})
    spec["kl_prior"] = (np.float64, (digits.shape[0],))
    arrays = cache.load_arrays(path, parse=lambda a: cache.check_arrays(a, spec)) \
        if use_disk_cache else None
    if arrays is None:
        result = _compare(model, digits, ks=ks, n_samples=n_samples, seeds=seeds, chunk_size=8)
        if use_disk_cache:
            cache.save_arrays(path, {**result.estimates, "kl_prior": result.kl_prior,
                                     **{f"{n}_ess": v for n, v in result.ess.items()}})
        return result
    return EstimatorComparison(
        latent_dim=model.config.latent_dim, ks=ks, seeds=seeds, n_samples=n_samples,
        estimates={name: arrays[name] for name in ESTIMATORS},
        ess={name: arrays[f"{name}_ess"] for name in ESTIMATORS},
        kl_prior=arrays["kl_prior"],
    )


def log_samples_needed(kl: float) -> float:
    """log10 of exp(KL): the order of the number of draws importance sampling needs when
    the target is KL nats away from the proposal (Chatterjee & Diaconis, 2018)."""
    # log10 exp(KL) = KL / ln 10
    return float(kl) / math.log(10.0)


def figure_inputs(comparisons: Sequence[EstimatorComparison], *, decimals: int = 2) -> dict:
    """The arguments of ``plots.marginal_likelihood.estimates_against_k_figure`` for
    comparisons run with the same ``ks``: one row per code dimension, rounded to
    ``decimals`` (a figure stored in a notebook then repeats exactly)."""
    comparisons = list(comparisons)
    if not comparisons:
        raise ValueError("comparisons must hold at least one EstimatorComparison")
    ks = comparisons[0].ks
    if any(c.ks != ks for c in comparisons):
        raise ValueError(f"every comparison must use the same ks, got "
                         f"{[list(c.ks) for c in comparisons]}")
    decimals = check_int("decimals", decimals, low=0, high=15)
    return dict(
        ks=list(ks),
        latent_dims=[c.latent_dim for c in comparisons],
        means={n: np.round(np.stack([c.mean(n) for c in comparisons]), decimals)
               for n in ESTIMATORS},
        spreads={n: np.round(np.stack([c.seed_spread(n) for c in comparisons]), decimals)
                 for n in ESTIMATORS},
    )


def summary(comparison: EstimatorComparison, *, ks: Sequence[int] = (1, 10, 100, 1000)) -> str:
    """The comparison as rounded text: each estimator's mean over digits (and its spread
    over seeds) at each K, the per-digit difference at the largest K, the effective number
    of draws, and KL(q || prior) with the number of prior draws it calls for."""
    c = comparison
    ks = list(_check_ks(ks, n_samples=c.n_samples))
    missing = [k for k in ks if k not in c.ks]
    if missing:
        raise ValueError(f"ks must be among the comparison's {list(c.ks)}, got {missing}")
    cols = [c.ks.index(k) for k in ks]
    lines = [f"{c.latent_dim}-D code, {c.kl_prior.size} digits, {len(c.seeds)} seeds: "
             "mean over digits ± sd over seeds (nats)",
             " " * 22 + "".join(f"{'K = ' + format(k, ','):>16s}" for k in ks)]
    for name, label in (("prior", "z from the prior"), ("encoder", "z from the encoder")):
        mean, spread = c.mean(name), c.seed_spread(name)
        cells = "".join(f"{mean[i]:9.1f} ± {spread[i]:4.1f}" for i in cols)
        lines.append(f"  {label:20s}{cells}")
    k = c.ks[-1]
    diff = c.difference(k=k)
    low, high = np.percentile(diff, [5, 95])
    lines.append(f"  encoder minus prior at K = {k:,}, per digit: mean {diff.mean():.1f}, "
                 f"5-95% of digits {low:.1f} to {high:.1f}; encoder higher on "
                 f"{int((diff > 0).sum())} of {diff.size}")
    ess = {name: float(np.median(c.ess[name])) for name in ESTIMATORS}
    lines.append(f"  effective draws of {c.n_samples:,} (median over digits): "
                 f"prior {ess['prior']:.0f}, encoder {ess['encoder']:.0f}")
    kl = float(c.kl_prior.mean())
    lines.append(f"  KL(q(z|x) || N(0, I)), mean over digits: {kl:.1f} nats, "
                 f"exp(KL) = 10^{log_samples_needed(kl):.1f} prior draws")
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------
# One digit's importance weights as K grows: what the K-sample estimate is made of
# ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class FirstDraws:
    """The first ``k`` importance weights of one digit, as one K-sample estimate sees them.

    ``normalised``: w_i / sum_j w_j over the k draws (sums to 1), ``log10_normalised``: its
    base-10 logarithm (computed from the log weights: no underflow), ``ess``: Kish's effective
    sample size (sum w)^2 / sum w^2 (k if the draws count equally, 1 if one draw carries
    all the weight), ``estimate``: log (1/k) sum_i w_i, this run's estimate of log p(x).
    """

    k: int
    normalised: np.ndarray
    log10_normalised: np.ndarray
    ess: float
    estimate: float


class DigitImportanceWeights:
    """One digit's importance weights w_i = p(x|z_i) p(z_i) / q(z_i|x), z_i ~ q(z|x)
    (Burda et al., 2016), read at a growing number of draws K.

    ``log_weights``: (n_images, n_samples) from ``image_elbo.log_importance_weights``; ``digit``
    picks the row; ``ks``: the K's to read (strictly increasing, at most n_samples).
    Attributes (float64): ``elbo_`` the mean log weight over all draws (the ELBO's
    estimate), ``best_estimate_`` log (1/N) sum w over all N draws, ``mean_estimates_``
    for each K the K-sample estimate averaged over the N // K disjoint groups of K draws
    (its expectation is the IWAE bound L_K), ``ess_`` for each K the effective sample size
    of the first K draws, ``bin_edges_`` the histogram's bins in log10 of the normalised
    weight (from below the smallest at the largest K up to 0, half a decade wide).
    """

    BIN_WIDTH = 0.5  # decades of the normalised weight per histogram bin

    def __init__(self, log_weights: torch.Tensor, *, digit: int = 0,
                 ks: Sequence[int] = (1, 10, 100, 1000)) -> None:
        n_images, n_samples = check_log_weights(log_weights).shape
        self.digit = check_int("digit", digit, low=0, high=n_images - 1)
        self.ks = _check_ks(ks, n_samples=n_samples)
        row = log_weights[self.digit].double()
        if not torch.isfinite(row).all():
            raise ValueError("log_weights must be finite (from image_elbo.log_importance_weights)")
        self.log_weights_ = row.numpy()
        # ELBO = E_q[log w], estimated by the mean over the draws
        self.elbo_ = float(row.mean())
        # log p(x) ~ log (1/N) sum_i w_i over every draw
        self.best_estimate_ = float(torch.logsumexp(row, 0) - math.log(n_samples))
        self.mean_estimates_ = np.array(
            [float(importance_sampled_log_likelihood(row[None], k=k)[0]) for k in self.ks])
        self.ess_ = np.array([self.first(k).ess for k in self.ks])
        # the smallest normalised weight is at the largest K (more draws share the sum)
        lowest = float(self.first(self.ks[-1]).log10_normalised.min())
        low = min(math.floor(lowest / self.BIN_WIDTH) * self.BIN_WIDTH, -self.BIN_WIDTH)
        n_bins = round(-low / self.BIN_WIDTH)
        self.bin_edges_ = np.linspace(low, 0.0, n_bins + 1)

    def first(self, k: int) -> FirstDraws:
        """The first ``k`` draws: their normalised weights, ESS and estimate."""
        k = check_int("k", k, low=1, high=self.log_weights_.size)
        log_w = torch.from_numpy(self.log_weights_[:k])
        # log (w_i / sum_j w_j) = log w_i - logsumexp(log w)
        log_normalised = torch.log_softmax(log_w, 0)
        ess = float(effective_sample_size(log_w[None])[0])
        # log (1/k) sum_i w_i
        estimate = float(torch.logsumexp(log_w, 0) - math.log(k))
        return FirstDraws(k=k, normalised=log_normalised.exp().numpy(),
                          log10_normalised=(log_normalised / math.log(10.0)).numpy(),
                          ess=ess, estimate=estimate)

    def bin_centres(self) -> np.ndarray:
        """The histogram bins' centres, in log10 of the normalised weight."""
        return 0.5 * (self.bin_edges_[:-1] + self.bin_edges_[1:])

    def histogram(self, k: int) -> np.ndarray:
        """How many of the first ``k`` draws fall in each bin of log10(normalised weight)
        (a weight below the first edge is counted in the first bin)."""
        clipped = np.clip(self.first(k).log10_normalised, self.bin_edges_[0], 0.0)
        return np.histogram(clipped, bins=self.bin_edges_)[0]

    def shares(self, k: int) -> np.ndarray:
        """The share of the first ``k`` draws in each bin (the histogram divided by k)."""
        return self.histogram(k) / k

    def estimate_range(self) -> tuple[float, float]:
        """The lowest and highest of the ELBO, every K's mean estimate and every K's
        first-draws estimate: the span an axis showing them all must cover."""
        values = [self.elbo_, self.best_estimate_, *self.mean_estimates_,
                  *(self.first(k).estimate for k in self.ks)]
        return min(values), max(values)
