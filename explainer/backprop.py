"""The gradients of the training objective, written out layer by layer.

``fit`` trains with these hand-derived gradients instead of autograd: the same five large
matrix products per step, but no graph to record and fewer passes over the activations,
which makes a training step about a seventh faster on a laptop CPU. ``tests/test_backprop.py``
checks every gradient against autograd, number for number, for every kind of model.

Notation for a batch of n images x (n, D) and code size k:
encoder layers a_0 = x, z_i = a_{i-1} W_i^T + b_i, a_i = relu(z_i) (the last layer
linear) give h; the code is c = m + sigma * e with (m, s) = h split in two for the VAE
(sigma = exp(s / 2)), sigma = noise_scale for the noisy AE, and c = m = h for the AE;
the decoder maps c to o (logits or means). The objective is

    J = (1/n) sum_images [ reconstruction + beta * KL ].
"""

from __future__ import annotations

import math

import torch
from torch import nn

from explainer.models import Autoencoder


def _linear_layers(seq: nn.Sequential) -> list[nn.Linear]:
    layers = [m for m in seq if isinstance(m, nn.Linear)]
    for m in seq:
        if not isinstance(m, (nn.Linear, nn.ReLU)):
            raise TypeError(f"hand-written gradients cover Linear and ReLU layers, got {m}")
    return layers


def _forward(layers: list[nn.Linear], a: torch.Tensor) -> list[torch.Tensor]:
    """Activations [a_0, a_1, ..., z_L]: ReLU after every layer but the last."""
    acts = [a]
    for i, layer in enumerate(layers):
        # z = a W^T + b
        z = torch.addmm(layer.bias, acts[-1], layer.weight.t())
        acts.append(z.relu_() if i < len(layers) - 1 else z)
    return acts


def _backward(layers: list[nn.Linear], acts: list[torch.Tensor], dz: torch.Tensor,
              *, need_input_grad: bool) -> torch.Tensor | None:
    """Write dJ/dW and dJ/db into each layer's ``.grad``; return dJ/d(input) if asked."""
    for i in range(len(layers) - 1, -1, -1):
        layer, a_prev = layers[i], acts[i]
        # dJ/dW = dz^T a_prev ;  dJ/db = sum over the batch of dz
        torch.mm(dz.t(), a_prev, out=layer.weight.grad)
        torch.sum(dz, dim=0, out=layer.bias.grad)
        if i == 0 and not need_input_grad:
            return None
        # dJ/da_prev = dz W ; through the ReLU: times 1[a_prev > 0]
        da = torch.mm(dz, layer.weight)
        dz = da.mul_(a_prev > 0) if i > 0 else da
    return dz


@torch.no_grad()
def objective_and_gradients(
    model: Autoencoder, x: torch.Tensor, eps: torch.Tensor | None
) -> torch.Tensor:
    """Fill every parameter's ``.grad`` with dJ/dparameter for the batch ``x``.

    ``eps`` (n, k) is the noise of the code (None for a deterministic AE). Returns the
    batch sums of (reconstruction, KL, reconstruction + KL), shape (3,).
    """
    cfg = model.config
    n, k = x.shape[0], cfg.latent_dim
    enc, dec = _linear_layers(model.encoder), _linear_layers(model.decoder)
    for layer in enc + dec:
        if layer.weight.grad is None:
            layer.weight.grad = torch.empty_like(layer.weight)
            layer.bias.grad = torch.empty_like(layer.bias)

    enc_acts = _forward(enc, x)
    h = enc_acts[-1]
    if cfg.kind == "vae":
        mean, logvar = h[:, :k], h[:, k:]
        # sigma = exp(s / 2)
        sigma = torch.exp(0.5 * logvar)
        # c = m + sigma * e
        code = torch.addcmul(mean, sigma, eps)
    elif eps is not None:
        mean, logvar = h, None
        sigma = cfg.noise_scale
        # c = m + noise_scale * e
        code = torch.add(mean, eps, alpha=sigma)
    else:
        mean, logvar, code = h, None, h
    dec_acts = _forward(dec, code)
    out = dec_acts[-1]

    if cfg.likelihood == "bernoulli":
        # -log p(x|c) = sum_d softplus(o_d) - x_d o_d
        reconstruction = (torch.nn.functional.softplus(out) - x * out).sum(dim=1)
        # dJ/do = (sigmoid(o) - x) / n
        d_out = torch.sigmoid(out).sub_(x).div_(n)
    else:
        residual = out - x
        # -log N(x; o, I) = |x - o|^2 / 2 + (D / 2) log(2 pi)
        reconstruction = 0.5 * residual.pow(2).sum(dim=1) + 0.5 * x.shape[1] * math.log(2 * math.pi)
        # dJ/do = (o - x) / n
        d_out = residual.div_(n)

    d_code = _backward(dec, dec_acts, d_out, need_input_grad=True)
    beta = cfg.beta
    if cfg.kind == "vae":
        # KL = 1/2 sum_j (exp(s_j) - 1 - s_j + m_j^2)
        var = sigma * sigma
        kl = 0.5 * (var - 1.0 - logvar + mean * mean).sum(dim=1)
        d_h = torch.empty_like(h)
        # dJ/dm = dJ/dc + beta m / n
        torch.add(d_code, mean, alpha=beta / n, out=d_h[:, :k])
        # dJ/ds = dJ/dc * e * sigma / 2 + beta (exp(s) - 1) / (2 n)
        d_h[:, k:] = d_code * eps * sigma * 0.5 + (var - 1.0) * (0.5 * beta / n)
    elif eps is not None:
        # KL with the fixed variance v = noise_scale^2: 1/2 sum_j (v - 1 - log v + m_j^2)
        v = sigma * sigma
        kl = 0.5 * (mean * mean).sum(dim=1) + 0.5 * k * (v - 1.0 - math.log(v))
        # dJ/dm = dJ/dc + beta m / n
        d_h = torch.add(d_code, mean, alpha=beta / n)
    else:
        kl = torch.zeros(n)
        d_h = d_code
    _backward(enc, enc_acts, d_h, need_input_grad=False)
    return torch.stack((reconstruction.sum(), kl.sum(), (reconstruction + kl).sum()))
