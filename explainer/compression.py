"""PCA against autoencoders at the same code size k.

Two comparisons, both on the real MNIST digits:

- A **linear autoencoder** (encoder E, decoder D, both d x k, no non-linearity) trained
  by full-batch gradient descent with momentum on the mean squared error. It is the
  family's ``"linear_ae"`` (``explainer.models``; :meth:`LinearAE.to_autoencoder` gives
  that model) with its biases fixed by the centring and its own training, because the
  comparison with PCA asks for it: for centred data the error depends on the images only
  through their covariance C = Xc^T Xc / n:

      L(E, D) = (1/n) sum_i ||xc_i - D E^T xc_i||^2
              = tr C - 2 tr(D^T C E) + tr(D^T D E^T C E)

  so each full-batch step costs one d x d x k product, whatever n is. The data are
  centred first because at the optimum the decoder's bias is the mean image. Its
  optimum is PCA's top-k subspace, reached only up to an invertible k x k mix, so the
  training is followed by the principal angles between D's columns and PCA's. So this
  linear AE is not trained by ``explainer.train.fit`` (Adam on mini-batches of images,
  each step a pass over them): its gradient steps are those of the closed-form loss, from
  a seeded start, measured against PCA as they go.
- **Deep autoencoders** (784-256-k-256-784, ReLU, sigmoid output) trained on a small
  grid of code sizes with the library's cached ``train_model``, measured by the same
  squared error as PCA.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

from explainer import cache, pca
from explainer.data import ImageDataset
from explainer.models import Autoencoder, ModelConfig
from explainer.train import TrainedModel, TrainingConfig, train_model
from explainer.validation import check_images, check_int, check_real, check_seed

# Code sizes at which the autoencoders are trained; the k slider shows PCA at every k
# from 1 to pca.MAX_CODE_SIZE and each autoencoder at the nearest of these.
CODE_SIZE_GRID = (2, 5, 10, 30, 64)
# The deep AE: one hidden layer of 256 each way. Hinton & Salakhutdinov (2006) used
# 784-1000-500-250-30, which needs more epochs than a notebook's cold start affords
# (measured: 10 epochs of it left the test error at 27, worse than PCA's 14).
DEEP_AE_HIDDEN = (256,)
DEEP_AE_TRAINING = TrainingConfig(epochs=20, batch_size=128, lr=3e-3)


@dataclass(frozen=True)
class LinearAETraining:
    """The linear AE's schedule, validated here, once: ``n_steps`` full-batch gradient
    steps at learning rate ``lr`` with ``momentum`` (heavy ball, as ``torch.optim.SGD``)."""

    n_steps: int = 200
    lr: float = 0.05
    momentum: float = 0.9

    def __post_init__(self) -> None:
        object.__setattr__(self, "n_steps", check_int("n_steps", self.n_steps, low=1, high=100_000))
        object.__setattr__(self, "lr", check_real("lr", self.lr, low=0.0, low_open=True))
        object.__setattr__(self, "momentum", check_real("momentum", self.momentum, low=0.0,
                                                        high=1.0, high_open=True))


# the schedule of the notebook's linear AEs (and of their cache)
LINEAR_AE_TRAINING = LinearAETraining()


@dataclass(frozen=True)
class LinearAE:
    """A linear autoencoder on centred data: code c = E^T (x - mu), x_hat = mu + D c."""

    mean: torch.Tensor  # (d,)
    encoder: torch.Tensor  # E, (d, k)
    decoder: torch.Tensor  # D, (d, k)

    def to_autoencoder(self) -> Autoencoder:
        """The same map as a model of the family, kind ``"linear_ae"``: encoder weight E^T
        with bias -E^T mu, decoder weight D with bias mu (its Gaussian decoder's mean)."""
        d, k = self.encoder.shape
        model = Autoencoder(ModelConfig(kind="linear_ae", input_dim=d, latent_dim=k))
        with torch.no_grad():
            encoder, decoder = model.encoder[0], model.decoder[0]
            # c = E^T x - E^T mu
            encoder.weight.copy_(self.encoder.T)
            encoder.bias.copy_(-(self.mean @ self.encoder))
            # x_hat = D c + mu
            decoder.weight.copy_(self.decoder)
            decoder.bias.copy_(self.mean)
        return model

    def reconstruct(self, x: torch.Tensor) -> torch.Tensor:
        """x_hat = mu + D E^T (x - mu) for each row of ``x``: (n, d), float32."""
        x = check_images("x", x, n_pixels=self.mean.shape[0])
        # x_hat = mu + (x - mu) E D^T
        return self.mean + (x - self.mean) @ self.encoder @ self.decoder.T


@dataclass(frozen=True)
class LinearAEState:
    """One moment of the linear AE's training, measured against PCA at the same k."""

    step: int
    train_error: float  # mean squared error per training image
    test_error: float  # the same on the test images
    angles: np.ndarray  # principal angles (degrees, ascending) between D and PCA's top k


def linear_ae_loss(cov: torch.Tensor, encoder: torch.Tensor, decoder: torch.Tensor,
                   total_variance: torch.Tensor) -> torch.Tensor:
    """Mean squared reconstruction error of centred data with covariance ``cov``."""
    ce = cov @ encoder
    # L = tr C - 2 tr(D^T C E) + tr(D^T D E^T C E)
    return (total_variance - 2.0 * (decoder * ce).sum()
            + ((decoder.T @ decoder) * (encoder.T @ ce)).sum())


@dataclass(frozen=True)
class DataMoments:
    """What the linear AE's loss needs of the training digits: their mean, the covariance of
    the centred digits and its trace. :func:`data_moments` computes them; a trainer that
    trains again and again on the same digits keeps them."""

    mean: torch.Tensor  # mu, (d,)
    cov: torch.Tensor  # C, (d, d)
    total: torch.Tensor  # tr C, ()


def data_moments(data: ImageDataset) -> DataMoments:
    """The training digits' :class:`DataMoments`, in float32."""
    if not isinstance(data, ImageDataset):
        raise TypeError(f"data must be an explainer.data.ImageDataset, got {type(data).__name__}")
    x = data.x_train.to(torch.float32)
    mean = x.mean(dim=0)
    centred = x - mean
    # C = Xc^T Xc / n
    cov = centred.T @ centred / x.shape[0]
    # tr C = mean of ||x - mu||^2
    return DataMoments(mean, cov, cov.trace())


def train_linear_ae(
    data: ImageDataset,
    *,
    k: int,
    training: LinearAETraining = LINEAR_AE_TRAINING,
    seed: int = 0,
    every: int = 10,
    reference: pca.PCA | None = None,
    moments: DataMoments | None = None,
    callback: Callable[[LinearAEState], bool | None] | None = None,
) -> tuple[LinearAE, list[LinearAEState]]:
    """Train a linear AE with code size ``k`` by full-batch gradient descent with momentum
    (the schedule ``training``).

    Starts from small random weights drawn with ``seed``. Every ``every`` steps (and at
    step 0 and the last step) the state is measured against ``reference`` (PCA of the
    training digits, fitted here if not given) and passed to ``callback``; returning
    ``False`` stops training. ``moments``: :func:`data_moments` of ``data``, computed here if
    not given. Returns the trained AE and the measured states.
    """
    if not isinstance(data, ImageDataset):
        raise TypeError(f"data must be an explainer.data.ImageDataset, got {type(data).__name__}")
    if not isinstance(training, LinearAETraining):
        raise TypeError("training must be an explainer.compression.LinearAETraining, got "
                        f"{type(training).__name__}")
    k = check_int("k", k, low=1, high=pca.MAX_CODE_SIZE)
    seed = check_seed(seed)
    every = check_int("every", every, low=1)
    if reference is None:
        reference = pca.fit_pca(data.x_train, n_components=pca.MAX_CODE_SIZE)
    if moments is None:
        moments = data_moments(data)
    elif not isinstance(moments, DataMoments) or moments.cov.shape != (data.n_pixels,) * 2:
        raise ValueError(f"moments must be the DataMoments of data ({data.n_pixels} pixels), "
                         f"got {type(moments).__name__}")
    basis = reference.components_[:k].T
    mean, cov, total = moments.mean, moments.cov, moments.total
    g = torch.Generator().manual_seed(seed)
    d = data.n_pixels
    encoder = (0.01 * torch.randn(d, k, generator=g)).requires_grad_()
    decoder = (0.01 * torch.randn(d, k, generator=g)).requires_grad_()
    # heavy-ball momentum written out (torch.optim.SGD's update, step for step): building
    # any torch optimizer imports torch._dynamo, 75 MB and about a second in a kernel that
    # otherwise never needs it (benchmarks/README.md)
    velocity = [torch.zeros_like(encoder), torch.zeros_like(decoder)]
    states: list[LinearAEState] = []

    def measure(step: int, loss: float) -> bool:
        model = LinearAE(mean, encoder.detach().clone(), decoder.detach().clone())
        test = float(pca.squared_error(data.x_test, model.reconstruct(data.x_test)).mean())
        state = LinearAEState(step, loss, test, pca.principal_angles(model.decoder, basis))
        states.append(state)
        return callback is None or callback(state) is not False

    with torch.no_grad():
        go_on = measure(0, float(linear_ae_loss(cov, encoder, decoder, total)))
    step = 0
    while go_on and step < training.n_steps:
        step += 1
        loss = linear_ae_loss(cov, encoder, decoder, total)
        grads = torch.autograd.grad(loss, [encoder, decoder])
        with torch.no_grad():
            for param, v, grad in zip((encoder, decoder), velocity, grads):
                # v <- momentum v + dL/dparam;  param <- param - lr v
                v.mul_(training.momentum).add_(grad)
                param.add_(v, alpha=-training.lr)
        if step % every == 0 or step == training.n_steps:
            with torch.no_grad():
                go_on = measure(step, float(linear_ae_loss(cov, encoder, decoder, total)))
    return LinearAE(mean, encoder.detach(), decoder.detach()), states


def train_deep_ae(data: ImageDataset, *, k: int, seed: int = 0,
                  progress: bool = False) -> TrainedModel:
    """The deep AE 784-256-k-256-784 at code size ``k``, from the cache if trained before."""
    k = check_int("k", k, low=1, high=pca.MAX_CODE_SIZE)
    config = ModelConfig(kind="ae", input_dim=data.n_pixels, latent_dim=k,
                         hidden_dims=DEEP_AE_HIDDEN)
    return train_model(config, data, training=DEEP_AE_TRAINING, seed=seed, progress=progress,
                       num_threads=1)


def nearest_code_size(k: int, grid: tuple[int, ...] = CODE_SIZE_GRID) -> int:
    """The trained code size closest to ``k`` (the smaller one on a tie)."""
    k = check_int("k", k, low=1, high=pca.MAX_CODE_SIZE)
    if len(grid) == 0:
        raise ValueError("grid must hold at least one code size")
    return min(grid, key=lambda g: (abs(g - k), g))


@dataclass(frozen=True)
class CodeSizeComparison:
    """Test errors and reconstructions of PCA, linear AE and deep AE against code size.

    ``pca_error[k - 1]``: PCA's mean squared test error at k = 1 .. MAX_CODE_SIZE.
    ``linear_error`` and ``deep_error``: at each size of ``grid``. ``digits``: the fixed
    test digits shown (n, d); ``linear_images`` and ``deep_images`` map each grid size
    to their reconstructions; PCA's come from :func:`pca_images` at any k.
    """

    reference: pca.PCA
    grid: tuple[int, ...]
    pca_error: np.ndarray
    linear_error: np.ndarray
    deep_error: np.ndarray
    digits: torch.Tensor
    linear_images: dict[int, np.ndarray]
    deep_images: dict[int, np.ndarray]

    def pca_images(self, k: int) -> np.ndarray:
        """PCA's reconstructions of the shown digits at code size ``k``, in [0, 1]."""
        x_hat = pca.reconstruct(self.reference, self.digits, k=k)
        # PCA's reconstructions can leave [0, 1]; the picture shows them clipped to it
        return x_hat.clamp(0.0, 1.0).numpy().astype(np.float32)


def compare_code_sizes(
    data: ImageDataset,
    *,
    grid: tuple[int, ...] = CODE_SIZE_GRID,
    digits: tuple[int, ...] | None = None,
    seed: int = 0,
    progress: bool = False,
) -> CodeSizeComparison:
    """Train (or load) a linear and a deep AE at each code size of ``grid`` and measure
    them, with PCA at every k, on the test digits.

    ``digits`` are indices into the test set (default: the first of each class).
    """
    if not isinstance(data, ImageDataset):
        raise TypeError(f"data must be an explainer.data.ImageDataset, got {type(data).__name__}")
    if len(grid) == 0:
        raise ValueError("grid must hold at least one code size")
    grid = tuple(sorted({check_int("grid entry", g, low=1, high=pca.MAX_CODE_SIZE) for g in grid}))
    if digits is None:
        digits = tuple(int((data.y_test == c).nonzero()[0]) for c in range(10))
    for i in digits:
        check_int("digits entry", i, low=0, high=len(data.x_test) - 1)
    shown = data.x_test[list(digits)]
    reference = pca.fit_pca(data.x_train, n_components=pca.MAX_CODE_SIZE)
    pca_error = pca.error_by_code_size(reference, data.x_test, max_k=pca.MAX_CODE_SIZE)
    linear_error, deep_error, linear_images, deep_images = [], [], {}, {}
    for k in grid:
        linear = cached_linear_ae(data, k=k, seed=seed, reference=reference)
        linear_x_hat = linear.reconstruct(data.x_test)
        linear_error.append(float(pca.squared_error(data.x_test, linear_x_hat).mean()))
        # the linear AE's reconstructions can leave [0, 1] as PCA's do: shown clipped
        linear_images[k] = linear.reconstruct(shown).clamp(0.0, 1.0).numpy()
        deep = train_deep_ae(data, k=k, seed=seed, progress=progress).model
        deep_error.append(pca.autoencoder_error(deep, data.x_test))
        deep_images[k] = pca.autoencoder_reconstruct(deep, shown).numpy()
    return CodeSizeComparison(reference, grid, pca_error, np.array(linear_error),
                              np.array(deep_error), shown, linear_images, deep_images)


def cached_linear_ae(data: ImageDataset, *, k: int, seed: int = 0,
                     reference: pca.PCA | None = None) -> LinearAE:
    """:func:`train_linear_ae` with the default schedule, its weights cached on disk."""
    training = LINEAR_AE_TRAINING
    # (the key names the schedule as it always has: steps, lr, momentum)
    key = cache.cache_key(kind="linear_ae_full_batch", data=data.fingerprint(), k=k, seed=seed,
                          steps=training.n_steps, lr=training.lr, momentum=training.momentum)
    path = cache.cache_dir() / "arrays" / f"{key}.npz"
    d = data.n_pixels
    arrays = cache.load_arrays(path, parse=lambda arrays: cache.check_arrays(arrays, {
        "mean": (np.float32, (d,)), "encoder": (np.float32, (d, k)),
        "decoder": (np.float32, (d, k))}))
    if arrays is None:
        model, _ = train_linear_ae(data, k=k, seed=seed, reference=reference,
                                   every=training.n_steps)
        cache.save_arrays(path, {"mean": model.mean.numpy(), "encoder": model.encoder.numpy(),
                                 "decoder": model.decoder.numpy()})
        return model
    return LinearAE(*(torch.from_numpy(arrays[name]) for name in ("mean", "encoder", "decoder")))


def deep_vs_pca(comparison: CodeSizeComparison, *, k: int = 30) -> str:
    """One sentence: PCA's and the deep AE's test errors at ``k``, rounded, and which is
    lower by how much (as the ratio of the two, to one decimal)."""
    if k not in comparison.grid:
        raise ValueError(f"k must be one of the trained code sizes {comparison.grid}, got {k}")
    p = float(comparison.pca_error[k - 1])
    a = float(comparison.deep_error[comparison.grid.index(k)])
    lower, higher = ("the deep AE", "PCA") if a < p else ("PCA", "the deep AE")
    # ratio = lower error / higher error
    ratio = min(a, p) / max(a, p)
    return (f"k = {k}: PCA's test error {p:.0f}, the deep AE's {a:.0f} (squared error per "
            f"digit, summed over 784 pixels): {lower} is lower; its error is {ratio:.1f} "
            f"times {higher}'s.")
