"""One family of autoencoders in which the tutorial's steps are parameters.

``kind`` picks the step; everything else is shared:

- ``"ae"``: deterministic code c = m (the tutorial's deep AE).
- ``"noisy_ae"``: c = m + noise_scale * e, e ~ N(0, I), a fixed noise scale
  (the tutorial's "add noise to the code", image009). ``beta`` > 0 adds the KL of the
  fixed-width Gaussian N(m, noise_scale^2) to N(0, I), which only pulls the means in.
- ``"vae"``: the encoder also outputs a log-variance s; c = m + exp(s / 2) * e,
  trained with reconstruction + beta * KL (beta = 1 is the VAE).
- ``"linear_ae"``: one linear map each way, squared error: the "naive AE" that PCA
  solves in closed form. Notebook 01 trains it as ``explainer.compression.LinearAE``:
  biases fixed by centring the data, full-batch steps on the closed-form loss (to follow
  it against PCA); ``LinearAE.to_autoencoder`` gives the same map as this kind.

The tutorial's figure (image011) writes c = exp(s) * e + m but its Minimize2 is the KL
only if s is the log-variance; this library uses the consistent reading:
s = log-variance, standard deviation exp(s / 2).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import torch
from torch import nn

from explainer.losses import LIKELIHOODS, ELBOTerms, elbo_terms, reconstruction_nll
from explainer.validation import (
    check_choice,
    check_images,
    check_int,
    check_real,
    check_seed,
    check_unit_interval,
)

KINDS = ("ae", "noisy_ae", "vae", "linear_ae")
# The noisy AE's fixed noise scale: the prior's scale is 1, and beyond 100 the code is
# all noise (at 1e20 its log-variance overflows float32 and training cannot start).
MAX_NOISE_SCALE = 100.0
# The Gaussian decoder's variance: pixels lie in [0, 1], so sigma^2 from 1e-6 to 1e6 covers
# every sensible setting with room to spare (float32 keeps SSE / (2 sigma^2) finite).
MIN_DECODER_VARIANCE = 1e-6
MAX_DECODER_VARIANCE = 1e6
# Weights of one model: 4 bytes each, times 4 in training (weights, gradients, Adam's two
# moments): 2**25 of them is 0.5 GB. MNIST's 784-400-20 VAE has 0.65 million.
MAX_PARAMETERS = 2**25


@dataclass(frozen=True)
class ModelConfig:
    """Everything that defines a model of the family (and, with the data, its cache key).

    ``hidden_dims`` defaults to (400,) and must be empty for ``"linear_ae"``. ``beta``
    defaults to 1 for ``"vae"`` and 0 otherwise; ``likelihood`` to ``"bernoulli"``
    (``"gaussian"`` for ``"linear_ae"``). ``noise_scale`` is in [0, ``MAX_NOISE_SCALE``].
    """

    kind: str = "vae"
    input_dim: int = 784
    latent_dim: int = 20
    hidden_dims: tuple[int, ...] | None = None
    noise_scale: float = 0.0
    beta: float | None = None
    likelihood: str | None = None
    # The Gaussian decoder's variance sigma^2: -log p(x|z) = SSE / (2 sigma^2) + const.
    # Left out of ``to_dict`` (and so of the cache key) at its default, 1.
    decoder_variance: float = 1.0

    def __post_init__(self) -> None:
        check_choice("kind", self.kind, KINDS)
        check_int("input_dim", self.input_dim, low=1)
        check_int("latent_dim", self.latent_dim, low=1, high=self.input_dim)
        linear = self.kind == "linear_ae"
        hidden = self.hidden_dims
        if hidden is None:
            hidden = () if linear else (400,)
        hidden = tuple(hidden)
        for i, width in enumerate(hidden):
            check_int(f"hidden_dims[{i}]", width, low=1)
        if linear and hidden:
            raise ValueError(f"hidden_dims must be () for kind='linear_ae', got {hidden}")
        enc_out = 2 * self.latent_dim if self.kind == "vae" else self.latent_dim
        # a layer of n_in inputs and n_out outputs has (n_in + 1) n_out weights
        sizes = ([self.input_dim, *hidden, enc_out],
                 [self.latent_dim, *reversed(hidden), self.input_dim])
        n_params = sum((a + 1) * b for s in sizes for a, b in zip(s[:-1], s[1:]))
        if n_params > MAX_PARAMETERS:
            raise ValueError(
                f"the model would have {n_params} parameters (input_dim={self.input_dim}, "
                f"hidden_dims={hidden}): input_dim and hidden_dims must keep it at most "
                f"{MAX_PARAMETERS} (0.5 GB to train with Adam)"
            )
        noise_scale = check_real("noise_scale", self.noise_scale, low=0.0, high=MAX_NOISE_SCALE)
        if noise_scale > 0 and self.kind != "noisy_ae":
            raise ValueError(
                f"noise_scale applies to kind='noisy_ae' only (the VAE learns its own), "
                f"got noise_scale={noise_scale} for kind={self.kind!r}"
            )
        beta = self.beta
        if beta is None:
            beta = 1.0 if self.kind == "vae" else 0.0
        beta = check_real("beta", beta, low=0.0)
        if beta > 0 and self.kind in ("ae", "linear_ae"):
            raise ValueError(
                f"beta must be 0 for kind={self.kind!r}: a deterministic code has no KL term; "
                f"got beta={beta}"
            )
        if beta > 0 and self.kind == "noisy_ae" and noise_scale == 0:
            raise ValueError(
                "beta > 0 needs noise_scale > 0 for kind='noisy_ae' (the KL of a zero-width "
                f"Gaussian is infinite); got beta={beta}, noise_scale=0"
            )
        likelihood = self.likelihood or ("gaussian" if linear else "bernoulli")
        check_choice("likelihood", likelihood, LIKELIHOODS)
        decoder_variance = check_real("decoder_variance", self.decoder_variance,
                                      low=MIN_DECODER_VARIANCE, high=MAX_DECODER_VARIANCE)
        if decoder_variance != 1.0 and likelihood != "gaussian":
            raise ValueError(
                "decoder_variance applies to likelihood='gaussian' only (a Bernoulli decoder has "
                f"no variance), got decoder_variance={decoder_variance} "
                f"for likelihood={likelihood!r}"
            )
        object.__setattr__(self, "decoder_variance", decoder_variance)
        object.__setattr__(self, "hidden_dims", hidden)
        object.__setattr__(self, "noise_scale", noise_scale)
        object.__setattr__(self, "beta", beta)
        object.__setattr__(self, "likelihood", likelihood)

    @property
    def stochastic(self) -> bool:
        """True if the code is drawn with noise during training."""
        return self.kind == "vae" or (self.kind == "noisy_ae" and self.noise_scale > 0)

    def to_dict(self) -> dict:
        out = asdict(self)
        out["hidden_dims"] = list(self.hidden_dims)
        if out["decoder_variance"] == 1.0:
            # the default is left out: every model's cache key stays what it was before the field
            del out["decoder_variance"]
        return out

    def replace(self, **changes) -> ModelConfig:
        """A copy with some fields changed (validated again)."""
        fields = {**self.to_dict(), **changes}
        fields["hidden_dims"] = tuple(fields["hidden_dims"])
        return ModelConfig(**fields)


def reparameterize(
    mean: torch.Tensor,
    logvar: torch.Tensor,
    eps: torch.Tensor | None = None,
    *,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """Draw c = m + exp(s / 2) * e, e ~ N(0, I), differentiably in m and s.

    Pass ``eps`` to fix the noise (tests, the "draw your own noise" slider), or a
    ``generator`` to draw it reproducibly.
    """
    if logvar.shape != mean.shape:
        raise ValueError(f"logvar must have the shape of the code means {tuple(mean.shape)}, "
                         f"got {tuple(logvar.shape)}")
    if eps is None:
        eps = torch.randn(mean.shape, generator=generator, dtype=mean.dtype)
    elif not isinstance(eps, torch.Tensor) or eps.shape != mean.shape:
        shape = tuple(eps.shape) if isinstance(eps, torch.Tensor) else type(eps).__name__
        raise ValueError(f"eps must have the shape of the code means {tuple(mean.shape)}, "
                         f"got {shape}")
    # c = m + sigma * e,  sigma = exp(s / 2)
    return mean + torch.exp(0.5 * logvar) * eps


def mlp(sizes: list[int]) -> nn.Sequential:
    """Linear layers of the given sizes with ReLU between them (none after the last)."""
    layers: list[nn.Module] = []
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(nn.Linear(n_in, n_out))
        if i < len(sizes) - 2:
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


class Autoencoder(nn.Module):
    """An encoder and a decoder, MLPs with sizes from ``config``; see the module docstring.

    The decoder outputs logits for a Bernoulli likelihood (``decode`` applies the sigmoid)
    or means for a Gaussian one. Weights are initialised from ``seed``.
    """

    def __init__(self, config: ModelConfig, *, seed: int = 0) -> None:
        super().__init__()
        if not isinstance(config, ModelConfig):
            raise TypeError(f"config must be a ModelConfig, got {type(config).__name__}")
        seed = check_seed(seed)
        self.config = config
        enc_out = 2 * config.latent_dim if config.kind == "vae" else config.latent_dim
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            self.encoder = mlp([config.input_dim, *config.hidden_dims, enc_out])
            self.decoder = mlp([config.latent_dim, *reversed(config.hidden_dims), config.input_dim])
        if config.kind == "noisy_ae" and config.noise_scale > 0:
            # fixed log-variance: s = log(noise_scale^2)
            self.fixed_logvar = 2.0 * math.log(config.noise_scale)
        else:
            self.fixed_logvar = None

    @property
    def latent_dim(self) -> int:
        return self.config.latent_dim

    def check_input(self, x: object, *, name: str = "x") -> torch.Tensor:
        """``x`` as a float32 tensor (n, input_dim) of finite values, in [0, 1] if the
        decoder is Bernoulli (each pixel is read as a probability of ink); else an error
        naming ``name`` and the accepted range. Numpy arrays and (n, side, side) images
        are accepted. Every public method that takes images calls it once."""
        x = check_images(name, x, n_pixels=self.config.input_dim)
        if self.config.likelihood == "bernoulli":
            check_unit_interval(name, x)
        return x

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        """(m, s): the code's mean (n, latent_dim) and log-variance (None for the AE)."""
        return self.encode_checked(self.check_input(x))

    def encode_checked(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        """:meth:`encode` for images already checked by :meth:`check_input` (loops over
        batches check once, before the loop)."""
        return self.split_encoding(self.encoder(x))

    def split_encoding(self, h: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        """(m, s) from the encoder's raw output ``h``: its two halves for the VAE, the
        fixed log-variance for the noisy AE, no log-variance for the AE."""
        if self.config.kind == "vae":
            mean, logvar = h.chunk(2, dim=1)
            return mean, logvar
        if self.fixed_logvar is not None:
            return h, torch.full_like(h, self.fixed_logvar)
        return h, None

    def decode_logits(self, code: torch.Tensor) -> torch.Tensor:
        """The decoder's raw output: logits (Bernoulli) or means (Gaussian), (n, input_dim)."""
        return self.decoder(code)

    def reconstruction_nll(self, decoded: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        """-log p(x|z) per image for this model's decoder (its likelihood and, for a Gaussian
        decoder, its variance), from :meth:`decode_logits`' output: shape (n,)."""
        return reconstruction_nll(self.config.likelihood, decoded, x,
                                  variance=self.config.decoder_variance)

    def decode(self, code: torch.Tensor) -> torch.Tensor:
        """Images decoded from codes: probabilities in [0, 1] (Bernoulli) or means."""
        out = self.decoder(code)
        return torch.sigmoid(out) if self.config.likelihood == "bernoulli" else out

    def sample_code(
        self,
        mean: torch.Tensor,
        logvar: torch.Tensor | None,
        *,
        eps: torch.Tensor | None = None,
        generator: torch.Generator | None = None,
    ) -> torch.Tensor:
        """The code the decoder sees in training: m for the AE, m + sigma * e otherwise."""
        if logvar is None:
            return mean
        return reparameterize(mean, logvar, eps, generator=generator)

    def forward(
        self,
        x: torch.Tensor,
        *,
        eps: torch.Tensor | None = None,
        generator: torch.Generator | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
        """(decoder output, m, s) for a batch, with the code drawn as in training."""
        return self._forward(self.check_input(x), eps=eps, generator=generator)

    def _forward(
        self,
        x: torch.Tensor,
        *,
        eps: torch.Tensor | None = None,
        generator: torch.Generator | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
        mean, logvar = self.encode_checked(x)
        code = self.sample_code(mean, logvar, eps=eps, generator=generator)
        return self.decoder(code), mean, logvar

    def loss_terms(
        self,
        x: torch.Tensor,
        *,
        eps: torch.Tensor | None = None,
        generator: torch.Generator | None = None,
    ) -> ELBOTerms:
        """Per-image reconstruction, KL, -ELBO and training objective for a batch."""
        return self.loss_terms_checked(self.check_input(x), eps=eps, generator=generator)

    def loss_terms_checked(
        self,
        x: torch.Tensor,
        *,
        eps: torch.Tensor | None = None,
        generator: torch.Generator | None = None,
    ) -> ELBOTerms:
        """:meth:`loss_terms` for images already checked by :meth:`check_input`."""
        decoded, mean, logvar = self._forward(x, eps=eps, generator=generator)
        return elbo_terms(
            x, decoded, mean, logvar, likelihood=self.config.likelihood, beta=self.config.beta,
            decoder_variance=self.config.decoder_variance,
        )
