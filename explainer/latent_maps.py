"""Latent maps of 2-D autoencoders on real MNIST: where the codes go, and what the holes decode.

The tutorial claims that a plain autoencoder's code space is irregular, with holes that
decode to nothing, and that a VAE's noise and KL term fill it. This module trains the
three models of that story with a 2-number code on the 5,000 MNIST digits and measures
the claim instead of drawing it:

- :func:`map_config`, :func:`train_map_model`, :func:`train_map_grid`: an AE, noisy AEs
  over a grid of noise scales and VAEs over a grid of KL weights beta, each trained once
  and cached on disk **with its optimiser state**, so that a value off the grid can be
  reached by a warm start (:func:`warm_start`).
- :func:`map_view`: everything a latent map shows for one model: the test codes, their
  posterior widths, the plane's extent and a grid of digits decoded over it.
- :func:`hole_meter`: decode N codes drawn from the prior N(0, I) and measure how many a
  digit classifier (:func:`train_digit_classifier`) recognises with confidence, and how
  far each is from its nearest real training digit. ``sample_from="fitted"`` draws the
  codes from a Gaussian fitted to the model's own codes (:func:`fitted_gaussian`): the
  fair draw for the AE, which has no prior.
- :class:`AggregatePosterior`: q(z) = (1/N) sum_n N(z; m_n, diag(e^{s_n})), the mixture
  of every digit's posterior, with its exact log density (a log-sum-exp in blocks of
  points); :func:`coverage` (KL(q(z) || p(z)), the prior's mass where q(z) is below a
  fraction of p(z), Monte Carlo with a seed) and :func:`density_picture` (exact cell
  masses, :func:`cell_masses`) answer "does the noise cover the space?".
- :func:`read_digits` (what the classifier names in each image, "?" if unsure),
  :func:`interpolate`, :func:`rate_distortion`, :func:`strokes_to_image` (a drawing,
  downsampled to 28 x 28 the way MNIST was made).

The larger grid is trained on request: ``train_map_grid(data, grid="large")`` or
``python -m explainer.latent_maps --large``.
"""

from __future__ import annotations

import argparse
import copy
import math
from pathlib import Path
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from scipy.special import gammainc, ndtr
from torch import nn

from explainer import cache
from explainer.anatomy import ACTIVE_KL, ACTIVE_VARIANCE, active_units
from explainer.data import MNIST_SIDE, ImageDataset
from explainer.losses import kl_per_dimension
from explainer.models import Autoencoder, ModelConfig
from explainer.recipes import MNIST_2D_TRAINING, MNIST_2D_VAE
from explainer.train import (
    FitResult,
    History,
    TrainingConfig,
    evaluate,
    fit,
    make_optimizer,
    result_from_record,
    torch_threads,
)
from explainer.validation import (
    check_choice,
    check_images,
    check_int,
    check_labels,
    check_real,
    check_unit_interval,
)

MODEL_NAMES = ("ae", "noisy_ae", "vae")
MODEL_LABELS = {"ae": "AE", "noisy_ae": "noisy AE", "vae": "VAE"}
# The executed default: small enough for a cold notebook run (about 4-5 s per model on
# one core); the large grid is trained only on request.
NOISE_GRID = (0.3, 1.0)
BETA_GRID = (0.1, 0.3, 1.0, 3.0, 10.0)
LARGE_NOISE_GRID = (0.1, 0.2, 0.3, 0.5, 1.0, 2.0)
LARGE_BETA_GRID = (0.03, 0.1, 0.2, 0.3, 0.5, 1.0, 2.0, 3.0, 10.0)
GRIDS = {"default": (NOISE_GRID, BETA_GRID), "large": (LARGE_NOISE_GRID, LARGE_BETA_GRID)}
# The noisy AE's fixed noise scale when one is shown without a slider.
DEFAULT_NOISE = 1.0
MAP_TRAINING = MNIST_2D_TRAINING
# Live retraining: epochs under the new value, continuing from the nearest cached model.
LIVE_EPOCHS = 6


# --------------------------------------------------------------------------- models


def map_config(name: str, value: float | None = None) -> ModelConfig:
    """The 784-256-2 model ``name`` ("ae", "noisy_ae", "vae") with its one parameter.

    ``value`` is the noise scale for "noisy_ae" (> 0; 0 is the AE), the KL weight beta
    for "vae" (>= 0), and must be None or 0 for "ae".
    """
    name = check_choice("model", name, MODEL_NAMES)
    if name == "ae":
        if value not in (None, 0, 0.0):
            raise ValueError(f"the AE has no noise scale or KL weight; got value={value!r}")
        return MNIST_2D_VAE.replace(kind="ae", beta=0.0)
    if name == "noisy_ae":
        noise = DEFAULT_NOISE if value is None else value
        noise = check_real("noise_scale", noise, low=0.0, low_open=True)
        return MNIST_2D_VAE.replace(kind="noisy_ae", noise_scale=noise, beta=0.0)
    beta = 1.0 if value is None else value
    beta = check_real("beta", beta, low=0.0)
    return MNIST_2D_VAE.replace(kind="vae", beta=beta)


def model_value(config: ModelConfig) -> float:
    """The one parameter a slider sets: noise scale (noisy AE), beta (VAE), 0 (AE)."""
    if config.kind == "noisy_ae":
        return config.noise_scale
    if config.kind == "vae":
        return config.beta
    return 0.0


def describe(name: str, value: float) -> str:
    """A short name such as ``VAE beta=0.3`` or ``noisy AE noise=1``."""
    check_choice("name", name, MODEL_NAMES)
    if name == "ae":
        return "AE"
    if name == "noisy_ae":
        return f"noisy AE noise={value:g}"
    return f"VAE β={value:g}"


@dataclass
class MapModel:
    """A trained 2-D model with what a warm start needs: Adam's state and the generator's.

    ``source`` says where it came from ("cache", "trained", or how it was retrained live).
    """

    name: str
    value: float
    model: Autoencoder
    history: History
    optimizer_state: dict[str, Any]
    generator_state: torch.Tensor
    source: str = "trained"

    @property
    def label(self) -> str:
        return describe(self.name, self.value)

    @property
    def epochs(self) -> int:
        return self.history.epoch[-1] if self.history.epoch else 0


def train_map_model(
    name: str,
    value: float | None,
    data: ImageDataset,
    *,
    seed: int = 0,
    progress: bool = False,
    use_cache: bool = True,
) -> MapModel:
    """Model ``name`` at ``value`` trained with ``MAP_TRAINING`` on one thread, or from the cache.

    Like :func:`explainer.train.train_model`, but the record also keeps Adam's moments
    and the shuffle/noise generator, so a live retrain can continue exactly from it.
    """
    config = map_config(name, value)
    seed = check_int("seed", seed, low=0)
    path = _map_model_path(config, data, seed=seed)
    cached = _load_map_model(name, config, path, seed=seed) if use_cache else None
    if cached is not None:
        return cached
    model = Autoencoder(config, seed=seed)
    result = fit(model, data.x_train, training=MAP_TRAINING, x_test=data.x_test, seed=seed,
                 progress=progress, num_threads=1)
    out = _from_fit(name, config, result, source="trained")
    if use_cache:
        cache.save_record(path, {"state_dict": model.state_dict(),
                                 "history": result.history.to_dict(),
                                 "optimizer": out.optimizer_state,
                                 "generator": out.generator_state})
    return out


def cached_map_model(name: str, value: float | None, data: ImageDataset, *,
                     seed: int = 0) -> MapModel | None:
    """Model ``name`` at ``value`` from the cache, or None if it has not been trained yet."""
    config = map_config(name, value)
    seed = check_int("seed", seed, low=0)
    return _load_map_model(name, config, _map_model_path(config, data, seed=seed), seed=seed)


def _load_map_model(name: str, config: ModelConfig, path: Path, *, seed: int) -> MapModel | None:
    return cache.load_record(path, parse=lambda record: _map_model_from_record(
        name, config, record, seed=seed))


def _map_model_from_record(name: str, config: ModelConfig, record: dict[str, Any], *,
                           seed: int) -> MapModel:
    """The map model in ``record``; raises if any part would not let a warm start continue."""
    result = result_from_record(config, record, lr=MAP_TRAINING.lr, seed=seed)
    return MapModel(name, model_value(config), result.model, result.history,
                    result.optimizer.state_dict(), result.generator.get_state(), source="cache")


def _map_model_path(config: ModelConfig, data: ImageDataset, *, seed: int) -> Path:
    key = cache.cache_key(purpose="latent-map-model", config=config.to_dict(),
                          data=data.fingerprint(), seed=seed, **MAP_TRAINING.to_dict())
    return cache.model_path(key)


def _from_fit(name: str, config: ModelConfig, result: FitResult, *, source: str) -> MapModel:
    return MapModel(name, model_value(config), result.model, result.history,
                    result.optimizer.state_dict(), result.generator.get_state(), source=source)


ModelKey = tuple[str, float]


@dataclass
class MapGrid:
    """The trained models, keyed by (name, value): ("ae", 0.0), ("noisy_ae", s), ("vae", beta)."""

    models: dict[ModelKey, MapModel] = field(default_factory=dict)

    def values(self, name: str) -> list[float]:
        """The cached values of ``name``'s parameter, sorted."""
        check_choice("model", name, MODEL_NAMES)
        return sorted(v for n, v in self.models if n == name)

    def get(self, name: str, value: float = 0.0) -> MapModel:
        check_choice("model", name, MODEL_NAMES)
        key = (name, float(value))
        if key not in self.models:
            raise KeyError(f"no cached {describe(name, value)}; cached: {self.values(name)}")
        return self.models[key]

    def nearest(self, name: str, value: float) -> MapModel:
        """The cached model of ``name`` nearest ``value`` (in log scale for positive values)."""
        values = self.values(name)
        if not values:
            raise KeyError(f"no cached model of kind {name!r}")
        value = check_real("value", value, low=0.0)

        def distance(v: float) -> float:
            # |log v - log value|, with 0 handled on a linear scale
            if v > 0 and value > 0:
                return abs(math.log(v) - math.log(value))
            return abs(v - value) + 1e3
        return self.models[(name, min(values, key=distance))]


def train_map_grid(
    data: ImageDataset,
    *,
    grid: str = "default",
    noise_grid: tuple[float, ...] | None = None,
    beta_grid: tuple[float, ...] | None = None,
    seed: int = 0,
    progress: bool = False,
) -> MapGrid:
    """The AE, a noisy AE per noise scale and a VAE per beta: trained once, then cached.

    ``grid="default"`` is the small grid a notebook executes; ``grid="large"`` adds more
    values (about 4-5 s per new model on one core). Explicit ``noise_grid`` / ``beta_grid``
    override the named grid.
    """
    check_choice("grid", grid, tuple(GRIDS))
    default_noise, default_beta = GRIDS[grid]
    noise_grid = default_noise if noise_grid is None else noise_grid
    beta_grid = default_beta if beta_grid is None else beta_grid
    out = MapGrid()
    todo: list[tuple[str, float]] = [("ae", 0.0)]
    todo += [("noisy_ae", check_real("noise_scale", s, low=0.0, low_open=True)) for s in noise_grid]
    todo += [("vae", check_real("beta", b, low=0.0)) for b in beta_grid]
    found = {(name, value): cached_map_model(name, value, data, seed=seed) for name, value in todo}
    missing = [item for item, model in found.items() if model is None]
    # a progress bar only when something is trained: a bar shown and closed at once leaves
    # a closed widget in the output, which Voila reports as "model not found"
    bar = None
    if progress and missing:
        from tqdm.auto import tqdm
        bar = tqdm(total=len(missing), unit="model", leave=False)
    for name, value in missing:
        found[(name, value)] = train_map_model(name, value, data, seed=seed)
        if bar is not None:
            bar.update(1)
    if bar is not None:
        bar.close()
    out.models.update(found)
    return out


class _Stale(Exception):
    """Raised inside a live retrain's optimiser step once a newer value was asked for."""


def warm_start(
    start: MapModel,
    value: float,
    data: ImageDataset,
    *,
    epochs: int = LIVE_EPOCHS,
    callback=None,
    is_current=None,
) -> MapModel | None:
    """Continue ``start`` under a new noise scale / beta ``value`` for ``epochs`` epochs.

    Adam's moments, the generator and the history carry on from ``start`` (the epochs
    count on). ``callback(epoch, model, history)`` runs after each epoch; returning False
    stops (a cancelled retrain). ``is_current()``, if given, is asked before every
    optimiser step: once it answers False the retrain stops there, mid-epoch, and
    returns None (a newer value was asked for; nothing of this one is kept).
    """
    config = map_config(start.name, value)
    epochs = check_int("epochs", epochs, low=1)
    if is_current is not None and not callable(is_current):
        raise TypeError(f"is_current must be callable or None, got {type(is_current).__name__}")
    model = Autoencoder(config, seed=0)
    model.load_state_dict(start.model.state_dict())
    optimizer = make_optimizer(model, lr=MAP_TRAINING.lr)
    # a copy: Adam updates its moments in place, and ``start`` (a cached model) must stay
    # as it is for the next retrain from it
    optimizer.load_state_dict(copy.deepcopy(start.optimizer_state))
    generator = torch.Generator()
    generator.set_state(start.generator_state.clone())
    history = History.from_dict(start.history.to_dict())
    hook = None
    if is_current is not None:
        def stop_if_stale(_optimizer, _args, _kwargs) -> None:
            if not is_current():
                raise _Stale

        hook = optimizer.register_step_pre_hook(stop_if_stale)
    try:
        result = fit(model, data.x_train, training=MAP_TRAINING.replace(epochs=epochs),
                     x_test=data.x_test, resume=FitResult(model, history, optimizer, generator),
                     callback=callback, num_threads=1)
    except _Stale:
        return None
    finally:
        if hook is not None:
            hook.remove()
    return _from_fit(start.name, config, result,
                     source=f"retrained live: {start.label} + {result.history.epoch[-1] - start.epochs} epochs")


def warm_up_training(data: ImageDataset) -> None:
    """One training step of a throwaway model, so the first live retrain does not pay
    torch's one-time start-up of autograd and fused Adam (about 1.5 s measured here)."""
    model = Autoencoder(map_config("vae", 1.0), seed=0)
    fit(model, data.x_train[:64], training=MAP_TRAINING.replace(epochs=1, batch_size=64),
        num_threads=1)


# --------------------------------------------------------------------------- maps


@dataclass(frozen=True)
class MapView:
    """What one latent map shows.

    ``codes``: (n, 2) code means of the test digits; ``sigmas``: (n, 2) posterior
    standard deviations exp(s / 2) (VAE), the fixed noise (noisy AE) or None (AE);
    ``half_width``: the plane shown is [-h, h]^2; ``manifold``: (n_grid * 28, n_grid * 28)
    digits decoded on an n_grid x n_grid grid over that square, top row at y = +h.
    """

    label: str
    codes: np.ndarray
    sigmas: np.ndarray | None
    labels: np.ndarray
    half_width: float
    grid_points: np.ndarray
    manifold: np.ndarray


def plane_half_width(codes: np.ndarray, *, floor: float = 3.0) -> float:
    """Half-width of the square shown: the 99th percentile of |code|, at least ``floor``
    (the prior's 3-sigma circle), rounded up to a multiple of 0.5."""
    codes = np.asarray(codes, dtype=np.float64)
    if codes.size == 0:
        raise ValueError("codes must hold at least one code")
    if not np.isfinite(codes).all():
        raise ValueError("codes must be finite: they hold NaN or infinite values")
    floor = check_real("floor", floor, low=0.0, low_open=True)
    # h = max(floor, q99(|c|)), rounded up to 0.5
    q = float(np.quantile(np.abs(codes), 0.99))
    return math.ceil(max(floor, q * 1.05) * 2) / 2


def grid_codes(half_width: float, n_grid: int) -> np.ndarray:
    """(n_grid^2, 2) codes of an n_grid x n_grid grid over [-h, h]^2, row by row from y = +h."""
    half_width = check_real("half_width", half_width, low=0.0, low_open=True)
    n_grid = check_int("n_grid", n_grid, low=2, high=100)
    t = np.linspace(-half_width, half_width, n_grid)
    gx, gy = np.meshgrid(t, t[::-1])
    return np.stack([gx.ravel(), gy.ravel()], axis=1).astype(np.float32)


@torch.inference_mode()
def decode_codes(model: Autoencoder, codes: np.ndarray) -> np.ndarray:
    """Decoded images (n, 784) for codes (n, latent_dim), one code per row."""
    if not isinstance(model, Autoencoder):
        raise TypeError(f"model must be an explainer.models.Autoencoder, got {type(model).__name__}")
    c = np.asarray(codes, dtype=np.float32)
    if c.ndim != 2 or c.shape[1] != model.latent_dim:
        raise ValueError(f"codes must have shape (n, {model.latent_dim}) (one row per code), "
                         f"got {c.shape}")
    if not np.isfinite(c).all():
        raise ValueError("codes must be finite")
    return model.decode(torch.from_numpy(c)).numpy()


@torch.inference_mode()
def encode_images(model: Autoencoder, images: torch.Tensor | np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    """(code means (n, 2), posterior standard deviations (n, 2) or None for the AE)."""
    x = model.check_input(images, name="images")
    mean, logvar = model.encode_checked(x)
    # sigma = exp(s / 2)
    sigma = None if logvar is None else torch.exp(0.5 * logvar).numpy()
    return mean.numpy(), sigma


def tile_manifold(decoded: np.ndarray, n_grid: int) -> np.ndarray:
    """n_grid^2 decoded digits (row by row) as one (n_grid * 28, n_grid * 28) image."""
    n_grid = check_int("n_grid", n_grid, low=1, high=100)
    x = np.asarray(decoded, dtype=np.float32)
    pixels = MNIST_SIDE * MNIST_SIDE
    if x.shape[0] != n_grid * n_grid or x[0].size != pixels or x.ndim not in (2, 3):
        raise ValueError(f"decoded must hold n_grid^2 = {n_grid * n_grid} images of {pixels} "
                         f"pixels, got shape {x.shape}")
    x = x.reshape(n_grid, n_grid, MNIST_SIDE, MNIST_SIDE)
    return x.transpose(0, 2, 1, 3).reshape(n_grid * MNIST_SIDE, n_grid * MNIST_SIDE)


def map_view(mm: MapModel, x_test: torch.Tensor, y_test: torch.Tensor, *, n_grid: int = 20,
             half_width: float | None = None) -> MapView:
    """Encode the test digits and decode an ``n_grid`` x ``n_grid`` grid over the plane."""
    codes, sigmas = encode_images(mm.model, x_test)
    labels = check_labels("y_test", y_test, n_images=len(codes)).numpy()
    h = plane_half_width(codes) if half_width is None else check_real(
        "half_width", half_width, low=0.0, low_open=True)
    points = grid_codes(h, n_grid)
    return MapView(label=mm.label, codes=codes, sigmas=sigmas,
                   labels=labels, half_width=h, grid_points=points,
                   manifold=tile_manifold(decode_codes(mm.model, points), n_grid))


def ellipse_outlines(centres: np.ndarray, sigmas: np.ndarray, *, n_vertices: int = 24) -> tuple[np.ndarray, np.ndarray]:
    """x and y of the 1-sigma ellipses {m + sigma * (cos t, sin t)}, NaN between ellipses.

    ``centres`` and ``sigmas``: (n, 2), one row per ellipse."""
    centres = np.asarray(centres, dtype=np.float64)
    sigmas = np.asarray(sigmas, dtype=np.float64)
    if centres.ndim != 2 or centres.shape[1] != 2:
        raise ValueError(f"centres must have shape (n, 2), got {centres.shape}")
    if sigmas.shape != centres.shape:
        raise ValueError(f"sigmas must have the shape of centres {centres.shape}, got {sigmas.shape}")
    t = np.linspace(0.0, 2.0 * np.pi, n_vertices)
    # x_k = m_1 + sigma_1 cos t_k,  y_k = m_2 + sigma_2 sin t_k
    xs = centres[:, :1] + sigmas[:, :1] * np.cos(t)[None, :]
    ys = centres[:, 1:] + sigmas[:, 1:] * np.sin(t)[None, :]
    gap = np.full((len(centres), 1), np.nan)
    return np.hstack([xs, gap]).ravel(), np.hstack([ys, gap]).ravel()


def prior_circles(radii: tuple[float, ...] = (1.0, 2.0, 3.0)) -> tuple[np.ndarray, np.ndarray]:
    """Contours of the prior N(0, I) density in 2-D: circles of radius r (r sigma), NaN-separated."""
    r = np.asarray(radii, dtype=np.float64).reshape(-1)
    if not (np.isfinite(r).all() and (r > 0).all()):
        raise ValueError(f"radii must be finite and > 0, got {r}")
    return ellipse_outlines(np.zeros((len(r), 2)), np.repeat(r[:, None], 2, axis=1), n_vertices=73)


# --------------------------------------------------------------------------- hole meter


class DigitClassifier(nn.Module):
    """A 784-256-10 ReLU network that names a digit; ``predict_proba`` gives softmax scores."""

    def __init__(self, *, seed: int = 0) -> None:
        super().__init__()
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            self.net = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10))
        self.test_accuracy_: float = float("nan")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)

    @torch.inference_mode()
    def predict_proba(self, images: np.ndarray | torch.Tensor) -> np.ndarray:
        x = check_images("images", images, n_pixels=784)
        # trained on MNIST's pixels in [0, 1]: other scales give confident nonsense
        check_unit_interval("images", x)
        return torch.softmax(self.net(x), dim=1).numpy()


CLASSIFIER_TRAINING = TrainingConfig(epochs=15, batch_size=128, lr=1e-3)


def _classifier_from_record(record: dict[str, Any], *, seed: int) -> DigitClassifier:
    clf = DigitClassifier(seed=seed)
    clf.load_state_dict(record["state_dict"])  # strict: every key, every shape
    return clf


def train_digit_classifier(data: ImageDataset, *, seed: int = 0) -> DigitClassifier:
    """The digit classifier trained on ``data``'s training digits (cached; one thread, 15
    epochs of Adam on the cross-entropy); its test accuracy is in ``test_accuracy_``."""
    seed = check_int("seed", seed, low=0)
    key = cache.cache_key(purpose="digit-classifier", data=data.fingerprint(), seed=seed,
                          **CLASSIFIER_TRAINING.to_dict())
    path = cache.model_path(key)
    clf = cache.load_record(path, parse=lambda record: _classifier_from_record(record, seed=seed))
    if clf is None:
        clf = DigitClassifier(seed=seed)
        generator = torch.Generator().manual_seed(seed)
        opt = torch.optim.Adam(clf.parameters(), lr=CLASSIFIER_TRAINING.lr)
        n, bs = data.x_train.shape[0], CLASSIFIER_TRAINING.batch_size
        with torch_threads(1):  # one thread: the same weights whatever OMP_NUM_THREADS says
            for _ in range(CLASSIFIER_TRAINING.epochs):
                order = torch.randperm(n, generator=generator)
                for i in range(0, n, bs):
                    idx = order[i:i + bs]
                    # cross-entropy  -log softmax(f(x))_y
                    loss = nn.functional.cross_entropy(clf(data.x_train[idx]), data.y_train[idx])
                    opt.zero_grad(set_to_none=True)
                    loss.backward()
                    opt.step()
        cache.save_record(path, {"state_dict": clf.state_dict()})
    clf.eval()
    predicted = clf.predict_proba(data.x_test).argmax(axis=1)
    clf.test_accuracy_ = float((predicted == data.y_test.numpy()).mean())
    return clf


@torch.inference_mode()
def nearest_distances(images: np.ndarray | torch.Tensor, reference: torch.Tensor, *,
                      chunk: int = 500) -> np.ndarray:
    """Euclidean pixel distance from each image to its nearest image in ``reference``: (n,)."""
    if not isinstance(reference, torch.Tensor) or reference.ndim != 2:
        raise TypeError("reference must be a 2-D torch.Tensor of images (n, pixels)")
    reference = check_images("reference", reference, n_pixels=reference.shape[1])
    x = check_images("images", images, n_pixels=reference.shape[1])
    out = []
    for i in range(0, x.shape[0], chunk):
        # min_j || x_i - r_j ||_2
        out.append(torch.cdist(x[i:i + chunk], reference).min(dim=1).values)
    return torch.cat(out).numpy()


@dataclass(frozen=True)
class HoleReading:
    """The hole meter for one model: prior samples decoded and judged.

    ``confident``: fraction of samples the classifier labels with confidence >= threshold;
    ``nearest``: mean pixel distance from a sample to its nearest training digit;
    ``digits``: how many confident samples of each class (10,).
    """

    label: str
    n_samples: int
    threshold: float
    confident: float
    nearest: float
    digits: np.ndarray


def prior_samples(n_samples: int, *, seed: int = 0) -> np.ndarray:
    """``n_samples`` codes z ~ N(0, I) in 2-D, from ``seed``."""
    n_samples = check_int("n_samples", n_samples, low=1, high=100_000)
    seed = check_int("seed", seed, low=0)
    return torch.randn(n_samples, 2, generator=torch.Generator().manual_seed(seed)).numpy()


def judge_images(images: np.ndarray, classifier: DigitClassifier, x_train: torch.Tensor, *,
                 threshold: float = 0.9, label: str = "") -> HoleReading:
    """Confident fraction and nearest-training-digit distance of any set of images."""
    threshold = check_real("threshold", threshold, low=0.0, high=1.0)
    proba = classifier.predict_proba(images)
    ok = proba.max(axis=1) >= threshold
    return HoleReading(label=label, n_samples=len(proba), threshold=threshold,
                       confident=float(ok.mean()),
                       nearest=float(nearest_distances(images, x_train).mean()),
                       digits=np.bincount(proba.argmax(axis=1)[ok], minlength=10))


def read_digits(images: np.ndarray, classifier: DigitClassifier, *, threshold: float = 0.9) -> list[str]:
    """What the classifier reads in each image: its digit if named with confidence
    >= ``threshold``, else "?" (unreadable)."""
    threshold = check_real("threshold", threshold, low=0.0, high=1.0)
    proba = classifier.predict_proba(images)
    return [str(k) if p >= threshold else "?" for k, p in zip(proba.argmax(axis=1), proba.max(axis=1))]


def fitted_gaussian(codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The mean (d,) and covariance (d, d) of ``codes`` (n, d), n >= 2: the Gaussian a model
    without a prior (the AE) is fairly sampled from."""
    c = np.asarray(codes, dtype=np.float64)
    if c.ndim != 2 or c.shape[0] < 2 or c.shape[1] < 1:
        raise ValueError(f"codes must have shape (n, d) with n >= 2 codes, got {c.shape}")
    if not np.isfinite(c).all():
        raise ValueError("codes must be finite: they hold NaN or infinite values")
    # mu = (1/n) sum_i c_i
    mean = c.mean(axis=0)
    # Sigma = (1/(n-1)) sum_i (c_i - mu)(c_i - mu)^T
    centred = c - mean
    return mean, centred.T @ centred / (len(c) - 1)


def gaussian_samples(mean: np.ndarray, covariance: np.ndarray, n_samples: int, *,
                     seed: int = 0) -> np.ndarray:
    """``n_samples`` codes z ~ N(mean, covariance) in 2-D: the prior's draws e of
    :func:`prior_samples` (same ``seed``) mapped through z = mean + L e, L L^T = covariance."""
    mean = np.asarray(mean, dtype=np.float64).reshape(-1)
    covariance = np.asarray(covariance, dtype=np.float64)
    if mean.shape != (2,) or covariance.shape != (2, 2):
        raise ValueError(f"mean must have shape (2,) and covariance (2, 2), got {mean.shape} "
                         f"and {covariance.shape}")
    if not (np.isfinite(mean).all() and np.isfinite(covariance).all()):
        raise ValueError("mean and covariance must be finite")
    if not np.allclose(covariance, covariance.T) or np.linalg.eigvalsh(covariance).min() <= 0:
        raise ValueError("covariance must be symmetric and positive definite")
    e = prior_samples(n_samples, seed=seed).astype(np.float64)
    # z = mu + L e,  L the Cholesky factor of Sigma
    return mean + e @ np.linalg.cholesky(covariance).T


# where the hole meter draws its codes: the prior N(0, I), or a Gaussian fitted to the
# model's own codes of the training digits (the fair draw for a model without a prior)
SAMPLE_FROM = ("prior", "fitted")


def hole_meter(mm: MapModel, classifier: DigitClassifier, x_train: torch.Tensor, *,
               n_samples: int = 1000, threshold: float = 0.9, seed: int = 0,
               sample_from: str = "prior") -> HoleReading:
    """Decode ``n_samples`` codes and judge them (:func:`judge_images`).

    ``sample_from="prior"``: the codes are drawn from N(0, I); ``"fitted"``: from the
    Gaussian with the mean and covariance of the model's codes of ``x_train``
    (:func:`fitted_gaussian`), by the same draws mapped through it (:func:`gaussian_samples`).
    """
    check_choice("sample_from", sample_from, SAMPLE_FROM)
    if sample_from == "prior":
        codes, label = prior_samples(n_samples, seed=seed), mm.label
    else:
        mean, covariance = fitted_gaussian(encode_images(mm.model, x_train)[0])
        codes = gaussian_samples(mean, covariance, n_samples, seed=seed)
        label = f"{mm.label} (fitted Gaussian)"
    images = decode_codes(mm.model, codes)
    return judge_images(images, classifier, x_train, threshold=threshold, label=label)


# --------------------------------------------------------------------------- aggregate posterior

# Entries of the (points x components) matrix held at once: 2^21 float64 numbers (16 MB)
# per temporary, whatever the number of components.
BLOCK_ELEMENTS = 2**21
# A point of the plane is in a "hole" where q(z) is below this fraction of p(z).
HOLE_FRACTION = 0.1


def _point_blocks(n_components: int, n_points: int) -> list[slice]:
    """Slices of the points so that each block of the (points x components) matrix holds at
    most ``BLOCK_ELEMENTS`` entries (at least one point per block)."""
    width = max(1, BLOCK_ELEMENTS // max(n_components, 1))
    return [slice(start, start + width) for start in range(0, n_points, width)]


def _as_points(points: object, dim: int) -> torch.Tensor:
    z = torch.as_tensor(np.asarray(points, dtype=np.float64))
    if z.ndim != 2 or z.shape[1] != dim:
        raise ValueError(f"points must have shape (n, {dim}) (one row per point), got {tuple(z.shape)}")
    if not torch.isfinite(z).all():
        raise ValueError("points must be finite")
    return z


def prior_log_density(points: np.ndarray) -> np.ndarray:
    """log N(z; 0, I) for each row z of ``points`` (n, d): shape (n,)."""
    z = np.asarray(points, dtype=np.float64)
    if z.ndim != 2 or not np.isfinite(z).all():
        raise ValueError(f"points must be a finite array of shape (n, d), got shape {z.shape}")
    # log p(z) = -|z|^2 / 2 - (d / 2) log(2 pi)
    return -0.5 * (z**2).sum(axis=1) - 0.5 * z.shape[1] * math.log(2 * math.pi)


def prior_mass_inside(radius: float, *, latent_dim: int = 2) -> float:
    """P(|z| <= radius) for z ~ N(0, I) in ``latent_dim`` dimensions (1 - e^{-r^2/2} in 2-D)."""
    radius = check_real("radius", radius, low=0.0)
    latent_dim = check_int("latent_dim", latent_dim, low=1)
    # |z|^2 ~ chi^2_d:  P(|z|^2 <= r^2) = P(d/2, r^2/2), the regularised lower gamma function
    return float(gammainc(latent_dim / 2, radius**2 / 2))


@dataclass(frozen=True)
class AggregatePosterior:
    """q(z) = (1/N) sum_n N(z; m_n, diag(e^{s_n})): the mixture of the N images' posteriors.

    ``means`` and ``logvars`` (the log-variances s): (N, d) float64 arrays.
    """

    label: str
    means: np.ndarray
    logvars: np.ndarray

    def __post_init__(self) -> None:
        means = np.asarray(self.means, dtype=np.float64)
        logvars = np.asarray(self.logvars, dtype=np.float64)
        if means.ndim != 2 or means.shape[0] < 1 or means.shape[1] < 1:
            raise ValueError(f"means must have shape (N, d) with N >= 1, got {means.shape}")
        if logvars.shape != means.shape:
            raise ValueError(f"logvars must have the shape of means {means.shape}, got {logvars.shape}")
        if not (np.isfinite(means).all() and np.isfinite(logvars).all()):
            raise ValueError("means and logvars must be finite")
        object.__setattr__(self, "means", means)
        object.__setattr__(self, "logvars", logvars)

    @property
    def n_components(self) -> int:
        return len(self.means)

    @property
    def latent_dim(self) -> int:
        return self.means.shape[1]

    def log_density(self, points: np.ndarray) -> np.ndarray:
        """log q(z) for each row of ``points`` (n, d), exact: a log-sum-exp over the N
        components, in blocks of points (memory bounded by ``BLOCK_ELEMENTS``)."""
        z = _as_points(points, self.latent_dim)
        m, s = torch.from_numpy(self.means), torch.from_numpy(self.logvars)
        inv_var = torch.exp(-s)  # (N, d)
        # log N(z; m, diag e^s) = -1/2 sum_j [ z_j^2 / v_j - 2 z_j m_j / v_j + m_j^2 / v_j + s_j + log 2 pi ]
        weights = torch.cat([-0.5 * inv_var, m * inv_var], dim=1).T  # (2d, N)
        const = -0.5 * ((m**2 * inv_var).sum(dim=1) + s.sum(dim=1) + self.latent_dim * math.log(2 * math.pi))
        out = torch.empty(len(z), dtype=torch.float64)
        with torch_threads(1):
            for block in _point_blocks(self.n_components, len(z)):
                zb = z[block]
                log_terms = torch.addmm(const, torch.cat([zb**2, zb], dim=1), weights)  # (b, N)
                # log q(z) = logsumexp_n log N(z; m_n, diag e^{s_n}) - log N
                out[block] = torch.logsumexp(log_terms, dim=1) - math.log(self.n_components)
        return out.numpy()

    def sample(self, n_draws: int, *, seed: int = 0) -> np.ndarray:
        """``n_draws`` codes from q(z): n ~ uniform over the images, then z = m_n + e^{s_n/2} e."""
        n_draws = check_int("n_draws", n_draws, low=1, high=1_000_000)
        seed = check_int("seed", seed, low=0)
        generator = torch.Generator().manual_seed(seed)
        idx = torch.randint(self.n_components, (n_draws,), generator=generator).numpy()
        e = torch.randn(n_draws, self.latent_dim, generator=generator, dtype=torch.float64).numpy()
        # z = m_n + exp(s_n / 2) e
        return self.means[idx] + np.exp(0.5 * self.logvars[idx]) * e


@torch.inference_mode()
def aggregate_posterior(mm: MapModel, images: torch.Tensor) -> AggregatePosterior:
    """The aggregate posterior of the VAE ``mm`` over ``images`` (one component per image)."""
    if mm.model.config.kind != "vae":
        raise ValueError(f"the aggregate posterior needs a VAE's q(z|x); {mm.label} has none")
    x = mm.model.check_input(images, name="images")
    mean, logvar = mm.model.encode_checked(x)
    return AggregatePosterior(mm.label, mean.double().numpy(), logvar.double().numpy())


@dataclass(frozen=True)
class Coverage:
    """Does q(z) cover the prior? Monte Carlo estimates (``n_draws`` draws, ``seed``), each
    with its standard error (``*_se``).

    ``kl``: KL(q(z) || p(z)) in nats, from draws of q; ``hole_mass``: the prior's mass
    where q(z) < ``fraction`` p(z), from draws of p; ``inside``: q's mass within
    ``radius`` of the origin, beside ``prior_inside``, the prior's (exact).
    """

    label: str
    n_components: int
    kl: float
    kl_se: float
    fraction: float
    hole_mass: float
    hole_mass_se: float
    radius: float
    inside: float
    inside_se: float
    prior_inside: float
    n_draws: int
    seed: int


def coverage(q: AggregatePosterior, *, fraction: float = HOLE_FRACTION, radius: float = 3.0,
             n_draws: int = 10_000, seed: int = 0) -> Coverage:
    """KL(q(z) || p(z)), the prior's mass in q's holes and q's mass inside ``radius``
    (:class:`Coverage`): ``n_draws`` draws of q from ``seed`` and as many of the prior
    N(0, I) from ``seed + 1``."""
    if not isinstance(q, AggregatePosterior):
        raise TypeError(f"q must be an AggregatePosterior, got {type(q).__name__}")
    fraction = check_real("fraction", fraction, low=0.0, low_open=True)
    radius = check_real("radius", radius, low=0.0)
    n_draws = check_int("n_draws", n_draws, low=2, high=1_000_000)
    seed = check_int("seed", seed, low=0)
    z_q = q.sample(n_draws, seed=seed)
    # KL(q || p) = E_q[log q(z) - log p(z)]
    log_ratio = q.log_density(z_q) - prior_log_density(z_q)
    z_p = torch.randn(n_draws, q.latent_dim, dtype=torch.float64,
                      generator=torch.Generator().manual_seed(seed + 1)).numpy()
    # P_p( q(z) < f p(z) ) = E_p[ 1{log q(z) - log p(z) < log f} ]
    in_hole = q.log_density(z_p) - prior_log_density(z_p) < math.log(fraction)
    # P_q( |z| <= r )
    inside = np.linalg.norm(z_q, axis=1) <= radius
    root_n = math.sqrt(n_draws)
    return Coverage(
        label=q.label, n_components=q.n_components,
        kl=float(log_ratio.mean()), kl_se=float(log_ratio.std(ddof=1) / root_n),
        fraction=fraction, hole_mass=float(in_hole.mean()),
        hole_mass_se=float(in_hole.std(ddof=1) / root_n),
        radius=radius, inside=float(inside.mean()), inside_se=float(inside.std(ddof=1) / root_n),
        prior_inside=prior_mass_inside(radius, latent_dim=q.latent_dim),
        n_draws=n_draws, seed=seed)


@dataclass(frozen=True)
class DensityPicture:
    """q(z) and p(z) of a 2-D code on a grid of square cells, and their mass inside a radius.

    ``centres``: (n_cells,) cell centres of both axes; ``log_q``, ``log_p``: (n_cells,
    n_cells) log of each cell's mass divided by its area (the density averaged over the
    cell, exact), row i at y = centres[i], column j at x = centres[j]; ``radii``:
    (n_radii,); ``inside_q``: q's mass within each radius (Monte Carlo, ``n_draws``
    draws, ``seed``); ``inside_p``: the prior's, exact.
    """

    label: str
    centres: np.ndarray
    log_q: np.ndarray
    log_p: np.ndarray
    radii: np.ndarray
    inside_q: np.ndarray
    inside_p: np.ndarray
    n_draws: int
    seed: int


def _interval_masses(edges: np.ndarray, means: np.ndarray, stds: np.ndarray) -> np.ndarray:
    """P(a_k <= x < a_{k+1}) for x ~ N(mean_n, std_n^2): shape (N, len(edges) - 1)."""
    a = (edges[None, :-1] - means[:, None]) / stds[:, None]
    b = (edges[None, 1:] - means[:, None]) / stds[:, None]
    # Phi(b) - Phi(a), taken in the tail where both are small (no cancellation of two numbers near 1)
    return np.where(a > 0, ndtr(-a) - ndtr(-b), ndtr(b) - ndtr(a))


def cell_masses(q: AggregatePosterior, edges: np.ndarray) -> np.ndarray:
    """The mass q puts in each cell [e_j, e_{j+1}) x [e_i, e_{i+1}) of a 2-D grid, exact (the
    components are diagonal Gaussians): (n_cells, n_cells), row i along y, column j along x."""
    if not isinstance(q, AggregatePosterior) or q.latent_dim != 2:
        raise ValueError("q must be an AggregatePosterior of a 2-D code")
    e = np.asarray(edges, dtype=np.float64)
    if e.ndim != 1 or len(e) < 2 or not np.isfinite(e).all() or (np.diff(e) <= 0).any():
        raise ValueError("edges must be at least two finite, increasing numbers")
    stds = np.exp(0.5 * q.logvars)  # sigma = exp(s / 2)
    x_mass = _interval_masses(e, q.means[:, 0], stds[:, 0])  # (N, n_cells)
    y_mass = _interval_masses(e, q.means[:, 1], stds[:, 1])
    # Q_ij = (1/N) sum_n P_n(y in cell i) P_n(x in cell j)
    return y_mass.T @ x_mass / q.n_components


def density_picture(q: AggregatePosterior, *, half_width: float = 4.0, n_cells: int = 50,
                    max_radius: float = 4.5, n_radii: int = 91, n_draws: int = 20_000,
                    seed: int = 0) -> DensityPicture:
    """q and p of a 2-D code, averaged over each of ``n_cells`` x ``n_cells`` cells of
    [-h, h]^2, and their mass inside ``n_radii`` radii in [0, ``max_radius``]."""
    if not isinstance(q, AggregatePosterior) or q.latent_dim != 2:
        raise ValueError("q must be an AggregatePosterior of a 2-D code")
    half_width = check_real("half_width", half_width, low=0.0, low_open=True)
    n_cells = check_int("n_cells", n_cells, low=1, high=400)
    max_radius = check_real("max_radius", max_radius, low=0.0, low_open=True)
    n_radii = check_int("n_radii", n_radii, low=2, high=1000)
    edges = np.linspace(-half_width, half_width, n_cells + 1)
    area = (edges[1] - edges[0]) ** 2
    prior = AggregatePosterior("prior", np.zeros((1, 2)), np.zeros((1, 2)))
    radii = np.linspace(0.0, max_radius, n_radii)
    r_q = np.sort(np.linalg.norm(q.sample(n_draws, seed=seed), axis=1))
    with np.errstate(divide="ignore"):  # an empty cell: log 0 = -inf
        log_q = np.log(cell_masses(q, edges) / area)
        log_p = np.log(cell_masses(prior, edges) / area)
    return DensityPicture(
        label=q.label, centres=0.5 * (edges[:-1] + edges[1:]), log_q=log_q, log_p=log_p,
        radii=radii,
        # P_q(|z| <= r): the fraction of draws within r
        inside_q=np.searchsorted(r_q, radii, side="right") / n_draws,
        # P_p(|z| <= r) = 1 - e^{-r^2 / 2}
        inside_p=-np.expm1(-0.5 * radii**2),
        n_draws=n_draws, seed=seed)


# --------------------------------------------------------------------------- the rest


def interpolate(model: Autoencoder, image_a: torch.Tensor, image_b: torch.Tensor, *,
                n_steps: int = 10) -> np.ndarray:
    """Decodes of the straight line between two images' code means: (n_steps, 784)."""
    n_steps = check_int("n_steps", n_steps, low=2, high=100)
    pair = [model.check_input(torch.as_tensor(image).reshape(1, -1), name=name)
            for name, image in (("image_a", image_a), ("image_b", image_b))]
    codes, _ = encode_images(model, torch.cat(pair))
    t = np.linspace(0.0, 1.0, n_steps)[:, None]
    # c(t) = (1 - t) m_a + t m_b
    return decode_codes(model, (1.0 - t) * codes[0] + t * codes[1])


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
def rate_distortion(grid: MapGrid, x_test: torch.Tensor, *, seed: int = 0) -> list[RatePoint]:
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


# Bounds of a drawing (the pad sends its strokes from the page): far above any real
# drawing, low enough that no drawing keeps the kernel busy for more than a few seconds.
MAX_CANVAS = 1024
MAX_POINTS = 10_000
# With pointer capture a pointer dragged off the pad keeps sending points; they draw no
# ink (clipped at the edge, as in the browser). No pointer is this many pixels away.
OFF_CANVAS = 10_000
_STROKE_TYPES = (list, tuple, np.ndarray)


def check_strokes(strokes: object, *, canvas_size: int) -> list[np.ndarray]:
    """``strokes`` as a list of (n_k, 2) float arrays, else raise naming the bad stroke.

    At most ``MAX_POINTS`` points (and strokes) in all; every coordinate finite and
    within ``OFF_CANVAS`` pixels of the ``canvas_size`` square.
    """
    if not isinstance(strokes, (list, tuple)):
        raise TypeError(f"strokes must be a list of strokes, got {type(strokes).__name__}")
    if len(strokes) > MAX_POINTS:
        raise ValueError(f"strokes hold {len(strokes)} strokes; at most {MAX_POINTS} "
                         "(clear the drawing)")
    sizes = [len(stroke) if isinstance(stroke, _STROKE_TYPES) else 0 for stroke in strokes]
    if sum(sizes) > MAX_POINTS:
        raise ValueError(f"strokes hold {sum(sizes)} points; at most {MAX_POINTS} "
                         "(clear the drawing)")
    low, high = -OFF_CANVAS, canvas_size + OFF_CANVAS
    out = []
    for k, stroke in enumerate(strokes):
        try:
            if not isinstance(stroke, _STROKE_TYPES):
                raise TypeError
            points = np.asarray(stroke, dtype=np.float64)
        except (TypeError, ValueError) as err:
            raise ValueError(f"strokes[{k}] must be a list of [x, y] points, got {stroke!r}") from err
        if points.size == 0:
            out.append(points.reshape(0, 2))
            continue
        if points.ndim != 2 or points.shape[1] != 2:
            raise ValueError(f"strokes[{k}] must be a list of [x, y] points, got {stroke!r}")
        if not np.isfinite(points).all():
            raise ValueError(f"strokes[{k}] holds a non-finite coordinate")
        outside = np.flatnonzero(((points < low) | (points > high)).any(axis=1))
        if outside.size:
            i = int(outside[0])
            raise ValueError(f"strokes[{k}][{i}] = [{points[i, 0]:g}, {points[i, 1]:g}] is too far off "
                             f"the canvas: coordinates must be in [{low}, {high}]")
        out.append(points)
    return out


def strokes_to_image(strokes: list, *, canvas_size: int = 280, pen_width: float = 18.0) -> np.ndarray | None:
    """A drawing as MNIST would have it: (784,) in [0, 1], or None if nothing is drawn.

    ``strokes``: a list of strokes, each a list of [x, y] points in canvas pixels
    (checked by :func:`check_strokes`); ``canvas_size`` in [28, ``MAX_CANVAS``];
    ``pen_width`` in (0, canvas_size]. As for MNIST: the ink is drawn, its bounding box
    scaled (keeping the aspect ratio) to fit 20 x 20, and pasted into 28 x 28 so that its
    centre of mass is at the centre.
    """
    from PIL import Image, ImageDraw

    canvas_size = check_int("canvas_size", canvas_size, low=28, high=MAX_CANVAS)
    pen_width = check_real("pen_width", pen_width, low=0.0, low_open=True, high=canvas_size)
    strokes = check_strokes(strokes, canvas_size=canvas_size)
    canvas = Image.new("L", (canvas_size, canvas_size), 0)
    draw = ImageDraw.Draw(canvas)
    r = pen_width / 2
    inked = False
    for points in strokes:
        pts = [tuple(p) for p in points]
        if len(pts) > 1:
            draw.line(pts, fill=255, width=int(round(pen_width)))
        for x, y in pts:
            draw.ellipse((x - r, y - r, x + r, y + r), fill=255)
            inked = True
    a = np.asarray(canvas, dtype=np.float32) / 255.0
    if not inked or a.max() == 0:
        return None
    rows, cols = np.flatnonzero(a.any(axis=1)), np.flatnonzero(a.any(axis=0))
    crop = a[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]
    # scale the bounding box so that its longer side is 20 pixels
    scale = 20.0 / max(crop.shape)
    h, w = max(1, round(crop.shape[0] * scale)), max(1, round(crop.shape[1] * scale))
    small = np.asarray(Image.fromarray((crop * 255).astype(np.uint8)).resize((w, h), Image.LANCZOS),
                       dtype=np.float32) / 255.0
    small = np.clip(small, 0.0, 1.0)
    # centre of mass (r_c, c_c) = sum(p * (r, c)) / sum(p)
    total = small.sum()
    rc = (small.sum(axis=1) * np.arange(h)).sum() / total
    cc = (small.sum(axis=0) * np.arange(w)).sum() / total
    top = int(round(13.5 - rc))
    left = int(round(13.5 - cc))
    top, left = min(max(top, 0), 28 - h), min(max(left, 0), 28 - w)
    out = np.zeros((28, 28), dtype=np.float32)
    out[top:top + h, left:left + w] = small
    return out.ravel()


def main(argv: list[str] | None = None) -> None:
    """``python -m explainer.latent_maps [--large]``: train (or check) the grid ahead of time."""
    from explainer.data import load_mnist

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--large", action="store_true", help="the larger noise and beta grid")
    args = parser.parse_args(argv)
    data = load_mnist()
    grid = train_map_grid(data, grid="large" if args.large else "default", progress=True)
    train_digit_classifier(data)
    for (name, value), mm in sorted(grid.models.items()):
        last = mm.history.last("test")
        print(f"{mm.label:<22} test reconstruction {last['reconstruction']:6.1f}  "
              f"KL {last['kl']:6.1f} nats  ({mm.source})")


if __name__ == "__main__":
    main()
