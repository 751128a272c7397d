"""The rate-distortion plane of a grid of VAEs (Alemi et al. 2018): each model a point.

For a VAE with encoder q(z|x) and decoder p(x|z), on a set of images:

- the **rate** R = E_x[KL(q(z|x) || N(0, I))], nats per image: what the code carries;
- the **distortion** D = E_x E_q[-log p(x|z)], nats per image: the reconstruction term;
- -ELBO = D + R, so the lines D + R = const are the models of equal ELBO.

What no model can reach, drawn honestly for a Bernoulli decoder on grey images: the
Bernoulli cross-entropy of a grey level x against any decoder output p is at least the
binary entropy of x (equality at p = x), for every code z, so D is at least the grey
images' entropy floor (:func:`explainer.losses.bernoulli_entropy_floor`) whatever the rate.
Alemi et al.'s sloped bound D >= H - R needs a normalised decoder and the data entropy H,
which a Bernoulli likelihood of grey levels does not give; it is not drawn here.

:func:`rate_points` measures each VAE of a grid (a :class:`RatePoint`, with its active
code dimensions by two criteria); :class:`RatePlane` holds the points and the floor;
:class:`PlaneSelection` is the state of a view in which a click on a point chooses that
model (the widget is a view of it).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from explainer.anatomy import ACTIVE_KL, ACTIVE_VARIANCE, active_units
from explainer.losses import bernoulli_entropy_floor, kl_per_dimension
from explainer.map_models import MapGrid
from explainer.train import evaluate
from explainer.validation import check_int, check_real, check_seed


@dataclass(frozen=True)
class RatePoint:
    """One VAE on the rate-distortion plane (test set, nats per image).

    Two counts of active code dimensions: ``active``, KL per dimension above
    ``anatomy.ACTIVE_KL`` nats; ``active_units``, the literature's (Burda et al. 2016):
    variance over the images of E_q[z_j] above ``anatomy.ACTIVE_VARIANCE``.
    """

    beta: float
    distortion: float
    rate: float
    kl_per_dim: np.ndarray
    active: int
    active_units: int


@torch.inference_mode()
def rate_points(grid: MapGrid, x_test: torch.Tensor, *, seed: int = 0) -> list[RatePoint]:
    """Reconstruction (distortion) and KL (rate) of every cached VAE, with its active dimensions
    by both criteria (:class:`RatePoint`)."""
    out = []
    for beta in grid.values("vae"):
        mm = grid.get("vae", beta)
        x = mm.model.check_input(x_test, name="x_test")
        terms = evaluate(mm.model, x, seed=seed)
        mean, logvar = mm.model.encode_checked(x)
        kl = kl_per_dimension(mean, logvar).numpy()
        out.append(RatePoint(beta, terms["reconstruction"], terms["kl"], kl,
                             active=int((kl > ACTIVE_KL).sum()),
                             active_units=int(active_units(mean, threshold=ACTIVE_VARIANCE).sum())))
    return out


@dataclass(frozen=True)
class RatePlane:
    """The VAEs of a grid as points (rate, distortion) on the test images, and the floor
    no distortion goes below (the mean entropy of the test images' grey levels)."""

    points: tuple[RatePoint, ...]
    floor: float

    @property
    def betas(self) -> list[float]:
        return [p.beta for p in self.points]

    @property
    def rates(self) -> np.ndarray:
        return np.array([p.rate for p in self.points])

    @property
    def distortions(self) -> np.ndarray:
        return np.array([p.distortion for p in self.points])

    @property
    def neg_elbos(self) -> np.ndarray:
        # -ELBO = D + R (the bound with weight 1 on the KL, whatever beta trained the model)
        return self.distortions + self.rates

    def point_for(self, beta: float) -> RatePoint | None:
        """The point of the model trained with ``beta``, or None if the grid has none."""
        for p in self.points:
            if math.isclose(p.beta, beta, rel_tol=1e-9):
                return p
        return None


def rate_plane(grid: MapGrid, x_test: torch.Tensor, *, seed: int = 0) -> RatePlane:
    """Every VAE of ``grid`` on the plane (one code sample per image, drawn from ``seed``)."""
    if not isinstance(grid, MapGrid):
        raise TypeError(f"grid must be a map_models.MapGrid, got {type(grid).__name__}")
    if not grid.values("vae"):
        raise ValueError("grid must hold at least one VAE")
    seed = check_seed(seed)
    points = tuple(rate_points(grid, x_test, seed=seed))
    x = grid.get("vae", grid.values("vae")[0]).model.check_input(x_test, name="x_test")
    floor = float(bernoulli_entropy_floor(x).mean())
    return RatePlane(points, floor)


def iso_elbo_levels(plane: RatePlane, *, step: float = 5.0) -> list[float]:
    """-ELBO values, multiples of ``step``, for the lines D + R = const across the points:
    from the lowest point's -ELBO rounded down to the highest's rounded up."""
    step = check_real("step", step, low=1e-6)
    totals = plane.neg_elbos
    low, high = math.floor(totals.min() / step), math.ceil(totals.max() / step)
    return [float(k * step) for k in range(low, high + 1)]


class PlaneSelection:
    """Which model of the plane is chosen: a click on a point chooses its beta; a beta off
    the grid (a model trained live) chooses none. Observers are told the chosen beta."""

    def __init__(self, plane: RatePlane, *, beta: float | None = None) -> None:
        if not isinstance(plane, RatePlane):
            raise TypeError(f"plane must be a RatePlane, got {type(plane).__name__}")
        self.plane = plane
        self.beta: float | None = None
        if beta is not None:
            self.follow(beta)

    def click(self, index: int) -> float:
        """The point ``index`` (as plotly reports it) was clicked: its beta is chosen."""
        index = check_int("index", index, low=0, high=len(self.plane.points) - 1)
        self.beta = self.plane.points[index].beta
        return self.beta

    def follow(self, beta: float) -> RatePoint | None:
        """The maps show ``beta`` (e.g. moved by their slider): the point chosen, if any."""
        beta = check_real("beta", beta, low=0.0)
        point = self.plane.point_for(beta)
        self.beta = beta if point is not None else None
        return point
