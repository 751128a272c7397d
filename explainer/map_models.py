"""The models of the latent maps: an AE, noisy AEs and VAEs with a 2-number code on MNIST.

The tutorial claims that a plain autoencoder's code space is irregular, with holes that
decode to nothing, and that a VAE's noise and KL term fill it. The three models of that
story are trained here with a 2-number code on the 5,000 MNIST digits:

- :func:`map_config`, :func:`train_map_model`, :func:`train_map_grid`: an AE, noisy AEs
  over a grid of noise scales (:data:`MAP_NOISE_SCALES`) and VAEs over a grid of KL
  weights beta (:data:`MAP_BETAS`), each trained once by
  :func:`explainer.train.train_model` and cached on disk **with its optimiser state**, so
  that a value off the grid can be reached by a warm start (:func:`warm_start`). The VAE
  at beta = 1 is the series' 2-D VAE (:mod:`explainer.recipes`), one cache entry.
- :class:`MapModel`: a trained model, its kind ("ae", "noisy_ae", "vae", from
  :data:`explainer.models.KINDS`) and its one parameter (noise scale or beta).

The larger grid is trained on request: ``train_map_grid(data, grid="large")`` or
``python -m explainer.latent_maps --large``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

from explainer.data import ImageDataset
from explainer.models import Autoencoder, ModelConfig
from explainer.recipes import MNIST_2D_TRAINING, MNIST_2D_VAE
from explainer.train import FitResult, History, fit, train_model
from explainer.validation import check_choice, check_int, check_real

# The kinds of model a map shows (a subset of explainer.models.KINDS)
MAP_KINDS = ("ae", "noisy_ae", "vae")
# The executed default: small enough for a cold notebook run (about 4-5 s per model on
# one core); the large grid is trained only on request.
MAP_NOISE_SCALES = (0.3, 1.0)
MAP_BETAS = (0.1, 0.3, 1.0, 3.0, 10.0)
LARGE_MAP_NOISE_SCALES = (0.1, 0.2, 0.3, 0.5, 1.0, 2.0)
LARGE_MAP_BETAS = (0.03, 0.1, 0.2, 0.3, 0.5, 1.0, 2.0, 3.0, 10.0)
GRIDS = {"default": (MAP_NOISE_SCALES, MAP_BETAS),
         "large": (LARGE_MAP_NOISE_SCALES, LARGE_MAP_BETAS)}
# The noisy AE's fixed noise scale when one is shown without a slider.
DEFAULT_NOISE = 1.0
MAP_TRAINING = MNIST_2D_TRAINING
# Live retraining: epochs under the new value, continuing from the nearest cached model.
LIVE_EPOCHS = 6


def map_config(kind: str, value: float | None = None) -> ModelConfig:
    """The 784-256-2 model of ``kind`` ("ae", "noisy_ae", "vae") with its one parameter.

    ``value`` is the noise scale for "noisy_ae" (> 0; 0 is the AE), the KL weight beta
    for "vae" (>= 0), and must be None or 0 for "ae".
    """
    kind = check_choice("kind", kind, MAP_KINDS)
    if kind == "ae":
        if value not in (None, 0, 0.0):
            raise ValueError(f"the AE has no noise scale or KL weight; got value={value!r}")
        return MNIST_2D_VAE.replace(kind="ae", beta=0.0)
    if kind == "noisy_ae":
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


def describe(kind: str, value: float) -> str:
    """A short name such as ``VAE beta=0.3`` or ``noisy AE noise=1``."""
    check_choice("kind", kind, MAP_KINDS)
    if kind == "ae":
        return "AE"
    if kind == "noisy_ae":
        return f"noisy AE noise={value:g}"
    return f"VAE β={value:g}"


@dataclass(frozen=True)
class MapModel:
    """A trained 2-D model of ``kind`` at ``value`` (noise scale, beta or 0).

    ``resume``: what training continues from (Adam's moments and the generator, for a warm
    start); None for a snapshot taken during a live retrain, which is shown but never
    continued. ``source`` says where it came from ("cache", "trained", or how it was
    retrained live).
    """

    kind: str
    value: float
    model: Autoencoder
    history: History
    resume: FitResult | None = None
    source: str = "trained"

    @property
    def key(self) -> ModelKey:
        return (self.kind, self.value)

    @property
    def label(self) -> str:
        return describe(self.kind, self.value)

    @property
    def epochs(self) -> int:
        return self.history.epoch[-1] if self.history.epoch else 0


ModelKey = tuple[str, float]


def train_map_model(
    kind: str,
    value: float | None,
    data: ImageDataset,
    *,
    seed: int = 0,
    progress: bool = False,
    use_cache: bool = True,
) -> MapModel:
    """Model ``kind`` at ``value`` trained with ``MAP_TRAINING`` on one thread, or from the
    cache (:func:`explainer.train.train_model`, which keeps Adam's moments and the
    generator, so a live retrain continues exactly from it). The VAE at beta = 1 is the
    series' 2-D VAE (``recipes.MNIST_2D_VAE`` trained with ``recipes.MNIST_2D_TRAINING``),
    the same cache entry."""
    config = map_config(kind, value)
    trained = train_model(config, data, training=MAP_TRAINING, seed=seed, progress=progress,
                          num_threads=1, use_cache=use_cache)
    return MapModel(config.kind, model_value(config), trained.model, trained.history,
                    trained.result, source="cache" if trained.from_cache else "trained")


@dataclass
class MapGrid:
    """The trained models, keyed by (kind, value): ("ae", 0.0), ("noisy_ae", s), ("vae", beta)."""

    models: dict[ModelKey, MapModel] = field(default_factory=dict)

    def values(self, kind: str) -> list[float]:
        """The cached values of ``kind``'s parameter, sorted."""
        check_choice("kind", kind, MAP_KINDS)
        return sorted(v for k, v in self.models if k == kind)

    def get(self, kind: str, value: float = 0.0) -> MapModel:
        check_choice("kind", kind, MAP_KINDS)
        key = (kind, float(value))
        if key not in self.models:
            raise KeyError(f"no cached {describe(kind, value)}; cached: {self.values(kind)}")
        return self.models[key]

    def nearest(self, kind: str, value: float) -> MapModel:
        """The cached model of ``kind`` nearest ``value`` (in log scale for positive values)."""
        values = self.values(kind)
        if not values:
            raise KeyError(f"no cached model of kind {kind!r}")
        value = check_real("value", value, low=0.0)

        def distance(v: float) -> float:
            # |log v - log value|, with 0 handled on a linear scale
            if v > 0 and value > 0:
                return abs(math.log(v) - math.log(value))
            return abs(v - value) + 1e3
        return self.models[(kind, min(values, key=distance))]


def train_map_grid(
    data: ImageDataset,
    *,
    grid: str = "default",
    noise_scales: tuple[float, ...] | None = None,
    betas: tuple[float, ...] | None = None,
    seed: int = 0,
    progress: bool = False,
) -> MapGrid:
    """The AE, a noisy AE per noise scale and a VAE per beta: trained once, then cached.

    ``grid="default"`` is the small grid a notebook executes; ``grid="large"`` adds more
    values (about 4-5 s per new model on one core). Explicit ``noise_scales`` / ``betas``
    override the named grid.
    """
    check_choice("grid", grid, tuple(GRIDS))
    default_noise, default_betas = GRIDS[grid]
    noise_scales = default_noise if noise_scales is None else noise_scales
    betas = default_betas if betas is None else betas
    todo = [("ae", None), *[("noisy_ae", s) for s in noise_scales], *[("vae", b) for b in betas]]
    # a progress bar only while a model is trained (train_model shows none for a cached one:
    # a bar shown and closed at once leaves a closed widget in the output, which Voila
    # reports as "model not found")
    found = {}
    for kind, value in todo:
        mm = train_map_model(kind, value, data, seed=seed, progress=progress)
        found[mm.key] = mm
    return MapGrid(found)


class _Stale(Exception):
    """Raised inside a live retrain's optimiser step once a newer value was asked for."""


def warm_start(
    start: MapModel,
    target: ModelConfig,
    data: ImageDataset,
    *,
    epochs: int = LIVE_EPOCHS,
    callback: Callable[[int, Autoencoder, History], bool | None] | None = None,
    is_current: Callable[[], bool] | None = None,
) -> MapModel | None:
    """Continue ``start`` under the ``target`` config (its kind with a new noise scale or beta,
    from :func:`map_config`) for ``epochs`` epochs.

    Adam's moments, the generator and the history carry on from ``start`` (the epochs
    count on). ``callback(epoch, model, history)`` runs after each epoch; returning False
    stops (a cancelled retrain). ``is_current()``, if given, is asked before every
    optimiser step: once it answers False the retrain stops there, mid-epoch, and
    returns None (a newer value was asked for; nothing of this one is kept).
    """
    if not isinstance(start, MapModel) or start.resume is None:
        raise TypeError("start must be a MapModel that can be continued (trained or cached)")
    if not isinstance(target, ModelConfig) or target.kind != start.kind:
        raise ValueError(f"target must be a ModelConfig of kind {start.kind!r} (map_config)")
    epochs = check_int("epochs", epochs, low=1)
    if is_current is not None and not callable(is_current):
        raise TypeError(f"is_current must be callable or None, got {type(is_current).__name__}")
    # a copy under the target config: ``start`` (a cached model) stays as it is for the
    # next retrain from it
    resume = start.resume.fork(target)
    hook = None
    if is_current is not None:
        def stop_if_stale(_optimizer, _args, _kwargs) -> None:
            if not is_current():
                raise _Stale

        hook = resume.optimizer.register_step_pre_hook(stop_if_stale)
    try:
        result = fit(resume.model, data.x_train, training=MAP_TRAINING.replace(epochs=epochs),
                     x_test=data.x_test, resume=resume, callback=callback, num_threads=1)
    except _Stale:
        return None
    finally:
        if hook is not None:
            hook.remove()
    added = result.history.epoch[-1] - start.epochs
    return MapModel(target.kind, model_value(target), result.model, result.history, result,
                    source=f"retrained live: {start.label} + {added} epochs")


def warm_up_training(data: ImageDataset) -> None:
    """One training step of a throwaway model, so the first live retrain does not pay
    torch's one-time start-up of autograd and fused Adam (about 1.5 s measured here)."""
    model = Autoencoder(map_config("vae", 1.0), seed=0)
    fit(model, data.x_train[:64], training=MAP_TRAINING.replace(epochs=1, batch_size=64),
        num_threads=1)
