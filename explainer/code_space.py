"""The full moon, the half moon, and the holes in an autoencoder's code space.

The tutorial's central picture (images 008-010): an autoencoder with a 1-D code is
trained on a full moon and a half moon, or on a continuum of phases between them. This
module trains those tiny models and measures what they decode along the code axis:

- ``CodeSpaceSettings``: the training set and the model, one frozen dataclass: an AE, a
  noisy AE (fixed noise scale, optionally a KL ``beta`` that pulls the codes in) or a VAE
  (learned variance, KL weight ``beta``) with a 1-D code, and its training schedule.
- ``train_code_model``: that model trained full-batch with ``explainer.train.fit``.
- ``measure_code_space``: every number the figures show: each training image's code and
  noise width, a strip of decodes along the axis from well beyond the full moon's code
  to well beyond the half moon's, each decode's distance to the full, the true 3/4 and
  the half moon and its lit fraction, the noise bands' densities, and the midpoint.
- ``explore_code_space``: both at once; ``training_replay``: the same measurements
  taken every few steps of training, for the animation.
- ``rounded_band`` and ``coarse_band``: trained-model numbers as bands that hold across
  seeds and machines (distances in bands 0.15 wide; separations and learned noise widths,
  which span orders of magnitude, between the edges ``SEPARATION_EDGES``, ``WIDTH_EDGES``).

Positions along the axis are written ``t``: the code c = c_full + t (c_half - c_full),
so t = 0 is the full moon's code, t = 1 the half moon's and t = 0.5 their midpoint,
whatever scale the encoder chose.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from explainer.data import (
    FULL_MOON,
    HALF_MOON,
    THREE_QUARTER_MOON,
    lit_fraction,
    moon_images,
    moon_pair,
    moon_phases,
)
from explainer.gaussians import normal_pdf
from explainer.models import Autoencoder, ModelConfig
from explainer.train import FitResult, History, TrainingConfig, fit
from explainer.validation import check_choice, check_images, check_int, check_real, check_seed

TRAINING_SETS = ("two_moons", "phases")
CODE_KINDS = ("ae", "noisy_ae", "vae")
# the reference moons every decode is compared with, in this order
REFERENCE_PHASES = (FULL_MOON, THREE_QUARTER_MOON, HALF_MOON)
REFERENCE_NAMES = ("full moon", "3/4 moon", "half moon")
MOON_SIDE = 28
MOON_PIXELS = MOON_SIDE * MOON_SIDE

# Defaults chosen by measurement (benchmarks/moon_slider.py): 150 full-batch Adam steps
# of a 784-64-1-64-784 network take ~0.3-0.4 s on one thread and reconstruct every moon;
# 32 phases (rather than 16) made the noisy AE's midpoint land near the 3/4 moon for
# every seed tried, not only for most.
DEFAULT_HIDDEN = 64
DEFAULT_N_STEPS = 150
DEFAULT_LR = 2e-2
DEFAULT_PHASES = 32


def training_images(
    training_set: str = "two_moons", *, n_phases: int = DEFAULT_PHASES
) -> torch.Tensor:
    """The training set: ``"two_moons"`` (full, half) or ``"phases"`` (``n_phases`` from
    full to half, evenly spaced in lit fraction). Shape (n, 784); full moon first, half last.
    """
    check_choice("training_set", training_set, TRAINING_SETS)
    if training_set == "two_moons":
        return moon_pair(size=MOON_SIDE)
    n_phases = check_int("n_phases", n_phases, low=3, high=256)
    return moon_phases(n_phases, start=FULL_MOON, stop=HALF_MOON, size=MOON_SIDE)


def reference_moons() -> torch.Tensor:
    """The full moon, the true 3/4 moon and the half moon drawn by the renderer: (3, 784)."""
    return moon_images(list(REFERENCE_PHASES), size=MOON_SIDE)


@dataclass(frozen=True)
class CodeSpaceSettings:
    """Everything that defines a trained 1-D-code model of the moons, validated here, once.

    ``training_set``: ``"two_moons"`` or ``"phases"`` (``n_phases`` of them, full to half).
    ``kind``: ``"ae"``: plain AE (noise_scale and beta must be 0). ``"noisy_ae"``: the code
    c = m + noise_scale * e; noise_scale 0 is the plain AE, beta > 0 adds the KL of
    N(m, noise_scale^2) to N(0, 1). ``"vae"``: learned variance, KL weight beta.
    The network is 784-``hidden_dim``-1-``hidden_dim``-784, trained for ``n_steps``
    full-batch Adam steps at learning rate ``lr``; weights and training noise from ``seed``.
    """

    training_set: str = "two_moons"
    kind: str = "ae"
    noise_scale: float = 0.0
    beta: float = 0.0
    n_phases: int = DEFAULT_PHASES
    n_steps: int = DEFAULT_N_STEPS
    lr: float = DEFAULT_LR
    hidden_dim: int = DEFAULT_HIDDEN
    seed: int = 0

    def __post_init__(self) -> None:
        check_choice("training_set", self.training_set, TRAINING_SETS)
        check_choice("kind", self.kind, CODE_KINDS)
        checked = {
            "noise_scale": check_real("noise_scale", self.noise_scale, low=0.0, high=100.0),
            "beta": check_real("beta", self.beta, low=0.0, high=1000.0),
            "n_phases": check_int("n_phases", self.n_phases, low=3, high=256),
            "n_steps": check_int("n_steps", self.n_steps, low=1, high=100_000),
            "lr": check_real("lr", self.lr, low=0.0, high=1.0, low_open=True),
            "hidden_dim": check_int("hidden_dim", self.hidden_dim, low=1, high=4096),
            "seed": check_seed(self.seed),
        }
        for name, value in checked.items():
            object.__setattr__(self, name, value)
        if self.kind == "noisy_ae" and self.noise_scale == 0.0 and self.beta > 0:
            raise ValueError(
                "beta > 0 needs noise_scale > 0 for kind='noisy_ae' (a zero-width code has an "
                f"infinite KL); got beta={self.beta}, noise_scale=0"
            )
        # the combination of kind, noise_scale and beta is checked by the model's own config
        self.model_config()

    def images(self) -> torch.Tensor:
        """The training images (n, 784), full moon first, half moon last."""
        return training_images(self.training_set, n_phases=self.n_phases)

    def model_config(self) -> ModelConfig:
        """The model of the family with a 1-D code for 28x28 moons (a noisy AE without
        noise is the plain AE)."""
        kind = "ae" if self.kind == "noisy_ae" and self.noise_scale == 0.0 else self.kind
        return ModelConfig(
            kind=kind,
            input_dim=MOON_PIXELS,
            latent_dim=1,
            hidden_dims=(self.hidden_dim,),
            noise_scale=self.noise_scale,
            beta=self.beta,
        )


def train_code_model(
    settings: CodeSpaceSettings,
    *,
    callback: Callable[[int, Autoencoder, History], bool | None] | None = None,
    num_threads: int | None = 1,
) -> FitResult:
    """Train the model ``settings`` define on its images, full batch: one Adam step per epoch.

    Deterministic: weights from ``settings.seed`` and the training noise from a generator
    seeded with it (inside ``fit``). ``callback(step, model, history)`` runs after each step.
    ``num_threads``: torch threads while training (default 1: these models are too small
    to gain from two, and a second thread can stall for seconds on a busy machine;
    None leaves torch's setting as it is).
    """
    _check_settings(settings)
    images = settings.images()
    model = Autoencoder(settings.model_config(), seed=settings.seed)
    # full batch: one Adam step per epoch
    training = TrainingConfig(epochs=settings.n_steps, batch_size=images.shape[0], lr=settings.lr)
    return fit(model, images, training=training, seed=settings.seed, callback=callback,
               num_threads=num_threads)


@torch.inference_mode()
def encode_codes(model: Autoencoder, images: torch.Tensor) -> tuple[np.ndarray, np.ndarray]:
    """Each image's code mean m (n,) and noise width sigma (n,): 0 for the AE, the fixed
    noise scale for the noisy AE, exp(s / 2) for the VAE."""
    _check_code_model(model)
    images = model.check_input(images, name="images")
    mean, logvar = model.encode_checked(images)
    mean = mean[:, 0].double().numpy()
    if logvar is None:
        return mean, np.zeros_like(mean)
    # sigma = exp(s / 2), s the log-variance
    return mean, np.exp(0.5 * logvar[:, 0].double().numpy())


@torch.inference_mode()
def decode_codes(model: Autoencoder, codes: np.ndarray) -> np.ndarray:
    """Images (n, 784) in [0, 1] decoded from 1-D codes (n,) (or a column (n, 1))."""
    _check_code_model(model)
    codes = np.asarray(codes, dtype=np.float64)
    if codes.ndim == 2 and codes.shape[1] == 1:
        codes = codes[:, 0]
    if codes.ndim != 1:
        raise ValueError(f"codes must be 1-D (one number per code: the code is 1-D), got shape "
                         f"{codes.shape}")
    if not np.isfinite(codes).all():
        raise ValueError("codes must be finite")
    return model.decode(torch.from_numpy(codes.astype(np.float32)).unsqueeze(1)).double().numpy()


def axis_codes(t: np.ndarray, code_full: float, code_half: float) -> np.ndarray:
    """Codes at axis positions ``t``: c = c_full + t (c_half - c_full)."""
    t = np.asarray(t, dtype=np.float64)
    code_full = check_real("code_full", code_full)
    code_half = check_real("code_half", code_half)
    # c = c_full + t (c_half - c_full)
    return code_full + t * (code_half - code_full)


def midpoint_code(code_full: float, code_half: float) -> float:
    """The point halfway between the two codes: (c_full + c_half) / 2."""
    code_full = check_real("code_full", code_full)
    code_half = check_real("code_half", code_half)
    # c_mid = (c_full + c_half) / 2
    return 0.5 * (code_full + code_half)


def noise_densities(codes: np.ndarray, means: np.ndarray, sigmas: np.ndarray) -> np.ndarray:
    """Each image's noise band as a density on the axis: N(c; m_i, sigma_i^2), (n_images, n_codes).

    Every sigma must be > 0 (the plain AE has no band: its code is a point).
    """
    codes = np.asarray(codes, dtype=np.float64).reshape(1, -1)
    means = np.asarray(means, dtype=np.float64)
    sigmas = np.asarray(sigmas, dtype=np.float64)
    for name, a in (("means", means), ("sigmas", sigmas)):
        if a.ndim != 1:
            raise ValueError(f"{name} must be 1-D (one code per image), got shape {a.shape}")
    means, sigmas = means.reshape(-1, 1), sigmas.reshape(-1, 1)
    if means.shape != sigmas.shape:
        raise ValueError(
            f"means and sigmas must have the same length, got {means.size} and {sigmas.size}"
        )
    if not (np.isfinite(sigmas).all() and (sigmas > 0).all()):
        raise ValueError("sigmas must be finite and > 0 (a plain AE's code has no noise band)")
    # N(c; m, sigma^2), one row per image
    return normal_pdf(codes, mean=means, std=sigmas)


def image_distances(
    images: np.ndarray | torch.Tensor, references: np.ndarray | torch.Tensor
) -> np.ndarray:
    """Root-mean-square pixel distance of each image to each reference: (n_images, n_refs).

    0 is identical; the full moon is about 0.34 and the half moon about 0.35 from the true
    3/4 moon, and their pixel-wise average about 0.24 (notebook 02 prints them).
    """
    a = check_images("images", images, n_pixels=MOON_PIXELS).double().numpy()
    b = check_images("references", references, n_pixels=MOON_PIXELS).double().numpy()
    # d(a, b) = sqrt( mean_pixels (a - b)^2 )
    return np.sqrt(((a[:, None, :] - b[None, :, :]) ** 2).mean(axis=2))


@dataclass(frozen=True)
class CodeSpace:
    """What a trained 1-D-code model does along its code axis (arrays are numpy).

    ``means``, ``sigmas``: each training image's code and noise width (n_images,).
    ``strip_t``/``strip_codes``/``strip_images``: the decoded strip, (n_strip,) and (n_strip, 784).
    ``curve_t``/``curve_codes``: a fine grid along the axis; ``distances`` (n_curve, 3)
    to the full, 3/4 and half moon; ``lit`` (n_curve,) lit fractions; ``densities``
    (n_images, n_curve) the noise bands, None for the plain AE.
    ``midpoint``: the code halfway between the full and the half moon's;
    ``midpoint_image`` (784,), ``midpoint_distances`` (3,), ``midpoint_lit``.
    """

    kind: str
    noise_scale: float
    beta: float
    means: np.ndarray
    sigmas: np.ndarray
    strip_t: np.ndarray
    strip_codes: np.ndarray
    strip_images: np.ndarray
    curve_t: np.ndarray
    curve_codes: np.ndarray
    distances: np.ndarray
    lit: np.ndarray
    densities: np.ndarray | None
    midpoint: float
    midpoint_image: np.ndarray
    midpoint_distances: np.ndarray
    midpoint_lit: float

    @property
    def separation(self) -> float:
        """|c_half - c_full| / sigma: how many noise widths apart the two end codes are
        (inf for the plain AE). Far apart, the noise no longer reaches the midpoint."""
        gap = abs(self.means[-1] - self.means[0])
        width = 0.5 * (self.sigmas[0] + self.sigmas[-1])
        return math.inf if width == 0 else float(gap / width)

    @property
    def gap(self) -> float:
        """|c_half - c_full|: how far apart the two end codes are, in code units."""
        return float(abs(self.means[-1] - self.means[0]))

    @property
    def spacing_error(self) -> float:
        """How unevenly the training images' codes are spaced along the axis: the largest
        |t_i - i / (n - 1)|, where t_i = (m_i - c_full) / (c_half - c_full) is image i's
        place on the axis and i / (n - 1) its place in lit fraction (the phases are evenly
        spaced in lit fraction). 0 for evenly spaced codes (and for two images)."""
        n = len(self.means)
        if self.gap == 0:
            return math.inf
        # t_i = (m_i - m_0) / (m_{n-1} - m_0)
        t = (self.means - self.means[0]) / (self.means[-1] - self.means[0])
        # max_i |t_i - i / (n - 1)|
        return float(np.abs(t - np.linspace(0.0, 1.0, n)).max())


def measure_code_space(
    model: Autoencoder,
    images: torch.Tensor,
    *,
    reach: float = 1.0,
    n_strip: int = 13,
    n_curve: int = 121,
) -> CodeSpace:
    """Measure ``model`` along its code axis, from t = -reach to t = 1 + reach.

    The strip holds ``n_strip`` evenly spaced decodes (with reach 1 and 13 images, t
    steps by 0.25 and hits the full moon's code, the midpoint and the half moon's code).
    """
    _check_code_model(model)
    images = check_images("images", images, n_pixels=MOON_PIXELS)
    if images.shape[0] < 2:
        raise ValueError(
            f"images must hold at least 2 moons (full first, half last), got {images.shape[0]}"
        )
    reach = check_real("reach", reach, low=0.0, high=10.0)
    n_strip = check_int("n_strip", n_strip, low=2, high=64)
    n_curve = check_int("n_curve", n_curve, low=2, high=2001)
    means, sigmas = encode_codes(model, images)
    code_full, code_half = float(means[0]), float(means[-1])
    strip_t = np.linspace(-reach, 1.0 + reach, n_strip)
    curve_t = np.linspace(-reach, 1.0 + reach, n_curve)
    strip_codes = axis_codes(strip_t, code_full, code_half)
    curve_codes = axis_codes(curve_t, code_full, code_half)
    mid = midpoint_code(code_full, code_half)
    decoded = decode_codes(model, np.concatenate([strip_codes, curve_codes, [mid]]))
    strip_images = decoded[:n_strip]
    curve_images = decoded[n_strip : n_strip + n_curve]
    mid_image = decoded[-1]
    refs = reference_moons()
    distances = image_distances(curve_images, refs)
    lit = lit_fraction(curve_images)
    densities = noise_densities(curve_codes, means, sigmas) if (sigmas > 0).all() else None
    cfg = model.config
    return CodeSpace(
        kind=cfg.kind,
        noise_scale=cfg.noise_scale,
        beta=cfg.beta,
        means=means,
        sigmas=sigmas,
        strip_t=strip_t,
        strip_codes=strip_codes,
        strip_images=strip_images,
        curve_t=curve_t,
        curve_codes=curve_codes,
        distances=distances,
        lit=lit,
        densities=densities,
        midpoint=mid,
        midpoint_image=mid_image,
        midpoint_distances=image_distances(mid_image[None], refs)[0],
        midpoint_lit=float(lit_fraction(mid_image[None])[0]),
    )


def explore_code_space(
    settings: CodeSpaceSettings, *, reach: float = 1.0
) -> tuple[FitResult, CodeSpace]:
    """Train the model ``settings`` define and measure its code axis: (fit result, measurements)."""
    result = train_code_model(settings)
    return result, measure_code_space(result.model, settings.images(), reach=reach)


def training_replay(
    settings: CodeSpaceSettings, *, every: int = 10, reach: float = 1.0,
    on_frame: Callable[[int, CodeSpace], None] | None = None,
) -> list[tuple[int, CodeSpace]]:
    """The code axis measured every ``every`` steps of training: [(step, CodeSpace), ...].

    The same settings give the same training as ``explore_code_space``, so the last frame
    is that model's measurement. ``on_frame(step, space)`` runs as each frame is measured,
    while training goes on (a replay shows its first frame at once).
    """
    _check_settings(settings)
    every = check_int("every", every, low=1)
    if on_frame is not None and not callable(on_frame):
        raise TypeError(f"on_frame must be callable or None, got {type(on_frame).__name__}")
    images = settings.images()
    frames: list[tuple[int, CodeSpace]] = []

    def snapshot(step: int, model: Autoencoder, _history: History) -> None:
        if step == 1 or step % every == 0 or step == settings.n_steps:
            frames.append((step, measure_code_space(model, images, reach=reach)))
            model.train()
            if on_frame is not None:
                on_frame(*frames[-1])

    train_code_model(settings, callback=snapshot)
    return frames


def _check_settings(settings: object) -> None:
    if not isinstance(settings, CodeSpaceSettings):
        raise TypeError("settings must be an explainer.code_space.CodeSpaceSettings, got "
                        f"{type(settings).__name__}")


def _check_code_model(model: object) -> None:
    if not isinstance(model, Autoencoder):
        raise TypeError(
            f"model must be an explainer.models.Autoencoder, got {type(model).__name__}"
        )
    if model.config.latent_dim != 1 or model.config.input_dim != MOON_PIXELS:
        raise ValueError(
            "model must have a 1-D code and 784 inputs (28x28 moons), got latent_dim="
            f"{model.config.latent_dim}, input_dim={model.config.input_dim}"
        )


def sweep(
    setting: str,
    values: Sequence[float],
    *,
    seeds: tuple[int, ...] = (0,),
    **fixed: Any,
) -> list[list[CodeSpace]]:
    """Train one model per value of ``setting`` (``"noise_scale"`` or ``"beta"``) and per
    seed, the other fields of :class:`CodeSpaceSettings` fixed by ``fixed`` (its defaults
    otherwise; kind ``"noisy_ae"`` unless given): a list (per value) of lists (per seed) of
    CodeSpaces."""
    check_choice("setting", setting, ("noise_scale", "beta"))
    if len(values) == 0 or len(seeds) == 0:
        raise ValueError("values and seeds must each hold at least one entry")
    for name in ("seed", setting):
        if name in fixed:
            raise ValueError(f"{name} is swept, so it cannot also be fixed; "
                             f"got {name}={fixed[name]!r}")
    fixed = {"kind": "noisy_ae", **fixed}
    return [[explore_code_space(CodeSpaceSettings(**fixed, **{setting: value}, seed=seed))[1]
             for seed in seeds]
            for value in values]


def rounded_band(value: float, *, width: float = 0.15) -> str:
    """The band of ``width`` holding ``value``, as text: 0.27 -> "0.15-0.30".

    For printing trained-model numbers that vary by a few hundredths from seed to seed and
    machine to machine: a band [k w, (k + 1) w) is stable where a rounded digit is not.
    """
    value = check_real("value", value, low=0.0)
    width = check_real("width", width, low=0.0, high=10.0, low_open=True)
    # k = floor(value / width)
    k = math.floor(value / width)
    return f"{k * width:.2f}-{(k + 1) * width:.2f}"


# the bands in which separations (in noise widths) and learned noise widths are printed:
# they vary over orders of magnitude, and from seed to seed by more than a rounded digit
SEPARATION_EDGES = (3.0, 5.0, 20.0, 50.0, 200.0)
WIDTH_EDGES = (0.003, 0.03, 0.3)


def coarse_band(value: float, *, edges: tuple[float, ...]) -> str:
    """The interval between consecutive ``edges`` that holds ``value``, as text.

    With edges (3, 5, 20): 16 -> "5 to 20", 2 -> "less than 3", 40 -> "more than 20".
    For numbers that vary over orders of magnitude (how many noise widths apart two codes
    are, a learned noise width), where a band of fixed width would say nothing.
    """
    value = check_real("value", value, low=0.0, high=math.inf)
    if len(edges) == 0:
        raise ValueError("edges must hold at least one number")
    edges = tuple(check_real("edges", e, low=0.0, low_open=True) for e in edges)
    if any(b <= a for a, b in zip(edges, edges[1:])):
        raise ValueError(f"edges must increase, got {edges}")
    if value < edges[0]:
        return f"less than {edges[0]:g}"
    for low, high in zip(edges, edges[1:]):
        if value < high:
            return f"{low:g} to {high:g}"
    return f"more than {edges[-1]:g}"
