"""The Gaussian decoder's variance trades against the KL like the KL weight beta.

A Gaussian decoder N(x_hat, sigma^2 I) over D pixels gives

    -log p(x|z) = SSE / (2 sigma^2) + (D / 2) log(2 pi sigma^2),   SSE = sum_d (x_d - x_hat_d)^2,

so the objective SSE / (2 sigma^2) + beta KL equals (1 / (2 sigma^2)) (SSE + 2 sigma^2 beta KL)
plus a constant: its minimiser depends on sigma^2 and beta only through their product. The
models (sigma^2, beta) and (sigma0^2, beta sigma^2 / sigma0^2) minimise the same function up
to a constant factor, and Adam's steps do not change when the loss is multiplied by a
constant (up to its epsilon), so the two trainings should end at nearly the same rate (KL)
and distortion (SSE). :func:`train_variance_grid` trains a small grid of such VAEs on the
same data (cached on disk), and :class:`VarianceWeightGrid` holds their measurements.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from explainer.anatomy import ANATOMY_TRAINING, ANATOMY_VAE
from explainer.data import ImageDataset
from explainer.losses import kl_standard_normal, squared_error
from explainer.train import TrainedModel, train_model
from explainer.validation import check_int, check_real, check_seed

# The anatomy VAE (784 -> 256 -> 8) with a Gaussian decoder; trained as ANATOMY_TRAINING.
GAUSSIAN_VAE = ANATOMY_VAE.replace(likelihood="gaussian")
# The decoder variances and KL weights of the grid: factors of 10, so that many pairs share
# the product sigma^2 beta (the grid's 9 models fall into 5 such classes).
VARIANCE_GRID = (0.01, 0.1, 1.0)
WEIGHT_GRID = (0.1, 1.0, 10.0)
# The reference variance sigma0^2 of the comparison (sigma^2, 1) against
# (sigma0^2, sigma^2 / sigma0^2).
REFERENCE_VARIANCE = 0.1


def train_variance_grid(
    data: ImageDataset,
    *,
    variances: tuple[float, ...] = VARIANCE_GRID,
    betas: tuple[float, ...] = WEIGHT_GRID,
    seed: int = 0,
    progress: bool = False,
) -> dict[tuple[float, float], TrainedModel]:
    """One Gaussian-decoder VAE per (decoder variance, KL weight), trained or cached."""
    out = {}
    for variance in variances:
        for beta in betas:
            config = GAUSSIAN_VAE.replace(decoder_variance=variance, beta=beta)
            out[config.decoder_variance, config.beta] = train_model(
                config, data, training=ANATOMY_TRAINING, seed=seed, progress=progress,
                num_threads=1)
    return out


@dataclass(frozen=True)
class RateDistortion:
    """One trained model measured on test images: ``rate`` is the mean KL(q(z|x) || N(0, I))
    in nats, ``distortion`` the mean squared error E_q[SSE] (one seeded code draw per image),
    ``reconstructions`` (n, D) decoded from the code means of evenly spaced test images."""

    variance: float
    beta: float
    rate: float
    distortion: float
    reconstructions: np.ndarray

    @property
    def product(self) -> float:
        """sigma^2 beta: the one number the minimiser depends on."""
        return self.variance * self.beta


@torch.inference_mode()
def measure(trained: TrainedModel, x_test: torch.Tensor, *, n_images: int = 8,
            seed: int = 0) -> RateDistortion:
    """Rate and distortion of a trained Gaussian-decoder VAE on ``x_test``."""
    model = trained.model
    if model.config.kind != "vae" or model.config.likelihood != "gaussian":
        raise ValueError("trained must hold a VAE with a Gaussian decoder, got kind="
                         f"{model.config.kind!r}, likelihood={model.config.likelihood!r}")
    x = model.check_input(x_test, name="x_test")
    n_images = check_int("n_images", n_images, low=1, high=len(x))
    seed = check_seed(seed)
    mean, logvar = model.encode_checked(x)
    # c = m + exp(s / 2) e, e ~ N(0, I) from the seed
    code = model.sample_code(mean, logvar, generator=torch.Generator().manual_seed(seed))
    shown = np.linspace(0, len(x) - 1, n_images).astype(int)
    return RateDistortion(
        variance=model.config.decoder_variance,
        beta=model.config.beta,
        # rate = mean over images of KL(N(m, e^s) || N(0, I))
        rate=float(kl_standard_normal(mean, logvar).mean()),
        # distortion = mean over images of sum_d (x_d - x_hat_d(c))^2
        distortion=float(squared_error(model.decode(code), x).mean()),
        reconstructions=model.decode(mean[shown]).clamp(0.0, 1.0).numpy(),
    )


class VarianceWeightGrid:
    """The measured grid of (decoder variance, KL weight) models, and which are equivalent.

    ``select(variance, beta)`` picks a model; ``equivalents()`` are the other models of the
    grid with the same product sigma^2 beta (the same minimiser).
    """

    def __init__(self, trained: dict[tuple[float, float], TrainedModel], x_test: torch.Tensor,
                 *, seed: int = 0) -> None:
        if not isinstance(trained, dict) or not trained:
            raise ValueError("trained must hold at least one {(variance, beta): TrainedModel} "
                             f"entry, got {trained!r}")
        seed = check_seed(seed)
        self.points = {key: measure(t, x_test, seed=seed) for key, t in sorted(trained.items())}
        self.variances = sorted({v for v, _ in self.points})
        self.betas = sorted({b for _, b in self.points})
        self.variance = (REFERENCE_VARIANCE if REFERENCE_VARIANCE in self.variances
                         else self.variances[0])
        self.beta = 1.0 if 1.0 in self.betas else self.betas[0]
        self.select(self.variance, self.beta)

    def select(self, variance: float, beta: float) -> RateDistortion:
        """Make (variance, beta) the current model; an error names the trained values."""
        variance = check_real("variance", variance, low=0.0, low_open=True)
        beta = check_real("beta", beta, low=0.0)
        if (variance, beta) not in self.points:
            raise ValueError(f"no model trained at variance={variance:g}, beta={beta:g}: the grid "
                             f"has variances {self.variances} and KL weights {self.betas}")
        self.variance, self.beta = variance, beta
        return self.current

    @property
    def current(self) -> RateDistortion:
        return self.points[self.variance, self.beta]

    def equivalents(self, point: RateDistortion | None = None) -> list[RateDistortion]:
        """The other models whose sigma^2 beta equals that of ``point`` (default: the current
        model), to 1e-9 relative."""
        here = self.current if point is None else point
        return [p for p in self.points.values()
                if (p.variance, p.beta) != (here.variance, here.beta)
                and np.isclose(p.product, here.product, rtol=1e-9, atol=0.0)]

    def pairs(
        self, *, reference: float = REFERENCE_VARIANCE
    ) -> list[tuple[RateDistortion, RateDistortion]]:
        """(sigma^2, beta = 1) beside (``reference``, beta = sigma^2 / reference), for every
        sigma^2 of the grid whose partner was trained too."""
        reference = check_real("reference", reference, low=0.0, low_open=True)
        out = []
        for variance in self.variances:
            partner = (reference, variance / reference)
            if variance != reference and (variance, 1.0) in self.points:
                match = [key for key in self.points if key[0] == reference
                         and np.isclose(key[1], partner[1], rtol=1e-9, atol=0.0)]
                if match:
                    out.append((self.points[variance, 1.0], self.points[match[0]]))
        return out
