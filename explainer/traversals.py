"""Latent traversals: what each code dimension draws, one dimension at a time.

For one digit, the encoder gives the code mean m. Each dimension j in turn is set to a
row of values (from -3 to 3, the prior's usual range) with every other dimension kept at
the digit's m, and each code is decoded: one row of images per dimension. A dimension the
decoder uses changes the drawing along its row; a collapsed dimension (its KL to the prior
near zero) gives a row of identical images.

Each row is marked with its dimension's KL to the prior (nats, averaged over the reference
images) and whether it is an *active unit* (Burda, Grosse & Salakhutdinov 2016: the
variance over the images of the encoder means E_q[z_j] exceeds
``explainer.anatomy.ACTIVE_VARIANCE``). :class:`TraversalGrid` holds a trained VAE per KL
weight and answers "this digit, this weight" for the widget.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import torch

from explainer.anatomy import ACTIVE_VARIANCE, active_units
from explainer.losses import kl_per_dimension
from explainer.models import Autoencoder
from explainer.train import TrainedModel
from explainer.validation import check_int, check_labels, check_real

# The values each code dimension takes along its row: the prior N(0, 1)'s -3 to 3.
TRAVERSAL_VALUES = tuple(np.linspace(-3.0, 3.0, 9).round(2))


@dataclass(frozen=True)
class DimensionStats:
    """What each code dimension of one VAE carries over a set of images: ``kl_per_dim``
    (latent_dim,) is the KL to the prior averaged over the images (nats), ``mean_variance``
    (latent_dim,) the variance of the code mean m_j over the images, ``active`` (latent_dim,)
    whether that variance exceeds ``threshold`` (Burda et al.'s active units)."""

    kl_per_dim: np.ndarray
    mean_variance: np.ndarray
    active: np.ndarray
    threshold: float

    @property
    def n_active(self) -> int:
        return int(self.active.sum())


@torch.inference_mode()
def dimension_stats(model: Autoencoder, images: torch.Tensor, *,
                    threshold: float = ACTIVE_VARIANCE) -> DimensionStats:
    """The KL per dimension and the active units of ``model`` (a VAE) over ``images``
    (n, 784), at least two images."""
    _check_vae(model)
    x = model.check_input(images, name="images")
    if len(x) < 2:
        raise ValueError(f"images must hold at least two images, got {len(x)}")
    threshold = check_real("threshold", threshold, low=0.0)
    mean, logvar = model.encode_checked(x)
    m = mean.double().numpy()
    return DimensionStats(
        # KL_j = 1/2 mean_x ( exp(s_j) - 1 - s_j + m_j^2 )
        kl_per_dim=kl_per_dimension(mean.double(), logvar.double()).numpy(),
        # A_j = Var_x( m_j(x) )
        mean_variance=m.var(axis=0),
        active=active_units(m, threshold=threshold),
        threshold=threshold,
    )


@dataclass(frozen=True)
class Traversal:
    """One digit's traversal under one VAE.

    ``images``: (latent_dim, n_values, 784), row j decoded from m with m_j replaced by each
    of ``values``; ``decoded_mean``: (784,) the digit decoded from m itself; ``change``:
    (latent_dim,) the largest mean absolute pixel change along row j from ``decoded_mean``
    (pixels in [0, 1]); ``stats``: the model's dimensions over the reference images.
    """

    beta: float
    digit: int
    label: int
    image: np.ndarray
    mean: np.ndarray
    values: np.ndarray
    images: np.ndarray
    decoded_mean: np.ndarray
    change: np.ndarray
    stats: DimensionStats

    @property
    def latent_dim(self) -> int:
        return len(self.mean)


@torch.inference_mode()
def traverse(model: Autoencoder, image: torch.Tensor, *, stats: DimensionStats,
             values: Sequence[float] = TRAVERSAL_VALUES, digit: int = 0,
             label: int = -1) -> Traversal:
    """Decode ``image``'s code mean m with each dimension j set, in turn, to each of
    ``values`` (the others kept at m). ``stats``: the model's :func:`dimension_stats`;
    ``digit`` and ``label`` only name the image."""
    _check_vae(model)
    x = model.check_input(torch.as_tensor(image).reshape(1, -1), name="image")
    if not isinstance(stats, DimensionStats) or len(stats.kl_per_dim) != model.latent_dim:
        raise ValueError(f"stats must be the model's DimensionStats ({model.latent_dim} "
                         "dimensions), from dimension_stats(model, images)")
    v = np.asarray(values, dtype=np.float64)
    if v.ndim != 1 or len(v) < 2 or not np.isfinite(v).all():
        raise ValueError(f"values must be at least two finite numbers, got {values!r}")
    digit = check_int("digit", digit, low=0)
    label = check_int("label", label, low=-1)
    mean, _ = model.encode_checked(x)
    k, n = model.latent_dim, len(v)
    # codes (k, n, k): every row starts at m; row j, column i sets c_j = values_i
    codes = mean[0].repeat(k, n, 1)
    rows = torch.arange(k)
    codes[rows, :, rows] = torch.as_tensor(v, dtype=codes.dtype)
    decoded = model.decode(codes.reshape(k * n, k)).reshape(k, n, -1)
    decoded_mean = model.decode(mean)[0]
    # change_j = max_i mean_d | x_hat(row j, value i)_d - x_hat(m)_d |
    change = (decoded - decoded_mean).abs().mean(dim=2).amax(dim=1)
    return Traversal(
        beta=model.config.beta, digit=digit, label=label, image=x[0].numpy(),
        mean=mean[0].double().numpy(), values=v, images=decoded.numpy(),
        decoded_mean=decoded_mean.numpy(), change=change.double().numpy(), stats=stats,
    )


class TraversalGrid:
    """Traversals for a set of trained VAEs (one per KL weight) and a set of digits.

    The state behind the traversal widget: ``select(beta, digit)`` makes that pair current
    and returns its :class:`Traversal` (computed once, then kept). Each model's
    :class:`DimensionStats` are measured on ``reference`` (e.g. every test digit).
    """

    def __init__(self, trained: Mapping[float, TrainedModel | Autoencoder], images: torch.Tensor,
                 labels: torch.Tensor, *, digits: Sequence[int], reference: torch.Tensor,
                 values: Sequence[float] = TRAVERSAL_VALUES) -> None:
        if not isinstance(trained, Mapping) or not trained:
            raise ValueError("trained must hold at least one {beta: TrainedModel} entry, "
                             f"got {trained!r}")
        self.models: dict[float, Autoencoder] = {}
        for beta, t in sorted(trained.items()):
            beta = check_real("beta", beta, low=0.0)
            model = t.model if isinstance(t, TrainedModel) else t
            _check_vae(model)
            self.models[beta] = model
        first = next(iter(self.models.values()))
        self.images = first.check_input(images, name="images")
        self.labels = check_labels("labels", labels, n_images=len(self.images))
        self.digits = [check_int("digit", d, low=0, high=len(self.images) - 1) for d in digits]
        if not self.digits:
            raise ValueError("digits must name at least one image")
        self.values = tuple(float(v) for v in values)
        self.stats = {beta: dimension_stats(m, reference) for beta, m in self.models.items()}
        self.betas = list(self.models)
        self._memo: dict[tuple[float, int], Traversal] = {}
        self.beta = 1.0 if 1.0 in self.models else self.betas[0]
        self.digit = self.digits[0]
        self.select(self.beta, self.digit)

    def select(self, beta: float, digit: int) -> Traversal:
        """Make (``beta``, ``digit``) current; an error names the trained weights and digits."""
        beta = check_real("beta", beta, low=0.0)
        digit = check_int("digit", digit, low=0)
        if beta not in self.models:
            raise ValueError(f"beta must be one of the trained KL weights {self.betas}, "
                             f"got {beta:g}")
        if digit not in self.digits:
            raise ValueError(f"digit must be one of {self.digits}, got {digit}")
        self.beta, self.digit = beta, digit
        return self.current

    @property
    def current(self) -> Traversal:
        return self.traversal(self.beta, self.digit)

    def traversal(self, beta: float, digit: int) -> Traversal:
        """The traversal of test image ``digit`` under the VAE of weight ``beta``."""
        key = (beta, digit)
        if key not in self._memo:
            self._memo[key] = traverse(self.models[beta], self.images[digit],
                                       stats=self.stats[beta], values=self.values,
                                       digit=digit, label=int(self.labels[digit]))
        return self._memo[key]


def first_of_each_class(labels: torch.Tensor) -> list[int]:
    """The index of the first image of each class present in ``labels``, by class."""
    y = np.asarray(labels)
    if y.ndim != 1 or len(y) == 0:
        raise ValueError(f"labels must be a non-empty 1-D array, got shape {y.shape}")
    return [int(np.argmax(y == c)) for c in np.unique(y)]


def _check_vae(model: object) -> None:
    if not isinstance(model, Autoencoder):
        raise TypeError("model must be an explainer.models.Autoencoder, got "
                        f"{type(model).__name__}")
    if model.config.kind != "vae":
        raise ValueError(f"model must be a VAE (kind='vae'), got kind={model.config.kind!r}")
