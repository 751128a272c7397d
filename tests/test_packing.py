"""explainer.packing: a model packed for a page (no browser; forward.js itself is
tested in tests/browser/test_forward_js.py)."""

from __future__ import annotations

import base64
import json

import numpy as np
import pytest
import torch
from torch import nn

from explainer.models import Autoencoder, ModelConfig
from explainer.packing import (
    decode_array,
    encode_array,
    pack_model,
    packed_bytes,
    page_bytes,
    page_text,
    row_int16,
    unpack_layer,
)


def small_vae() -> Autoencoder:
    return Autoencoder(ModelConfig(kind="vae", latent_dim=2, hidden_dims=(16,)), seed=0)


def test_packing_round_trips_within_float16_rounding():
    model = small_vae()
    packed = json.loads(json.dumps(pack_model(model, dtype="float16")))  # JSON-able as it is
    for part, stack in (("decoder", model.decoder), ("encoder", model.encoder)):
        linears = [m for m in stack if isinstance(m, nn.Linear)]
        assert len(packed[part]["layers"]) == len(linears)
        for layer, linear in zip(packed[part]["layers"], linears):
            assert (layer["n_in"], layer["n_out"]) == (linear.in_features, linear.out_features)
            for key in ("weight", "bias"):
                exact = getattr(linear, key).detach().numpy().ravel()
                got = decode_array(layer[key])
                # round to nearest: within half an ulp, 2^-11 of the value (normal range)
                assert np.all(np.abs(got - exact) <= 2.0 ** -11 * np.abs(exact) + 2.0 ** -25)
                assert np.array_equal(got, exact.astype(np.float16).astype(np.float32))


def test_int16_rows_are_within_half_a_step_of_each_rows_largest_weight():
    model = small_vae()
    packed = json.loads(json.dumps(pack_model(model)))
    assert packed["dtype"] == "int16"
    for part, stack in (("decoder", model.decoder), ("encoder", model.encoder)):
        linears = [m for m in stack if isinstance(m, nn.Linear)]
        for layer, linear in zip(packed[part]["layers"], linears):
            w, b = unpack_layer(layer, dtype="int16")
            exact = linear.weight.detach().numpy()
            step = np.abs(exact).max(axis=1, keepdims=True) / 32767
            # half a step, plus float32 rounding of the scale and of the product
            assert np.all(np.abs(w - exact) <= 0.5 * step + 2.0 ** -22 * np.abs(exact))
            assert np.array_equal(b, linear.bias.detach().numpy())  # biases in float32
    zero = row_int16(np.zeros((2, 3)), name="w")
    assert np.array_equal(zero[0], np.zeros((2, 3))) and np.all(zero[1] == 1.0)
    with pytest.raises(ValueError, match="w holds a non-finite value"):
        row_int16(np.array([[np.inf]]), name="w")


def test_float32_packing_is_exact():
    model = small_vae()
    layer = pack_model(model, dtype="float32")["decoder"]["layers"][0]
    exact = model.decoder[0].weight.detach().numpy().ravel()
    assert np.array_equal(decode_array(layer["weight"], dtype="float32"), exact)


def test_what_the_page_is_told():
    vae = pack_model(small_vae())
    assert (vae["kind"], vae["likelihood"], vae["latent_dim"], vae["input_dim"]) == (
        "vae", "bernoulli", 2, 784)
    assert [layer["activation"] for layer in vae["decoder"]["layers"]] == ["relu", "sigmoid"]
    assert [layer["activation"] for layer in vae["encoder"]["layers"]] == ["relu", "identity"]
    assert vae["encoder"]["output"] == "mean_logvar"
    assert vae["encoder"]["layers"][-1]["n_out"] == 4  # m and s
    linear = pack_model(Autoencoder(ModelConfig(kind="linear_ae", latent_dim=3)))
    assert [layer["activation"] for layer in linear["decoder"]["layers"]] == ["identity"]
    assert linear["encoder"]["output"] == "mean"
    noisy = pack_model(Autoencoder(ModelConfig(kind="noisy_ae", latent_dim=2, noise_scale=0.5,
                                               hidden_dims=(8,))))
    assert noisy["encoder"]["output"] == "mean_fixed_logvar"
    assert noisy["fixed_logvar"] == pytest.approx(2 * np.log(0.5))
    decoder_only = pack_model(small_vae(), parts=("decoder",))
    assert "encoder" not in decoder_only


def test_the_map_decoder_packs_into_about_half_a_megabyte():
    model = Autoencoder(ModelConfig(kind="vae", latent_dim=2, hidden_dims=(256,)))
    # 2 bytes per weight (4 per bias and row scale), 5 characters per 4 bytes
    n_params = sum(p.numel() for p in model.decoder.parameters())
    assert n_params == 202_256
    size = packed_bytes(pack_model(model, parts=("decoder",)))
    n_weights = 2 * 256 + 256 * 784
    assert size == pytest.approx((2 * n_weights + 4 * 2 * (n_params - n_weights)) * 5 / 4,
                                 rel=1e-3)


def test_refuses_what_it_cannot_pack():
    with pytest.raises(TypeError, match="model must be an explainer.models.Autoencoder"):
        pack_model(nn.Linear(2, 3))
    with pytest.raises(ValueError, match="dtype must be one of"):
        pack_model(small_vae(), dtype="int8")
    with pytest.raises(ValueError, match="parts must"):
        pack_model(small_vae(), parts=("decoder", "classifier"))
    with pytest.raises(ValueError, match="parts must"):
        pack_model(small_vae(), parts="decoder")
    model = small_vae()
    model.decoder[1] = nn.Tanh()
    with pytest.raises(ValueError, match=r"model.decoder\[1\] must be a ReLU"):
        pack_model(model)
    model = small_vae()
    with torch.no_grad():
        model.encoder[0].weight[0, 0] = float("nan")
    with pytest.raises(ValueError, match=r"model.encoder\[0\].weight holds a non-finite"):
        pack_model(model)
    model = small_vae()
    with torch.no_grad():
        model.decoder[2].bias[3] = 1e5
    with pytest.raises(ValueError, match=r"model.decoder\[2\].bias holds 100000, beyond float16"):
        pack_model(model, dtype="float16")
    assert "decoder" in pack_model(model, dtype="float32")  # float32 holds it
    assert "decoder" in pack_model(model)  # int16 rows keep biases in float32
    model = small_vae()
    model.decoder[0] = nn.Linear(2, 16, bias=False)
    with pytest.raises(ValueError, match=r"model.decoder\[0\] must be a Linear layer with a bias"):
        pack_model(model)
    model = small_vae()
    model.decoder = nn.Sequential(nn.Linear(2, 784), nn.ReLU())
    with pytest.raises(ValueError, match="model.decoder must end with a Linear layer"):
        pack_model(model)


def test_encode_array_names_the_array():
    with pytest.raises(ValueError, match="my.values holds a non-finite"):
        encode_array(np.array([1.0, np.inf]), name="my.values")


def test_page_text_round_trips_and_cannot_close_or_comment_out_a_script():
    rng = np.random.default_rng(0)
    for n in range(0, 13):
        data = rng.integers(0, 256, n, dtype=np.uint8).tobytes()
        text = page_text(data)
        assert page_bytes(text) == data
        assert text == base64.b85encode(data).decode().replace("<", ".")
        assert len(text) == 5 * (n // 4) + (n % 4 + 1 if n % 4 else 0)
    text = page_text(bytes(range(256)) * 50)
    assert not set(text) & set('<"\\/ ')
