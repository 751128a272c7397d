"""A trained :class:`~explainer.models.Autoencoder` packed for a page: its layers' weights
as little-endian 16-bit integers with row scales (or float16, float32) in base85 text, in
a JSON-able dict that ``explainer/widgets/forward.js`` unpacks and runs with no kernel.

The packed forward pass is the one of ``explainer.models``: every Linear layer computes

    y = W x + b          (W: n_out x n_in, stored row by row as torch keeps it)

followed by ReLU, y = max(y, 0), between layers; the decoder's last layer is followed by
the sigmoid p = 1 / (1 + exp(-y)) for a Bernoulli decoder (``Autoencoder.decode``) and by
nothing for a Gaussian one (its output is the mean). The encoder's output h is split as in
``Autoencoder.split_encoding``: (m, s) = (h[:d], h[d:]) for the VAE, (h, log(sigma^2)) for
the noisy AE with its fixed scale sigma, and m = h with no log-variance otherwise.

16-bit weights halve the size of float32 (see :func:`pack_model` for their errors); the
2-D map VAE's decoder (2 -> 256 -> 784) packs into about 0.5 MB of text.
"""

from __future__ import annotations

import base64

import numpy as np
import torch
from torch import nn

from explainer.models import Autoencoder

FORMAT = "vae-explainer.mlp/2"
# bytes as text: base85 (Python's alphabet, RFC 1924) with "<" written as ".", so that no
# "<!--" or "</" can appear inside a page's <script>: 5 characters per 4 bytes (base64: 5.33)
_PAGE_ALPHABET = np.frombuffer(b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                               b"!#$%&()*+-;.=>?@^_`{|}~", dtype=np.uint8)
_FROM_PAGE = bytes.maketrans(b".", b"<")
PARTS = ("decoder", "encoder")
DTYPES = {"float16": np.dtype("<f2"), "float32": np.dtype("<f4")}
# weights as 16-bit integers with one float32 scale per row (biases in float32)
ROW_INT16 = "int16"
PACK_DTYPES = (ROW_INT16, *DTYPES)
INT16_MAX = 32767
FLOAT16_MAX = float(np.finfo(np.float16).max)


def pack_model(model: Autoencoder, *, parts: tuple[str, ...] = PARTS,
               dtype: str = ROW_INT16) -> dict:
    """``model``'s ``parts`` ("decoder", "encoder") as a JSON-able dict for a page.

    Keys: ``format``, ``kind``, ``likelihood``, ``input_dim``, ``latent_dim``, ``dtype``,
    ``fixed_logvar`` (the noisy AE's log(sigma^2), else None) and one entry per part:
    ``{"layers": [{"n_in", "n_out", "weight", "bias", "activation"}, ...]}``, with
    ``weight`` the (n_out, n_in) matrix row by row and ``bias`` its n_out values, both
    :func:`page_text` of little-endian ``dtype``; ``activation`` is what follows the layer ("relu",
    "sigmoid" or "identity"). With ``dtype="int16"`` (the default) each row i of W is
    stored as 16-bit integers q_ij with one float32 scale s_i, w_ij = s_i q_ij, where
    s_i = max_j |w_ij| / 32767: the same two bytes a weight as float16, but an error of at
    most half a step of the row's largest weight (float16's is 2^-12 of each weight, which
    over the 2-D maps' squares moved decoded pixels by up to 2.7e-3; int16 rows, 1.2e-3);
    ``"scale"`` holds the n_out scales and ``bias`` is float32. The encoder also says how
    its output splits: ``"output"`` is "mean_logvar" (VAE: first half m, second half s),
    "mean_fixed_logvar" or "mean".

    Raises TypeError if ``model`` is not an Autoencoder, ValueError naming the parameter
    for a part that is not a stack of Linear and ReLU layers, a weight that is not finite
    or too large for float16 (``dtype="float32"`` packs it), or an unknown part or dtype.
    """
    if not isinstance(model, Autoencoder):
        raise TypeError(f"model must be an explainer.models.Autoencoder, "
                        f"got {type(model).__name__}")
    if dtype not in PACK_DTYPES:
        raise ValueError(f"dtype must be one of {', '.join(map(repr, PACK_DTYPES))}; "
                         f"got {dtype!r}")
    if isinstance(parts, str) or not parts:
        raise ValueError(f"parts must be a non-empty tuple of {PARTS}; got {parts!r}")
    unknown = [p for p in parts if p not in PARTS]
    if unknown or len(set(parts)) != len(parts):
        raise ValueError(f"parts must name each of {PARTS} at most once; got {tuple(parts)!r}")
    config = model.config
    out: dict = {
        "format": FORMAT,
        "kind": config.kind,
        "likelihood": config.likelihood,
        "input_dim": config.input_dim,
        "latent_dim": config.latent_dim,
        "dtype": dtype,
        "fixed_logvar": model.fixed_logvar,
    }
    if "decoder" in parts:
        last = "sigmoid" if config.likelihood == "bernoulli" else "identity"
        out["decoder"] = {"layers": _pack_layers(model.decoder, name="model.decoder",
                                                 last=last, dtype=dtype)}
    if "encoder" in parts:
        if config.kind == "vae":
            split = "mean_logvar"
        elif model.fixed_logvar is not None:
            split = "mean_fixed_logvar"
        else:
            split = "mean"
        out["encoder"] = {"layers": _pack_layers(model.encoder, name="model.encoder",
                                                 last="identity", dtype=dtype),
                          "output": split}
    return out


def _pack_layers(stack: nn.Module, *, name: str, last: str, dtype: str) -> list[dict]:
    """The Linear layers of ``stack`` (Linear, ReLU, ..., Linear, as ``models.mlp`` builds
    it), each with the activation that follows it, else ValueError naming ``name[i]``."""
    modules = list(stack.children()) if isinstance(stack, nn.Sequential) else [stack]
    layers: list[dict] = []
    for i, module in enumerate(modules):
        where = f"{name}[{i}]"
        if i % 2 == 1:
            if not isinstance(module, nn.ReLU):
                raise ValueError(f"{where} must be a ReLU between Linear layers, "
                                 f"got {type(module).__name__}: forward.js runs only "
                                 "Linear layers with ReLU between them")
            continue
        if not isinstance(module, nn.Linear) or module.bias is None:
            raise ValueError(f"{where} must be a Linear layer with a bias, got {module!r}: "
                             "forward.js runs only Linear layers with ReLU between them")
        is_last = i == len(modules) - 1
        layer = {"n_in": module.in_features, "n_out": module.out_features}
        if dtype == ROW_INT16:
            q, scale = row_int16(module.weight, name=f"{where}.weight")
            layer.update(weight=page_text(q.tobytes()),
                         scale=encode_array(scale, name=f"{where}.weight", dtype="float32"),
                         bias=encode_array(module.bias, name=f"{where}.bias", dtype="float32"))
        else:
            layer.update(weight=encode_array(module.weight, name=f"{where}.weight", dtype=dtype),
                         bias=encode_array(module.bias, name=f"{where}.bias", dtype=dtype))
        layer["activation"] = last if is_last else "relu"
        layers.append(layer)
    if not modules or len(modules) % 2 == 0:
        raise ValueError(f"{name} must end with a Linear layer (Linear, ReLU, ..., Linear), "
                         f"got {len(modules)} modules")
    return layers


def encode_array(values: torch.Tensor | np.ndarray, *, name: str,
                 dtype: str = "float16") -> str:
    """``values``, flattened row by row, as :func:`page_text` of little-endian ``dtype``; ValueError
    naming ``name`` if a value is not finite or beyond float16's range (65504)."""
    if isinstance(values, torch.Tensor):
        values = values.detach().cpu().numpy()
    a = np.ascontiguousarray(values, dtype=np.float64).ravel()
    if not np.isfinite(a).all():
        raise ValueError(f"{name} holds a non-finite value; only finite weights can be packed")
    if dtype == "float16" and a.size and float(np.abs(a).max()) > FLOAT16_MAX:
        raise ValueError(f"{name} holds {float(np.abs(a).max()):g}, beyond float16's range "
                         f"({FLOAT16_MAX:g}); pack it with dtype='float32'")
    return page_text(a.astype(DTYPES[dtype]).tobytes())


def row_int16(weight: torch.Tensor | np.ndarray, *, name: str) -> tuple[np.ndarray, np.ndarray]:
    """A matrix as little-endian int16 rows q and float32 row scales s, w_ij ~ s_i q_ij;
    ValueError naming ``name`` for a value that is not finite."""
    if isinstance(weight, torch.Tensor):
        weight = weight.detach().cpu().numpy()
    w = np.asarray(weight, dtype=np.float64)
    if not np.isfinite(w).all():
        raise ValueError(f"{name} holds a non-finite value; only finite weights can be packed")
    # s_i = max_j |w_ij| / 32767 (1 for a row of zeros)
    scale = np.abs(w).max(axis=1) / INT16_MAX
    scale = np.where(scale > 0, scale, 1.0).astype(np.float32)
    # q_ij = round(w_ij / s_i), within [-32767, 32767]
    q = np.clip(np.rint(w / scale.astype(np.float64)[:, None]), -INT16_MAX, INT16_MAX)
    return q.astype("<i2"), scale


def unpack_layer(layer: dict, *, dtype: str) -> tuple[np.ndarray, np.ndarray]:
    """A packed layer's (weight (n_out, n_in), bias) as float32, as forward.js reads them."""
    shape = (layer["n_out"], layer["n_in"])
    if dtype == ROW_INT16:
        q = np.frombuffer(page_bytes(layer["weight"]), dtype="<i2").reshape(shape)
        scale = decode_array(layer["scale"], dtype="float32")
        # w_ij = s_i q_ij
        return ((q * scale[:, None]).astype(np.float32),
                decode_array(layer["bias"], dtype="float32"))
    return (decode_array(layer["weight"], dtype=dtype).reshape(shape),
            decode_array(layer["bias"], dtype=dtype))


def decode_array(text: str, *, dtype: str = "float16") -> np.ndarray:
    """The inverse of :func:`encode_array`: a flat float32 array."""
    return np.frombuffer(page_bytes(text), dtype=DTYPES[dtype]).astype(np.float32)


def page_text(data: bytes) -> str:
    """``data`` as base85 text safe inside a page's ``<script>`` (Python's alphabet with "."
    for "<"); a last group of n < 4 bytes takes n + 1 characters, as
    ``base64.b85encode(data)`` writes it (this is the same, vectorised: 400 KB in ms)."""
    pad = -len(data) % 4
    # each 4 bytes, big-endian, as 5 base-85 digits, most significant first
    words = np.frombuffer(bytes(data) + b"\0" * pad, dtype=">u4").astype(np.int64)
    digits = np.empty((len(words), 5), dtype=np.int64)
    for k in range(4, -1, -1):
        words, digits[:, k] = np.divmod(words, 85)
    text = _PAGE_ALPHABET[digits].tobytes()
    return text[:len(text) - pad].decode("ascii")


def page_bytes(text: str) -> bytes:
    """The inverse of :func:`page_text`."""
    return base64.b85decode(text.encode("ascii").translate(_FROM_PAGE))


def packed_bytes(packed: dict) -> int:
    """The characters of the weights' text in ``packed`` (what a page inlines)."""
    return sum(len(layer[key]) for part in PARTS if part in packed
               for layer in packed[part]["layers"] for key in ("weight", "scale", "bias")
               if key in layer)
