"""The hole meter: decode codes drawn from the prior and ask a digit classifier what it sees.

- :func:`hole_meter`: decode N codes drawn from the prior N(0, I) and measure how many a
  digit classifier (:func:`train_digit_classifier`) recognises with confidence, and how
  far each is from its nearest real training digit. ``sample_from="fitted"`` draws the
  codes from a Gaussian fitted to the model's own codes (:func:`fitted_gaussian`): the
  fair draw for the AE, which has no prior.
- :func:`judge_images` (the same reading of any set of images), :func:`read_digits` (what
  the classifier names in each image, "?" if unsure).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import nn

from explainer import cache
from explainer.data import ImageDataset
from explainer.map_models import MapModel
from explainer.map_views import decode_codes, encode_images
from explainer.train import TrainingConfig, torch_threads
from explainer.validation import (
    check_choice,
    check_images,
    check_int,
    check_real,
    check_seed,
    check_unit_interval,
)


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
    seed = check_seed(seed)
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
                      chunk_size: int = 500) -> np.ndarray:
    """Euclidean pixel distance from each image to its nearest image in ``reference``: (n,),
    computed for ``chunk_size`` images at a time."""
    if not isinstance(reference, torch.Tensor) or reference.ndim != 2:
        raise TypeError("reference must be a 2-D torch.Tensor of images (n, pixels)")
    reference = check_images("reference", reference, n_pixels=reference.shape[1])
    x = check_images("images", images, n_pixels=reference.shape[1])
    chunk_size = check_int("chunk_size", chunk_size, low=1)
    out = []
    for i in range(0, x.shape[0], chunk_size):
        # min_j || x_i - r_j ||_2
        out.append(torch.cdist(x[i:i + chunk_size], reference).min(dim=1).values)
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
    seed = check_seed(seed)
    return torch.randn(n_samples, 2, generator=torch.Generator().manual_seed(seed)).numpy()


def judge_images(images: np.ndarray, classifier: DigitClassifier, x_train: torch.Tensor, *,
                 threshold: float = 0.9, label: str = "", use_cache: bool = True) -> HoleReading:
    """Confident fraction and nearest-training-digit distance of any set of images. With
    ``use_cache`` the reading is cached on disk by the content of the images, the
    classifier's weights and the training digits (the nearest-digit search is most of the
    cost); a model retrained live passes False, and nothing is written for it."""
    threshold = check_real("threshold", threshold, low=0.0, high=1.0)
    x = check_images("images", images, n_pixels=784)

    def judge() -> dict[str, np.ndarray]:
        proba = classifier.predict_proba(x)
        ok = proba.max(axis=1) >= threshold
        return {"confident": np.float64(ok.mean()),
                "nearest": np.float64(nearest_distances(x, x_train).mean()),
                "digits": np.bincount(proba.argmax(axis=1)[ok], minlength=10).astype(np.int64)}

    if not use_cache:
        arrays = judge()
    else:
        arrays = cache.computed_arrays(
            {"confident": (np.float64, ()), "nearest": (np.float64, ()),
             "digits": (np.int64, (10,))},
            judge, purpose="judged-images", threshold=threshold, images=cache.content_digest(x),
            classifier=cache.content_digest(*classifier.state_dict().values()),
            reference=cache.content_digest(x_train))
    return HoleReading(label=label, n_samples=len(x), threshold=threshold,
                       confident=float(arrays["confident"]), nearest=float(arrays["nearest"]),
                       digits=arrays["digits"])


def read_digits(images: np.ndarray, classifier: DigitClassifier, *,
                threshold: float = 0.9) -> list[str]:
    """What the classifier reads in each image: its digit if named with confidence
    >= ``threshold``, else "?" (unreadable)."""
    threshold = check_real("threshold", threshold, low=0.0, high=1.0)
    proba = classifier.predict_proba(images)
    return [str(k) if p >= threshold else "?"
            for k, p in zip(proba.argmax(axis=1), proba.max(axis=1))]


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
               sample_from: str = "prior", use_cache: bool = True) -> HoleReading:
    """Decode ``n_samples`` codes and judge them (:func:`judge_images`).

    ``sample_from="prior"``: the codes are drawn from N(0, I); ``"fitted"``: from the
    Gaussian with the mean and covariance of the model's codes of ``x_train``
    (:func:`fitted_gaussian`), by the same draws mapped through it (:func:`gaussian_samples`).
    ``use_cache``: as :func:`judge_images`.
    """
    check_choice("sample_from", sample_from, SAMPLE_FROM)
    if sample_from == "prior":
        codes, label = prior_samples(n_samples, seed=seed), mm.label
    else:
        mean, covariance = fitted_gaussian(encode_images(mm.model, x_train)[0])
        codes = gaussian_samples(mean, covariance, n_samples, seed=seed)
        label = f"{mm.label} (fitted Gaussian)"
    images = decode_codes(mm.model, codes)
    return judge_images(images, classifier, x_train, threshold=threshold, label=label,
                        use_cache=use_cache)


