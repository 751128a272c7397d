"""Inside the VAE: every number of the tutorial's diagram (image011) for a real digit.

The encoder gives each image a code mean m and a log-variance s per dimension; noise
e ~ N(0, I) is drawn; the code is c = m + exp(s / 2) * e; the decoder draws c. The
tutorial's Minimize2 is sum_j (exp(s_j) - (1 + s_j) + m_j^2), which is twice the KL
to N(0, I) only if s is the log-variance (the reading this library uses):
:func:`kl_readings` puts the alternatives side by side.

The KL weight beta is explored on a grid of 8-dimensional VAEs trained on the 5k MNIST
digits (:func:`train_beta_grid`, cached on disk).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch.distributions import Normal, kl_divergence

from explainer.data import ImageDataset
from explainer.gaussians import kl_standard_normal
from explainer.losses import bernoulli_entropy_floor, kl_per_dimension
from explainer.models import Autoencoder, ModelConfig, reparameterize
from explainer.train import TrainedModel, TrainingConfig, evaluate, train_model
from explainer.validation import check_code_stats, check_int, check_real, check_seed

# An 8-dimensional code: enough dimensions for some to switch off as beta grows.
ANATOMY_VAE = ModelConfig(kind="vae", input_dim=784, latent_dim=8, hidden_dims=(256,))
ANATOMY_TRAINING = TrainingConfig(epochs=12, batch_size=128, lr=5e-3)
# The KL weights the slider visits: 0 (no KL at all), log-spaced up to 10.
BETA_GRID = (0.0, 0.1, 0.3, 1.0, 3.0, 10.0)
# A code dimension is "active" if its KL to the prior, averaged over images, exceeds this.
ACTIVE_KL = 0.01
# The literature's criterion (Burda, Grosse & Salakhutdinov 2016, "active units"): a code
# dimension is active if its mean E_q[z_j], varied over the images, has a variance above this.
ACTIVE_VARIANCE = 0.01


def train_beta_grid(
    data: ImageDataset,
    *,
    betas: tuple[float, ...] = BETA_GRID,
    seed: int = 0,
    progress: bool = False,
) -> dict[float, TrainedModel]:
    """One VAE of ``ANATOMY_VAE`` per KL weight in ``betas``, trained (one thread) or cached."""
    out = {}
    for beta in betas:
        beta = check_real("beta", beta, low=0.0)
        out[beta] = train_model(ANATOMY_VAE.replace(beta=beta), data, seed=seed, progress=progress,
                                num_threads=1, training=ANATOMY_TRAINING)
    return out


@dataclass(frozen=True)
class Diagram:
    """Image011 for one image: each array is (latent_dim,), images are (784,)."""

    image: np.ndarray
    mean: np.ndarray
    logvar: np.ndarray
    sigma: np.ndarray
    noise: np.ndarray
    code: np.ndarray
    decoded: np.ndarray


@torch.inference_mode()
def diagram(model: Autoencoder, image: torch.Tensor, noise: np.ndarray) -> Diagram:
    """Encode ``image`` (784,), add the given ``noise`` e, decode the code c."""
    if model.config.kind != "vae":
        raise ValueError(f"model must be a VAE (kind='vae'), got kind={model.config.kind!r}")
    x = model.check_input(torch.as_tensor(image).reshape(1, -1), name="image")
    e = np.asarray(noise, dtype=np.float32).reshape(1, -1)
    if e.shape[1] != model.latent_dim or not np.isfinite(e).all():
        raise ValueError(f"noise must hold {model.latent_dim} finite numbers, got {e.ravel()}")
    mean, logvar = model.encode_checked(x)
    # c = m + exp(s / 2) * e
    code = reparameterize(mean, logvar, torch.from_numpy(e))
    return Diagram(
        image=x[0].numpy(),
        mean=mean[0].numpy(),
        logvar=logvar[0].numpy(),
        # sigma = exp(s / 2)
        sigma=torch.exp(0.5 * logvar[0]).numpy(),
        noise=e[0],
        code=code[0].numpy(),
        decoded=model.decode(code)[0].numpy(),
    )


def draw_noise(latent_dim: int, *, seed: int) -> np.ndarray:
    """e ~ N(0, I) of size ``latent_dim``, from ``seed``."""
    latent_dim = check_int("latent_dim", latent_dim, low=1)
    seed = check_seed(seed)
    generator = torch.Generator().manual_seed(seed)
    return torch.randn(latent_dim, generator=generator).numpy()


def noise_draws(latent_dim: int, *, seed: int, n_draws: int) -> np.ndarray:
    """Draws 0 ... n_draws - 1 of :class:`DiagramNoise` from ``seed``: row k is
    ``draw_noise(latent_dim, seed=seed + k)``. Shape (n_draws, latent_dim), float32."""
    latent_dim = check_int("latent_dim", latent_dim, low=1)
    seed = check_seed(seed)
    n_draws = check_int("n_draws", n_draws, low=1, high=100_000)
    return np.stack([draw_noise(latent_dim, seed=seed + k) for k in range(n_draws)])


class DiagramNoise:
    """The diagram's noise e: drawn from ``seed``, each new draw from the next seed (seed + 1,
    seed + 2, ...: every draw can be had again), or one dimension set by hand."""

    def __init__(self, latent_dim: int, *, seed: int = 0) -> None:
        self.latent_dim = check_int("latent_dim", latent_dim, low=1)
        self.seed = check_seed(seed)
        self.draws = 0
        # the dimensions set by hand since the last draw, in the order they were set
        self.hand_set: tuple[int, ...] = ()
        self.e = draw_noise(self.latent_dim, seed=self.seed)

    def draw_new(self) -> np.ndarray:
        """A new e ~ N(0, I), from the next seed."""
        self.draws += 1
        self.hand_set = ()
        self.e = draw_noise(self.latent_dim, seed=self.seed + self.draws)
        return self.e

    def set(self, dim: int, value: float) -> np.ndarray:
        """e with dimension ``dim`` set to ``value`` (a new array: earlier ones stay as they
        were)."""
        dim = check_int("dim", dim, low=0, high=self.latent_dim - 1)
        e = self.e.copy()
        e[dim] = check_real("e", value)
        self.e = e
        self.hand_set = (*(j for j in self.hand_set if j != dim), dim)
        return e

    def describe(self) -> str:
        """Which noise this is, e.g. "e: draw 2 (seed 2), dim 3 set by hand"."""
        text = f"e: draw {self.draws} (seed {self.seed + self.draws})"
        if self.hand_set:
            dims = ", ".join(str(j + 1) for j in sorted(self.hand_set))
            text += f", dim{'s' if len(self.hand_set) > 1 else ''} {dims} set by hand"
        return text


def minimize2_terms(mean: np.ndarray, logvar: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The tutorial's Minimize2 per dimension, split: (exp(s) - (1 + s), m^2)."""
    m, s = check_code_stats(mean, logvar)
    # exp(s) - (1 + s): zero at s = 0, the noise the prior asks for
    return np.exp(s) - (1.0 + s), m**2


def kl_readings(mean: np.ndarray, logvar: np.ndarray) -> dict[str, float]:
    """The tutorial's formula beside the exact KL(q || N(0, I)) under both readings of s.

    ``minimize2``: sum_j (exp(s_j) - (1 + s_j) + m_j^2), the tutorial's formula.
    ``kl_log_variance``: s = log sigma^2 (this library): 1/2 sum_j (exp(s_j) - 1 - s_j + m_j^2).
    ``kl_log_std``: s = log sigma (the figure's weight exp(s)):
    1/2 sum_j (exp(2 s_j) - 1 - 2 s_j + m_j^2).
    ``torch_log_variance``: ``torch.distributions.kl_divergence`` with scale exp(s / 2).
    """
    m, s = (torch.as_tensor(a) for a in check_code_stats(mean, logvar))
    prior = Normal(torch.zeros_like(m), torch.ones_like(m))
    return {
        # sum_j (exp(s_j) - (1 + s_j) + m_j^2)
        "minimize2": float((s.exp() - (1 + s) + m**2).sum()),
        # 1/2 sum_j (exp(s_j) - 1 - s_j + m_j^2): s_j is log sigma_j^2
        "kl_log_variance": float(kl_standard_normal(m, s).sum()),
        # 1/2 sum_j (exp(2 s_j) - 1 - 2 s_j + m_j^2): s_j is log sigma_j, log sigma_j^2 = 2 s_j
        "kl_log_std": float(kl_standard_normal(m, 2 * s).sum()),
        "torch_log_variance": float(kl_divergence(Normal(m, torch.exp(0.5 * s)), prior).sum()),
    }


def active_units(mean: object, *, threshold: float = ACTIVE_VARIANCE) -> np.ndarray:
    """Which code dimensions are active by Burda et al.'s (2016) criterion: the variance over
    the images of the encoder means E_q[z_j] (``mean``, shape (n_images, latent_dim), at
    least two images) exceeds ``threshold``. Returns a boolean array (latent_dim,)."""
    means = np.asarray(mean.detach() if isinstance(mean, torch.Tensor) else mean, dtype=np.float64)
    if means.ndim != 2 or means.shape[0] < 2 or means.shape[1] < 1:
        raise ValueError("mean must have shape (n_images, latent_dim) with at least two images "
                         f"and one dimension, got shape {means.shape}")
    if not np.isfinite(means).all():
        raise ValueError("mean must hold finite numbers")
    threshold = check_real("threshold", threshold, low=0.0)
    # A_u = Var_x( E_q[u | x] ),  active if A_u > threshold
    return means.var(axis=0) > threshold


@dataclass(frozen=True)
class BetaSummary:
    """What the KL weight does to one trained VAE, measured on the test digits.

    ``logvars``: (n_images, latent_dim) encoder log-variances; ``kl_per_dim``:
    (latent_dim,) KL to the prior averaged over images; ``active``: how many exceed
    ``ACTIVE_KL``; ``reconstructions`` (of evenly spaced test digits) and ``samples``:
    (n, 784) images; ``entropy_floor``: the images' pixel entropy floor, in nats.
    """

    beta: float
    logvars: np.ndarray
    kl_per_dim: np.ndarray
    active: int
    reconstruction_nats: float
    kl_nats: float
    reconstructions: np.ndarray
    samples: np.ndarray
    # the pixel entropy floor of x_test (nats per image): the part of reconstruction_nats
    # that no decoder can remove (see explainer.losses.bernoulli_entropy_floor)
    entropy_floor: float = 0.0

    @property
    def mean_logvar(self) -> float:
        return float(self.logvars.mean())


@torch.inference_mode()
def summarize(trained: TrainedModel, x_test: torch.Tensor, *, n_images: int = 10,
              n_samples: int = 10, seed: int = 0) -> BetaSummary:
    """Measure a trained VAE on ``x_test``; decode ``n_samples`` codes drawn from N(0, I)."""
    model = trained.model
    x = model.check_input(x_test, name="x_test")
    n_images = check_int("n_images", n_images, low=1, high=len(x))
    n_samples = check_int("n_samples", n_samples, low=1, high=10_000)
    seed = check_seed(seed)
    mean, logvar = model.encode_checked(x)
    kl = kl_per_dimension(mean, logvar).numpy()
    generator = torch.Generator().manual_seed(seed)
    z = torch.randn(n_samples, model.latent_dim, generator=generator)
    return BetaSummary(
        beta=model.config.beta,
        logvars=logvar.numpy(),
        kl_per_dim=kl,
        active=int((kl > ACTIVE_KL).sum()),
        reconstruction_nats=trained.history.test_reconstruction[-1],
        kl_nats=trained.history.test_kl[-1],
        # reconstructions of evenly spaced test digits from their code means: decode(m)
        reconstructions=model.decode(
            mean[np.linspace(0, len(x) - 1, n_images).astype(int)]).numpy(),
        samples=model.decode(z).numpy(),
        entropy_floor=float(bernoulli_entropy_floor(x).mean()),
    )


@dataclass(frozen=True)
class TrainingCurve:
    """Both terms of one VAE's loss over training, on the test images, in nats per image:
    ``epoch`` (0 = the untrained start, then 1, 2, ...), ``reconstruction`` (Minimize1) and
    ``kl`` (the KL to the prior, Minimize2 / 2), each an array of one value per epoch."""

    beta: float
    epoch: np.ndarray
    reconstruction: np.ndarray
    kl: np.ndarray


def training_curves(trained: dict[float, TrainedModel], x_test: torch.Tensor, *,
                    seed: int = 0) -> dict[float, TrainingCurve]:
    """Minimize1 and the KL per epoch for each model of ``trained`` ({beta: TrainedModel}).

    Epochs 1, 2, ... are the test passes ``fit`` recorded after each epoch (its history,
    read as stored). Epoch 0 is measured here, the same way (one code per image, noise from
    ``seed``): the model as training started, ``Autoencoder(config, seed=seed)``, so ``seed``
    must be the one the models were trained with (``train_beta_grid``'s default, 0).
    """
    if not isinstance(trained, dict) or not trained:
        raise ValueError("trained must hold at least one {beta: TrainedModel} entry, "
                         f"got {trained!r}")
    seed = check_seed(seed)

    out = {}
    for beta, t in sorted(trained.items()):
        h = t.history
        if not h.test_reconstruction:
            raise ValueError(f"the model at beta={beta:g} recorded no test terms "
                             "(trained without x_test)")
        start = evaluate(Autoencoder(t.model.config, seed=seed), x_test, seed=seed)
        out[beta] = TrainingCurve(
            beta=float(beta),
            epoch=np.array([0, *h.epoch]),
            reconstruction=np.array([start["reconstruction"], *h.test_reconstruction]),
            kl=np.array([start["kl"], *h.test_kl]),
        )
    return out
