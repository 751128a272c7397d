"""One fast, deterministic ``fit`` for the whole model family, and a cached ``train_model``.

Fast: the data stay one tensor, batches are index selections from a permutation drawn
by a seeded ``torch.Generator`` (no ``DataLoader``), the gradients are derived by hand
(:mod:`explainer.backprop`, checked against autograd in the tests) and written in place,
Adam is the fused kernel, the Bernoulli term is computed from logits, and evaluation
runs under ``inference_mode``.
Deterministic: the same seed gives the same history and weights on the same machine.
Training never plots: ``callback(epoch, model, history)`` lets a widget animate it.
"""

from __future__ import annotations

import contextlib
import math
import numbers
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, fields
from pathlib import Path

import torch

from explainer import cache
from explainer.backprop import objective_gradients
from explainer.data import ImageDataset
from explainer.models import Autoencoder, ModelConfig
from explainer.validation import check_choice, check_int, check_real

TERMS = ("reconstruction", "kl", "total")
SPLITS = ("train", "test")
# Named as the likely cause when training diverges (measured: Adam at lr >= 1 diverges in
# one epoch here, the library trains at 1e-3 to 2e-2; data of 1e20 overflow the squared
# error). A huge beta or the largest noise_scale does not diverge: Adam's steps keep their
# size whatever the gradient's scale.
LARGE_LR = 0.1
LARGE_PIXEL = 1e3


@dataclass
class History:
    """Per-epoch averages in nats per image; ``test_*`` lists stay empty without test data.

    ``train_*`` are the running averages over each epoch's batches (as the weights move);
    ``test_*`` are full passes after each epoch with the noise drawn from a fixed seed.
    """

    epoch: list[int] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)
    train_reconstruction: list[float] = field(default_factory=list)
    train_kl: list[float] = field(default_factory=list)
    train_total: list[float] = field(default_factory=list)
    test_reconstruction: list[float] = field(default_factory=list)
    test_kl: list[float] = field(default_factory=list)
    test_total: list[float] = field(default_factory=list)

    def to_dict(self) -> dict[str, list]:
        return {k: list(v) for k, v in self.__dict__.items()}

    @classmethod
    def from_dict(cls, d: dict[str, list]) -> History:
        """The history ``to_dict`` wrote: every field a list of numbers, one per epoch (the
        ``test_*`` lists possibly empty); a ValueError or TypeError for anything else."""
        names = [f.name for f in fields(cls)]
        if not isinstance(d, dict) or set(d) != set(names):
            got = sorted(map(str, d)) if isinstance(d, dict) else type(d).__name__
            raise ValueError(f"a history must be a dict with the keys {names}, got {got}")
        for name in names:
            values = d[name]
            if not isinstance(values, list) or not all(
                    isinstance(v, numbers.Real) and not isinstance(v, bool) for v in values):
                raise TypeError(f"history {name} must be a list of numbers, got {values!r:.60}")
        lengths = {name: len(d[name]) for name in names}
        n_epochs = lengths["epoch"]
        test = {name for name in names if name.startswith("test_")}
        if {lengths[name] for name in names if name not in test} != {n_epochs} or \
                {lengths[name] for name in test} not in ({0}, {n_epochs}):
            raise ValueError("a history must hold one value per epoch in every list (the "
                             f"test terms may all be empty), got the lengths {lengths}")
        return cls(**{k: list(v) for k, v in d.items()})

    def last(self, split: str = "test") -> dict[str, float]:
        """The final epoch's terms for ``split`` ("train" or "test")."""
        check_choice("split", split, SPLITS)
        if not self.epoch:
            raise ValueError("the history has no epochs yet: train first (fit, train_model)")
        if not getattr(self, f"{split}_total"):
            raise ValueError(f"no {split} split recorded (fit was given no x_{split}); "
                             f"the history holds {', '.join(s for s in SPLITS if getattr(self, f'{s}_total'))}")
        return {t: getattr(self, f"{split}_{t}")[-1] for t in TERMS}


@dataclass
class FitResult:
    """The trained model, its history, and what a warm start continues from."""

    model: Autoencoder
    history: History
    optimizer: torch.optim.Optimizer
    generator: torch.Generator


def make_optimizer(model: Autoencoder, *, lr: float) -> torch.optim.Adam:
    """Adam with the fused CPU kernel (one pass over all parameters per step)."""
    return torch.optim.Adam(model.parameters(), lr=lr, fused=True)


@contextlib.contextmanager
def torch_threads(num_threads: int | None) -> Iterator[None]:
    """Run the block with ``num_threads`` intra-op threads (None: leave as is)."""
    if num_threads is None:
        yield
        return
    before = torch.get_num_threads()
    torch.set_num_threads(num_threads)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def fit(
    model: Autoencoder,
    x_train: torch.Tensor,
    *,
    x_test: torch.Tensor | None = None,
    epochs: int = 10,
    batch_size: int = 128,
    lr: float = 1e-3,
    seed: int = 0,
    optimizer: torch.optim.Optimizer | None = None,
    callback: Callable[[int, Autoencoder, History], bool | None] | None = None,
    progress: bool = False,
    num_threads: int | None = None,
    history: History | None = None,
    generator: torch.Generator | None = None,
) -> FitResult:
    """Train ``model`` in place on ``x_train`` (n, input_dim) for ``epochs`` epochs.

    Pass ``optimizer``, ``history`` and ``generator`` from an earlier result to
    warm-start: training continues with Adam's moments and the same stream of shuffles
    and noise, and the epochs count on (3 epochs, then 3 more, give the weights of 6).
    The shuffles and the code noise are drawn from ``generator``, or from a new one seeded
    with ``seed`` if none is given. ``callback`` runs after each
    epoch; returning ``False`` stops training there. Images must be finite, and in [0, 1]
    for a Bernoulli decoder (checked once, before the first epoch). Raises
    ``FloatingPointError`` naming the epoch and the term if a loss stops being finite.
    """
    if not isinstance(model, Autoencoder):
        raise TypeError(f"model must be an explainer.models.Autoencoder, got {type(model).__name__}")
    # once, before the loop: shape, finite values, and [0, 1] for a Bernoulli decoder
    x_train = model.check_input(x_train, name="x_train")
    if x_test is not None:
        x_test = model.check_input(x_test, name="x_test")
    epochs = check_int("epochs", epochs, low=0)
    batch_size = check_int("batch_size", batch_size, low=1)
    lr = check_real("lr", lr, low=0.0, low_open=True)
    seed = check_int("seed", seed, low=0)
    if num_threads is not None:
        num_threads = check_int("num_threads", num_threads, low=1)
    if callback is not None and not callable(callback):
        raise TypeError(f"callback must be callable (epoch, model, history), got {type(callback).__name__}")
    if optimizer is None:
        optimizer = make_optimizer(model, lr=lr)
    elif not isinstance(optimizer, torch.optim.Optimizer):
        raise TypeError(f"optimizer must be a torch.optim.Optimizer, got {type(optimizer).__name__}")
    if history is None:
        history = History()
    elif not isinstance(history, History):
        raise TypeError(f"history must be an explainer.train.History, got {type(history).__name__}")
    first_epoch = history.epoch[-1] + 1 if history.epoch else 1

    if generator is None:
        generator = torch.Generator().manual_seed(seed)
    elif not isinstance(generator, torch.Generator):
        raise TypeError(f"generator must be a torch.Generator, got {type(generator).__name__}")
    n = x_train.shape[0]
    cfg = model.config
    causes = _divergence_causes(cfg, lr=optimizer.param_groups[0]["lr"], x_train=x_train)
    bar = _progress_bar(epochs, progress)
    start = time.perf_counter() - (history.seconds[-1] if history.seconds else 0.0)
    with torch_threads(num_threads):
        for epoch in range(first_epoch, first_epoch + epochs):
            model.train()
            sums = torch.zeros(3)
            order = torch.randperm(n, generator=generator)
            for i in range(0, n, batch_size):
                xb = x_train.index_select(0, order[i : i + batch_size])
                eps = (torch.randn((xb.shape[0], cfg.latent_dim), generator=generator)
                       if cfg.stochastic else None)
                # the gradient of the batch mean of  reconstruction + beta * KL, by hand
                terms = objective_gradients(model, xb, eps=eps)
                optimizer.step()
                with torch.no_grad():
                    sums += torch.stack(
                        (terms.reconstruction.sum(), terms.kl.sum(), terms.total.sum())
                    )
            train_terms = (sums / n).tolist()
            _check_finite(epoch, "training", train_terms, causes)
            history.epoch.append(epoch)
            history.train_reconstruction.append(train_terms[0])
            history.train_kl.append(train_terms[1])
            history.train_total.append(train_terms[2])
            if x_test is not None:
                test_terms = _evaluate(model, x_test, seed=seed, batch_size=2048)
                _check_finite(epoch, "test", [test_terms[t] for t in TERMS], causes)
                for t in TERMS:
                    getattr(history, f"test_{t}").append(test_terms[t])
            history.seconds.append(time.perf_counter() - start)
            if bar is not None:
                bar.update(1)
                bar.set_postfix(neg_elbo=f"{history.train_total[-1]:.1f}")
            if callback is not None and callback(epoch, model, history) is False:
                break
    if bar is not None:
        bar.close()
    model.eval()
    return FitResult(model, history, optimizer, generator)


def evaluate(
    model: Autoencoder, x: torch.Tensor, *, seed: int = 0, batch_size: int = 2048
) -> dict[str, float]:
    """Mean reconstruction, KL, -ELBO and objective over ``x``, one code sample per image.

    The noise is drawn from ``seed``, so the same model and data give the same numbers.
    """
    if not isinstance(model, Autoencoder):
        raise TypeError(f"model must be an explainer.models.Autoencoder, got {type(model).__name__}")
    x = model.check_input(x)
    seed = check_int("seed", seed, low=0)
    batch_size = check_int("batch_size", batch_size, low=1)
    return _evaluate(model, x, seed=seed, batch_size=batch_size)


@torch.inference_mode()
def _evaluate(model: Autoencoder, x: torch.Tensor, *, seed: int, batch_size: int) -> dict[str, float]:
    """:func:`evaluate` on images already checked (fit's test pass after every epoch)."""
    generator = torch.Generator().manual_seed(seed)
    was_training = model.training
    model.eval()
    sums = {"reconstruction": 0.0, "kl": 0.0, "total": 0.0, "objective": 0.0}
    for i in range(0, x.shape[0], batch_size):
        terms = model.loss_terms_checked(x[i : i + batch_size], generator=generator)
        sums["reconstruction"] += float(terms.reconstruction.sum())
        sums["kl"] += float(terms.kl.sum())
        sums["total"] += float(terms.total.sum())
        sums["objective"] += float(terms.objective.sum())
    model.train(was_training)
    return {k: v / x.shape[0] for k, v in sums.items()}


@dataclass
class TrainedModel:
    """A trained model with its history and where it came from."""

    model: Autoencoder
    history: History
    from_cache: bool
    key: str


def model_from_record(
    config: ModelConfig, record: dict, *, seed: int = 0
) -> tuple[Autoencoder, History]:
    """The model of ``config`` with the record's weights (in eval mode) and its history;
    KeyError, RuntimeError, ValueError or TypeError if the record does not hold them
    (every weight of ``config``'s shape, nothing else, a history as ``to_dict`` writes)."""
    model = Autoencoder(config, seed=seed)
    model.load_state_dict(record["state_dict"])  # strict: every key, every shape
    model.eval()
    return model, History.from_dict(record["history"])


def load_cached_model(
    config: ModelConfig, path: Path, *, seed: int = 0
) -> tuple[Autoencoder, History] | None:
    """The model of ``config`` stored at ``path`` (in eval mode) and its history, or None if
    nothing valid is cached there (a record that does not fit is reported and removed)."""
    return cache.load_record(path, parse=lambda record: model_from_record(config, record,
                                                                          seed=seed))


def train_model(
    config: ModelConfig,
    data: ImageDataset,
    *,
    epochs: int,
    batch_size: int = 128,
    lr: float = 1e-3,
    seed: int = 0,
    progress: bool = False,
    num_threads: int | None = None,
    use_cache: bool = True,
) -> TrainedModel:
    """A model of ``config`` trained on ``data``: from the cache if it was trained before.

    The cache key holds every hyperparameter, the data's fingerprint and the library's
    version. Nothing is cached if training fails.
    """
    if not isinstance(config, ModelConfig):
        raise TypeError(f"config must be an explainer.models.ModelConfig, got {type(config).__name__}")
    if not isinstance(data, ImageDataset):
        raise TypeError(f"data must be an explainer.data.ImageDataset, got {type(data).__name__}")
    if data.n_pixels != config.input_dim:
        raise ValueError(
            f"config.input_dim must equal the data's pixels per image ({data.n_pixels}), "
            f"got {config.input_dim}"
        )
    key = cache.cache_key(
        config=config.to_dict(),
        data=data.fingerprint(),
        epochs=epochs,
        batch_size=batch_size,
        lr=lr,
        seed=seed,
    )
    path = cache.model_path(key)
    cached = load_cached_model(config, path, seed=seed) if use_cache else None
    if cached is not None:
        model, history = cached
        return TrainedModel(model, history, True, key)
    model = Autoencoder(config, seed=seed)
    result = fit(
        model,
        data.x_train,
        x_test=data.x_test,
        epochs=epochs,
        batch_size=batch_size,
        lr=lr,
        seed=seed,
        progress=progress,
        num_threads=num_threads,
    )
    if use_cache:
        cache.save_record(
            path, {"state_dict": model.state_dict(), "history": result.history.to_dict()}
        )
    return TrainedModel(model, result.history, False, key)


# The 2-D VAE on the 5k MNIST digits that a live slider can afford: about 4-5 s of
# training on a laptop core reaches a test -ELBO under 170 nats (benchmarks/vae_2d_budget.py).
MNIST_2D_VAE = ModelConfig(kind="vae", input_dim=784, latent_dim=2, hidden_dims=(256,))
MNIST_2D_TRAINING = {"epochs": 12, "batch_size": 128, "lr": 5e-3}


def train_mnist_2d_vae(
    data: ImageDataset, *, beta: float = 1.0, seed: int = 0, progress: bool = False
) -> TrainedModel:
    """The series' 2-D VAE on ``data`` (MNIST), trained with ``MNIST_2D_TRAINING`` and cached."""
    return train_model(MNIST_2D_VAE.replace(beta=beta), data, seed=seed, progress=progress,
                       **MNIST_2D_TRAINING)


def _divergence_causes(config: ModelConfig, *, lr: float, x_train: torch.Tensor) -> str:
    """What to say if training diverges: the settings that are extreme, or that none is."""
    causes = []
    if lr > LARGE_LR:
        causes.append(f"the learning rate lr={lr:g} is far above the 1e-3 to 2e-2 Adam trains "
                      "with here: lower it")
    low, high = float(x_train.min()), float(x_train.max())
    largest = max(-low, high)
    if largest > LARGE_PIXEL:
        causes.append(f"x_train holds values up to {largest:g}, whose squared errors overflow "
                      "float32: scale the data (images into [0, 1])")
    if causes:
        return "Likely cause: " + "; ".join(causes) + "."
    return (f"No setting is extreme (lr={lr:g}, beta={config.beta:g}, "
            f"noise_scale={config.noise_scale:g}, x_train in [{low:g}, {high:g}]): "
            "try a smaller lr, or check the data.")


def _check_finite(epoch: int, split: str, values: list[float], causes: str) -> None:
    for term, value in zip(TERMS, values):
        if not math.isfinite(value):
            raise FloatingPointError(
                f"training diverged at epoch {epoch}: the {split} {term} term is {value}. "
                f"{causes} Nothing was cached."
            )


def _progress_bar(epochs: int, enabled: bool):
    if not enabled:
        return None
    from tqdm.auto import tqdm

    return tqdm(total=epochs, unit="epoch", leave=False)
