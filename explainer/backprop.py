"""Backpropagation by hand for the model family: the gradient of a batch's training
objective, derived layer by layer, written into each parameter's ``.grad``.

``fit`` uses this instead of autograd. The model is small (an MLP each way), so at a
batch of 128 autograd's bookkeeping (a graph node per operation, a fresh gradient
tensor per parameter per step) costs about a tenth of each step; here every gradient
is one matrix product written in place. The forward values come from the same
functions as :meth:`Autoencoder.loss_terms`, and ``tests/test_backprop.py`` checks every
gradient against autograd for every kind and likelihood, number for number.

For a batch of n images the objective is the mean over the batch of
``reconstruction + beta * KL``; with h = W a + b for each linear layer (a its input):

    dL/dW = g^T a,   dL/db = sum_i g_i,   dL/da = g W,   g = dL/dh
    through a ReLU:  dL/d(pre-activation) = dL/d(output) * [output > 0]
"""

from __future__ import annotations

import torch
from torch import nn

from explainer.gaussians import kl_standard_normal_grad
from explainer.losses import ELBOTerms, elbo_terms, reconstruction_nll_grad
from explainer.models import Autoencoder, reparameterize


@torch.no_grad()
def objective_gradients(model: Autoencoder, x: torch.Tensor, *,
                        eps: torch.Tensor | None = None) -> ELBOTerms:
    """The batch's per-image terms (as ``model.loss_terms(x, eps=eps)``), and the gradient
    of their mean training objective in every parameter's ``.grad`` (overwritten).

    ``eps`` (n, latent_dim) is the code noise; it is required when the model's code is
    stochastic (``model.config.stochastic``) and ignored otherwise.
    """
    cfg = model.config
    if cfg.stochastic and eps is None:
        raise ValueError(f"eps must be given (shape ({x.shape[0]}, {cfg.latent_dim})) "
                         f"for kind={cfg.kind!r} with a noisy code")
    encoder, decoder = _linear_layers(model.encoder), _linear_layers(model.decoder)
    n = x.shape[0]

    # h: (n, 2 latent_dim) for the VAE, (n, latent_dim) otherwise
    encoder_inputs, h = _forward(encoder, x)
    mean, logvar = model.split_encoding(h)
    code = mean if logvar is None else reparameterize(mean, logvar, eps)
    decoder_inputs, decoded = _forward(decoder, code)
    terms = elbo_terms(x, decoded, mean, logvar, likelihood=cfg.likelihood, beta=cfg.beta,
                       decoder_variance=cfg.decoder_variance)

    # dL/d(decoded) = (1/n) d(reconstruction)/d(decoded)
    g_decoded = reconstruction_nll_grad(cfg.likelihood, decoded, x,
                                        variance=cfg.decoder_variance).div_(n)
    g_code = _backward(decoder, decoder_inputs, g_decoded, input_grad=True)
    if logvar is None:
        g_h = g_code
    else:
        dkl_dm, dkl_ds = kl_standard_normal_grad(mean, logvar)
        # dL/dm = dL/dc + (beta / n) dKL/dm      (c = m + sigma e, dc/dm = 1)
        g_mean = g_code + (cfg.beta / n) * dkl_dm
        if cfg.kind == "vae":
            # dL/ds = dL/dc * e exp(s/2) / 2 + (beta / n) dKL/ds, and e exp(s/2) = c - m
            g_logvar = g_code * (code - mean) * 0.5 + (cfg.beta / n) * dkl_ds
            g_h = torch.cat((g_mean, g_logvar), dim=1)
        else:  # the noisy AE's log-variance is fixed: no gradient flows to it
            g_h = g_mean
    _backward(encoder, encoder_inputs, g_h, input_grad=False)
    return terms


def _linear_layers(mlp: nn.Sequential) -> list[nn.Linear]:
    """The Linear layers of an MLP built by :func:`explainer.models.mlp`: Linear layers
    with a ReLU between each pair and none after the last."""
    modules = list(mlp)
    layers = modules[0::2]
    if (not all(isinstance(m, nn.Linear) for m in layers)
            or not all(isinstance(m, nn.ReLU) for m in modules[1::2]) or len(modules) % 2 == 0):
        raise TypeError("backprop handles MLPs of Linear layers with a ReLU between each "
                        f"pair (explainer.models.mlp); got {mlp}")
    return layers


def _forward(layers: list[nn.Linear], x: torch.Tensor) -> tuple[list[torch.Tensor], torch.Tensor]:
    """Run the MLP on ``x``; return each layer's input (kept for the backward pass) and
    the output."""
    inputs, h = [], x
    for i, layer in enumerate(layers):
        inputs.append(h)
        # h = a W^T + b
        h = torch.addmm(layer.bias, h, layer.weight.t())
        if i < len(layers) - 1:
            h.relu_()
    return inputs, h


def _backward(layers: list[nn.Linear], inputs: list[torch.Tensor], g: torch.Tensor, *,
              input_grad: bool) -> torch.Tensor | None:
    """Write dL/dW and dL/db of every layer, given g = dL/d(output); return dL/d(input)
    if ``input_grad`` (the data need none)."""
    for i in reversed(range(len(layers))):
        layer, a = layers[i], inputs[i]
        # dL/dW = g^T a,  dL/db = sum over the batch of g
        torch.mm(g.t(), a, out=_grad(layer.weight))
        torch.sum(g, dim=0, out=_grad(layer.bias))
        if i == 0 and not input_grad:
            return None
        # dL/da = g W
        g = g @ layer.weight
        if i > 0:
            # a = relu(previous h): the gradient passes only where a > 0, and for a >= 0
            # the indicator [a > 0] is sign(a) (one vectorised pass; masked_fill_ is slower)
            g.mul_(torch.sign(a))
    return g


def _grad(p: nn.Parameter) -> torch.Tensor:
    """``p.grad``, allocated once and then overwritten step after step."""
    if p.grad is None or p.grad.shape != p.shape:
        p.grad = torch.empty_like(p)
    return p.grad
