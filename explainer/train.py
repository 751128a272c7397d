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
import copy
import math
import numbers
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field, fields, replace

import torch

from explainer import cache
from explainer.backprop import objective_gradients
from explainer.data import ImageDataset
from explainer.models import Autoencoder, ModelConfig
from explainer.validation import check_choice, check_int, check_real, check_seed

TERMS = ("reconstruction", "kl", "total")
SPLITS = ("train", "test")
# Named as the likely cause when training diverges (measured: Adam at lr >= 1 diverges in
# one epoch here, the library trains at 1e-3 to 2e-2; data of 1e20 overflow the squared
# error). A huge beta or the largest noise_scale does not diverge: Adam's steps keep their
# size whatever the gradient's scale.
LARGE_LR = 0.1
LARGE_PIXEL = 1e3


@dataclass(frozen=True)
class TrainingConfig:
    """How a model is trained: ``epochs`` passes over the data in minibatches of
    ``batch_size`` images, with Adam at learning rate ``lr``. With the model's
    :class:`~explainer.models.ModelConfig`, the data and the seed, it is the cache key."""

    epochs: int = 10
    batch_size: int = 128
    lr: float = 1e-3

    def __post_init__(self) -> None:
        object.__setattr__(self, "epochs", check_int("epochs", self.epochs, low=0))
        object.__setattr__(self, "batch_size", check_int("batch_size", self.batch_size, low=1))
        object.__setattr__(self, "lr", check_real("lr", self.lr, low=0.0, low_open=True))

    def to_dict(self) -> dict[str, int | float]:
        return asdict(self)

    def replace(self, **changes: int | float) -> TrainingConfig:
        """A copy with some fields changed (validated again)."""
        return replace(self, **changes)


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
        recorded = [s for s in SPLITS if getattr(self, f"{s}_total")]
        if split not in recorded:
            raise ValueError(f"no {split} split recorded (fit was given no x_{split}); "
                             f"the history holds {', '.join(recorded)}")
        return {t: getattr(self, f"{split}_{t}")[-1] for t in TERMS}


class DeferredAdam:
    """Adam for ``model`` with the moments of ``state`` (an Adam ``state_dict``, checked to fit
    the model's parameters), built the first time it is asked for. The first Adam of a
    process imports ``torch._dynamo`` (1.1-1.6 s and 76 MB here, benchmarks/README.md); a
    kernel that shows cached models and never continues training never needs it."""

    def __init__(self, model: Autoencoder, state: dict) -> None:
        params = list(model.parameters())
        groups = state["param_groups"]
        if len(groups) != 1 or len(groups[0]["params"]) != len(params):
            raise ValueError(f"the optimizer state must hold one group of {len(params)} "
                             f"parameters, got {[len(g['params']) for g in groups]}")
        for i, (index, p) in enumerate(zip(groups[0]["params"], params)):
            moments = state["state"].get(index, {})
            if "step" not in moments or any(moments.get(m, torch.empty(0)).shape != p.shape
                                            for m in ("exp_avg", "exp_avg_sq")):
                raise ValueError(f"the optimizer state of parameter {i} does not fit its shape "
                                 f"{tuple(p.shape)}")
        self.model, self.state = model, state
        self._adam: torch.optim.Adam | None = None

    @property
    def lr(self) -> float:
        return self.state["param_groups"][0]["lr"]

    def get(self) -> torch.optim.Adam:
        """The Adam (the same one at every call)."""
        if self._adam is None:
            self._adam = make_optimizer(self.model, lr=self.lr)
            self._adam.load_state_dict(self.state)
        return self._adam

    def state_dict(self) -> dict:
        """The record's state until the Adam is built, the Adam's own after (as
        ``torch.optim.Optimizer.state_dict``, without building it)."""
        return self.state if self._adam is None else self._adam.state_dict()


class FitResult:
    """The trained model, its history, and what training continues from (``fit(...,
    resume=result)``): Adam's moments and the generator of shuffles and noise. ``optimizer``
    may be a :class:`DeferredAdam`: the Adam is then built when first read."""

    def __init__(self, model: Autoencoder, history: History,
                 optimizer: torch.optim.Optimizer | DeferredAdam,
                 generator: torch.Generator) -> None:
        self.model, self.history, self.generator = model, history, generator
        self._optimizer = optimizer

    @property
    def optimizer(self) -> torch.optim.Optimizer:
        if isinstance(self._optimizer, DeferredAdam):
            return self._optimizer.get()
        return self._optimizer

    def fork(self, config: ModelConfig | None = None) -> FitResult:
        """A copy to continue training from, leaving this result as it is: the weights in
        a new model of ``config`` (default this model's; the same layer shapes, e.g.
        another beta or noise scale), a new Adam with these moments, the generator's
        state and the history."""
        config = self.model.config if config is None else config
        if not isinstance(config, ModelConfig):
            raise TypeError(f"config must be an explainer.models.ModelConfig or None, got "
                            f"{type(config).__name__}")
        model = Autoencoder(config, seed=0)
        model.load_state_dict(self.model.state_dict())  # strict: every key, every shape
        model.eval()
        # a deep copy: Adam updates its moments in place
        state = self._optimizer.state_dict()
        generator = torch.Generator()
        generator.set_state(self.generator.get_state())
        return FitResult(model, History.from_dict(self.history.to_dict()),
                         DeferredAdam(model, copy.deepcopy(state)), generator)

    @property
    def held_optimizer(self) -> torch.optim.Optimizer | DeferredAdam:
        """The optimizer as held: a :class:`DeferredAdam` not yet built stays one (its
        ``state_dict`` then reads the moments without building it)."""
        return self._optimizer


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
    training: TrainingConfig = TrainingConfig(),
    x_test: torch.Tensor | None = None,
    seed: int = 0,
    resume: FitResult | None = None,
    callback: Callable[[int, Autoencoder, History], bool | None] | None = None,
    progress: bool = False,
    num_threads: int | None = None,
) -> FitResult:
    """Train ``model`` in place on ``x_train`` (n, input_dim) for ``training.epochs`` epochs.

    ``resume``, an earlier result for this same model (or its :meth:`FitResult.fork`),
    continues training: Adam's moments, the same stream of shuffles and noise, and the
    epochs count on (3 epochs, then 3 more, give the weights of 6). Otherwise the shuffles
    and the code noise are drawn from a new generator seeded with ``seed``.
    ``callback`` runs after each epoch; returning ``False`` stops training there. Images
    must be finite, and in [0, 1] for a Bernoulli decoder (checked once, before the first
    epoch). Raises ``FloatingPointError`` naming the epoch and the term if a loss stops
    being finite.
    """
    if not isinstance(model, Autoencoder):
        raise TypeError(f"model must be an explainer.models.Autoencoder, got "
                        f"{type(model).__name__}")
    # once, before the loop: shape, finite values, and [0, 1] for a Bernoulli decoder
    x_train = model.check_input(x_train, name="x_train")
    if x_test is not None:
        x_test = model.check_input(x_test, name="x_test")
    if not isinstance(training, TrainingConfig):
        raise TypeError(f"training must be an explainer.train.TrainingConfig, got "
                        f"{type(training).__name__}")
    seed = check_seed(seed)
    if num_threads is not None:
        num_threads = check_int("num_threads", num_threads, low=1)
    if callback is not None and not callable(callback):
        raise TypeError(f"callback must be callable (epoch, model, history), got "
                        f"{type(callback).__name__}")
    if resume is None:
        optimizer = make_optimizer(model, lr=training.lr)
        history = History()
        generator = torch.Generator().manual_seed(seed)
    else:
        _check_resume(resume, model, training=training)
        optimizer, history, generator = resume.optimizer, resume.history, resume.generator
    epochs, batch_size = training.epochs, training.batch_size
    first_epoch = history.epoch[-1] + 1 if history.epoch else 1
    n = x_train.shape[0]
    cfg = model.config
    causes = _divergence_causes(cfg, lr=training.lr, x_train=x_train)
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


def _check_resume(resume: object, model: Autoencoder, *, training: TrainingConfig) -> None:
    """``resume`` must be a FitResult whose optimizer drives ``model``, at ``training.lr``."""
    if not isinstance(resume, FitResult):
        raise TypeError(f"resume must be an explainer.train.FitResult (or None), got "
                        f"{type(resume).__name__}")
    if resume.model is not model:
        raise ValueError("resume must be the result of training this model: pass "
                         "resume.model (or resume.fork(config).model) as the model")
    trained = {id(p) for group in resume.optimizer.param_groups for p in group["params"]}
    if trained != {id(p) for p in model.parameters()}:
        raise ValueError("resume.optimizer must drive this model's parameters (use "
                         "resume.fork() to continue a copy)")
    lr = resume.optimizer.param_groups[0]["lr"]
    if lr != training.lr:
        raise ValueError(f"training.lr must equal the resumed optimizer's learning rate {lr:g} "
                         f"(Adam continues with its own), got {training.lr:g}")


def evaluate(
    model: Autoencoder, x: torch.Tensor, *, seed: int = 0, batch_size: int = 2048
) -> dict[str, float]:
    """Mean reconstruction, KL, -ELBO and objective over ``x``, one code sample per image.

    The noise is drawn from ``seed``, so the same model and data give the same numbers.
    """
    if not isinstance(model, Autoencoder):
        raise TypeError(f"model must be an explainer.models.Autoencoder, got "
                        f"{type(model).__name__}")
    x = model.check_input(x)
    seed = check_seed(seed)
    batch_size = check_int("batch_size", batch_size, low=1)
    return _evaluate(model, x, seed=seed, batch_size=batch_size)


@torch.inference_mode()
def _evaluate(model: Autoencoder, x: torch.Tensor, *, seed: int,
              batch_size: int) -> dict[str, float]:
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
    """A trained model with its history, where it came from, and (from ``train_model``)
    Adam's moments and the generator, so that training can continue from it."""

    model: Autoencoder
    history: History
    from_cache: bool
    key: str
    # a DeferredAdam for a model read from the cache: built when training continues
    optimizer: torch.optim.Optimizer | DeferredAdam | None = None
    generator: torch.Generator | None = None

    @property
    def result(self) -> FitResult:
        """This model as a :class:`FitResult`, to continue training (``fit(..., resume=)``;
        ``result.fork()`` continues a copy and leaves this one as it is)."""
        if self.optimizer is None or self.generator is None:
            raise ValueError("this TrainedModel holds no optimizer state: only models from "
                             "train_model (or a FitResult) can continue training")
        return FitResult(self.model, self.history, self.optimizer, self.generator)


# What a cached record holds; part of the cache key, so a record of another layout is
# never read as this one.
RECORD_LAYOUT = ("state_dict", "history", "optimizer", "generator")


def result_from_record(config: ModelConfig, record: dict, *, lr: float, seed: int = 0) -> FitResult:
    """The model of ``config`` with the record's weights (in eval mode), its history, its
    Adam (at ``lr``; a :class:`DeferredAdam`, built when training continues) with the
    record's moments and its generator; KeyError, RuntimeError,
    ValueError or TypeError if the record does not hold them (every weight and moment of
    ``config``'s shapes, nothing else, a history as ``History.to_dict`` writes)."""
    if not isinstance(record, dict) or set(record) != set(RECORD_LAYOUT):
        got = sorted(map(str, record)) if isinstance(record, dict) else type(record).__name__
        raise ValueError(f"a model record must hold {list(RECORD_LAYOUT)}, got {got}")
    model = Autoencoder(config, seed=seed)
    model.load_state_dict(record["state_dict"])  # strict: every key, every shape
    model.eval()
    optimizer = DeferredAdam(model, record["optimizer"])  # the groups, sizes and shapes
    if optimizer.lr != lr:
        raise ValueError(f"the record's Adam has learning rate {optimizer.lr:g}, not {lr:g}")
    generator = torch.Generator()
    generator.set_state(record["generator"])
    return FitResult(model, History.from_dict(record["history"]), optimizer, generator)


def result_record(result: FitResult) -> dict:
    """What :func:`result_from_record` reads back (weights, history, moments, generator)."""
    return {"state_dict": result.model.state_dict(), "history": result.history.to_dict(),
            "optimizer": result.held_optimizer.state_dict(),
            "generator": result.generator.get_state()}


def train_model(
    config: ModelConfig,
    data: ImageDataset,
    *,
    training: TrainingConfig,
    seed: int = 0,
    progress: bool = False,
    num_threads: int | None = None,
    use_cache: bool = True,
) -> TrainedModel:
    """A model of ``config`` trained on ``data`` as ``training`` says: from the cache if it
    was trained before. The one cached-training path of the library.

    The cache key holds the model's and the training's settings, the seed, the data's
    fingerprint and the library's version. Nothing is cached if training fails.
    """
    if not isinstance(config, ModelConfig):
        raise TypeError(f"config must be an explainer.models.ModelConfig, got "
                        f"{type(config).__name__}")
    if not isinstance(data, ImageDataset):
        raise TypeError(f"data must be an explainer.data.ImageDataset, got {type(data).__name__}")
    if not isinstance(training, TrainingConfig):
        raise TypeError(f"training must be an explainer.train.TrainingConfig, got "
                        f"{type(training).__name__}")
    if data.n_pixels != config.input_dim:
        raise ValueError(
            f"config.input_dim must equal the data's pixels per image ({data.n_pixels}), "
            f"got {config.input_dim}"
        )
    seed = check_seed(seed)
    key = cache.cache_key(config=config.to_dict(), data=data.fingerprint(), seed=seed,
                          record=list(RECORD_LAYOUT), **training.to_dict())
    path = cache.model_path(key)
    if use_cache:
        cached = cache.load_record(path, parse=lambda record: result_from_record(
            config, record, lr=training.lr, seed=seed))
        if cached is not None:
            return TrainedModel(cached.model, cached.history, True, key,
                                cached.held_optimizer, cached.generator)
    result = fit(Autoencoder(config, seed=seed), data.x_train, training=training,
                 x_test=data.x_test, seed=seed, progress=progress, num_threads=num_threads)
    if use_cache:
        cache.save_record(path, result_record(result))
    return TrainedModel(result.model, result.history, False, key, result.optimizer,
                        result.generator)


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
