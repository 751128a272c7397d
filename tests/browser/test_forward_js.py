"""forward.js (explainer/publish) in headless Chromium, from file:// with the network
blocked: the page's decode and encode against torch's, and its drawing pad's 28 x 28 image
against explainer.strokes.strokes_to_image.

Tolerances. Decode: 2e-3 per pixel, the issue's bound with float16 weights. Encode (and,
more tightly, decode): a first-order bound of the float16 rounding computed here from the
weights and the inputs themselves (:func:`rounding_bound`): every weight and bias is off by
at most u = 2^-11 of itself, so a layer y = W x + b whose input is off by e is off by at most
|W| e (1 + u) + u (|W| |x| + |b|), plus float32 accumulation (n_in + 2) 2^-24 (|W| |x| + |b|);
ReLU passes the bound on, the sigmoid divides it by at least 4. Each value must be within its
own bound (plus 1e-6 for the second-order terms).
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from explainer.data import load_mnist
from explainer.models import Autoencoder, ModelConfig
from explainer.packing import pack_model, page_text, unpack_layer
from explainer.strokes import strokes_to_image
from explainer.train import TrainingConfig, fit
from tests.browser.conftest import require_browser
from tests.browser.forward_page import open_offline, write_page

require_browser()

U16 = 2.0 ** -11
U32 = 2.0 ** -24
N_CODES = 100
DECODE_TOLERANCE = 2e-3
STROKE_TOLERANCE = 1e-2


def trained_vae() -> Autoencoder:
    """A small 2-D VAE trained for two epochs on 1,000 digits (a few seconds)."""
    model = Autoencoder(ModelConfig(kind="vae", latent_dim=2, hidden_dims=(64,)), seed=1)
    fit(model, load_mnist().x_train[:1000], training=TrainingConfig(epochs=2, batch_size=64),
        seed=1, num_threads=1)
    return model


@pytest.fixture(scope="module")
def models() -> dict[str, Autoencoder]:
    return {
        "vae_map": Autoencoder(ModelConfig(kind="vae", latent_dim=2, hidden_dims=(256,)), seed=0),
        "vae_trained": trained_vae(),
        "ae_deep": Autoencoder(ModelConfig(kind="ae", latent_dim=3, hidden_dims=(64, 32)), seed=2),
        "noisy_ae": Autoencoder(ModelConfig(kind="noisy_ae", latent_dim=2, hidden_dims=(32,),
                                            noise_scale=0.5), seed=3),
        "linear_gaussian": Autoencoder(ModelConfig(kind="linear_ae", latent_dim=5), seed=4),
    }


@pytest.fixture(scope="module")
def forward_page(browser, models, tmp_path_factory):
    packed = {name: pack_model(m, dtype="float16") for name, m in models.items()}
    packed["vae_trained_float32"] = pack_model(models["vae_trained"], dtype="float32")
    packed["vae_trained_int16"] = pack_model(models["vae_trained"])
    path = write_page(tmp_path_factory.mktemp("forward"), packed)
    context = browser.new_context()
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    page.on("console", lambda m: page.errors.append(m.text) if m.type == "error" else None)
    page.attempted = open_offline(page, path)
    yield page
    assert page.errors == []
    assert page.attempted == [], "the page tried the network"
    context.close()


def page_decode(page, name: str, codes: np.ndarray) -> np.ndarray:
    out = page.evaluate("([name, codes]) => Array.from(vaeForward.decode(models[name], "
                        "new Float32Array(codes)))", [name, codes.ravel().tolist()])
    return np.asarray(out, dtype=np.float32).reshape(len(codes), -1)


def page_encode(page, name: str, images: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    out = page.evaluate("""([name, x]) => {
        const r = vaeForward.encode(models[name], new Float32Array(x));
        return [Array.from(r.means), r.logvars && Array.from(r.logvars)];
    }""", [name, images.ravel().tolist()])
    means = np.asarray(out[0], dtype=np.float32).reshape(len(images), -1)
    return means, None if out[1] is None else np.asarray(out[1]).reshape(len(images), -1)


def rounding_bound(stack: torch.nn.Sequential, x: np.ndarray) -> np.ndarray:
    """Per value of ``stack``'s output for inputs ``x``: the first-order bound of the
    difference float16 weights make (see the module docstring)."""
    err = np.zeros_like(x, dtype=np.float64)
    h = x.astype(np.float64)
    for module in stack:
        if isinstance(module, torch.nn.ReLU):
            h = np.maximum(h, 0.0)
            continue
        w = module.weight.detach().double().numpy()
        b = module.bias.detach().double().numpy()
        size = np.abs(h) @ np.abs(w).T + np.abs(b)
        # |W| e (1 + u) + u (|W||x| + |b|) + float32 accumulation
        err = (err @ np.abs(w).T) * (1 + U16) + (U16 + (w.shape[1] + 2) * U32) * size
        h = h @ w.T + b
    return err


def random_codes(d: int, *, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).normal(0.0, 2.0, size=(N_CODES, d)).astype(np.float32)


@pytest.mark.parametrize("name", ["vae_map", "vae_trained", "ae_deep", "noisy_ae",
                                  "linear_gaussian"])
def test_decode_matches_torch(forward_page, models, name):
    model = models[name]
    codes = random_codes(model.latent_dim, seed=7)
    with torch.no_grad():
        expected = model.decode(torch.from_numpy(codes)).numpy()
    got = page_decode(forward_page, name, codes)
    diff = np.abs(got - expected)
    bound = rounding_bound(model.decoder, codes)
    if model.config.likelihood == "bernoulli":
        bound = bound / 4  # the sigmoid's slope is at most 1/4
    print(f"{name}: decode max |page - torch| = {diff.max():.2e} "
          f"(bound {bound.max():.2e}, worst diff / bound {(diff / (bound + 1e-6)).max():.2f})")
    assert diff.max() <= DECODE_TOLERANCE
    assert (diff <= bound + 1e-6).all()


def test_float32_weights_decode_and_encode_as_torch_does(forward_page, models):
    # no rounding of the weights: what is left is float32 arithmetic (torch's sums in
    # float32, the page's in float64, its outputs stored as float32)
    model = models["vae_trained"]
    codes = random_codes(2, seed=9)
    images = load_mnist().x_test[:N_CODES].numpy()
    with torch.no_grad():
        expected = model.decode(torch.from_numpy(codes)).numpy()
        mean, logvar = model.encode(torch.from_numpy(images))
    decoded = page_decode(forward_page, "vae_trained_float32", codes)
    got_mean, got_logvar = page_encode(forward_page, "vae_trained_float32", images)
    diffs = (np.abs(decoded - expected).max(), np.abs(got_mean - mean.numpy()).max(),
             np.abs(got_logvar - logvar.numpy()).max())
    print(f"float32 weights: max diff decode {diffs[0]:.1e}, m {diffs[1]:.1e}, s {diffs[2]:.1e}")
    assert max(diffs) <= 1e-5


def test_int16_rows_decode_and_encode_as_their_unpacked_weights_do(forward_page, models):
    # the page's forward pass with the int16 rows' own weights, w_ij = s_i q_ij, is the
    # float32 arithmetic of those weights; against torch's weights, within 2e-3 per pixel
    model = models["vae_trained"]
    packed = pack_model(model)
    codes = random_codes(2, seed=11)
    images = load_mnist().x_test[:N_CODES].numpy()

    def run(part: str, x: np.ndarray) -> np.ndarray:
        h = x.astype(np.float64)
        for layer in packed[part]["layers"]:
            w, b = unpack_layer(layer, dtype="int16")
            h = h @ w.astype(np.float64).T + b
            h = np.maximum(h, 0.0) if layer["activation"] == "relu" else h
        return 1 / (1 + np.exp(-h)) if part == "decoder" else h

    decoded = page_decode(forward_page, "vae_trained_int16", codes)
    got_mean, got_logvar = page_encode(forward_page, "vae_trained_int16", images)
    h = run("encoder", images)
    assert np.abs(decoded - run("decoder", codes)).max() <= 1e-5
    assert max(np.abs(got_mean - h[:, :2]).max(), np.abs(got_logvar - h[:, 2:]).max()) <= 1e-5
    with torch.no_grad():
        expected = model.decode(torch.from_numpy(codes)).numpy()
    diff = np.abs(decoded - expected).max()
    print(f"int16 rows: decode max |page - torch| = {diff:.1e}")
    assert diff <= DECODE_TOLERANCE


def test_the_packed_text_reads_back_as_python_wrote_it(forward_page):
    rng = np.random.default_rng(3)
    for n in [0, 1, 2, 3, 4, 5, 7, 8, 9, 1000]:
        data = rng.integers(0, 256, n, dtype=np.uint8).tobytes()
        got = forward_page.evaluate("(t) => Array.from(window.vaeForward.textBytes(t))",
                                    page_text(data))
        assert bytes(got) == data, n
    with pytest.raises(Exception, match="cut short"):
        forward_page.evaluate("window.vaeForward.textBytes('000001')")


def test_one_code_and_partial_blocks_decode_as_in_a_batch(forward_page):
    # rows go through the layers four at a time, one alone by its own loop: a row's
    # pixels must not depend on the rows beside it (terms left out are zeros)
    codes = random_codes(2, seed=8)
    batch = page_decode(forward_page, "vae_trained", codes)
    for n in (1, 2, 3, 5):
        assert np.array_equal(page_decode(forward_page, "vae_trained", codes[:n]), batch[:n])
    one_by_one = np.concatenate([page_decode(forward_page, "vae_trained", codes[i:i + 1])
                                 for i in range(10)])
    assert np.array_equal(one_by_one, batch[:10])


@pytest.mark.parametrize("name", ["vae_map", "vae_trained", "ae_deep", "noisy_ae",
                                  "linear_gaussian"])
def test_encode_matches_torch(forward_page, models, name):
    model = models[name]
    images = load_mnist().x_test[:N_CODES].numpy()
    with torch.no_grad():
        mean, logvar = model.encode(torch.from_numpy(images))
    got_mean, got_logvar = page_encode(forward_page, name, images)
    bound = rounding_bound(model.encoder, images)
    d = model.latent_dim
    diff_m = np.abs(got_mean - mean.numpy())
    assert (diff_m <= bound[:, :d] + 1e-6).all()
    if logvar is None:
        assert got_logvar is None
        print(f"{name}: encode max |m| diff {diff_m.max():.2e}")
        return
    diff_s = np.abs(got_logvar - logvar.numpy())
    print(f"{name}: encode max |m| diff {diff_m.max():.2e}, |s| diff {diff_s.max():.2e} "
          f"(bound {bound.max():.2e})")
    if model.config.kind == "vae":
        assert (diff_s <= bound[:, d:] + 1e-6).all()
    else:  # the noisy AE's fixed log(sigma^2), the same for every image
        assert diff_s.max() <= 1e-6


STROKES = {
    "line": [[[40, 140], [240, 150]]],
    "loop": [[[140 + 70 * np.cos(t), 140 + 90 * np.sin(t)]
              for t in np.linspace(0, 2 * np.pi, 40)]],
    "dot": [[[141.5, 120.25]]],
    "edges": [[[0, 0], [279, 5], [279, 279]], [[-30, 200], [60, 300]]],
    "seven": [[[60, 50], [220, 50], [120, 250]], [[100, 150], [190, 150]]],
    "thin_pen": [[[50, 60], [80, 200], [230, 230]]],
    "one_pixel_pen": [[[50, 60], [80, 200], [230, 230]], [[200, 40], [90, 100]]],
    "scribble": [np.random.default_rng(5).uniform(-20, 300, size=(12, 2)).tolist()],
}
PEN_WIDTHS = {"thin_pen": 3.0, "one_pixel_pen": 1.0, "scribble": 11.5}


@pytest.mark.parametrize("name", sorted(STROKES))
def test_strokes_to_image_matches_python(forward_page, name):
    strokes = [[[float(x), float(y)] for x, y in s] for s in STROKES[name]]
    pen = PEN_WIDTHS.get(name, 18.0)
    expected = strokes_to_image(strokes, canvas_size=280, pen_width=pen)
    got = forward_page.evaluate("([s, pen]) => Array.from(vaeForward.strokesToImage(s, 280, pen))",
                                [strokes, pen])
    diff = np.abs(np.asarray(got, dtype=np.float32) - expected)
    print(f"{name}: max |page - python| = {diff.max():.2e}")
    assert diff.max() <= STROKE_TOLERANCE


def test_nothing_drawn_is_null(forward_page):
    assert forward_page.evaluate("vaeForward.strokesToImage([], 280, 18)") is None
    assert strokes_to_image([], canvas_size=280) is None


def test_bad_input_is_refused_in_the_page(forward_page):
    errors = forward_page.evaluate("""() => {
        const tryIt = (f) => { try { f(); return null; } catch (e) { return e.message; } };
        return [tryIt(() => vaeForward.decode(models.vae_map, new Float32Array(3))),
                tryIt(() => vaeForward.encode(models.vae_map, new Float32Array(10))),
                tryIt(() => vaeForward.decode({kind: "vae"}, new Float32Array(2)))];
    }""")
    assert "codes must hold a multiple of 2 numbers, got 3" in errors[0]
    assert "images must hold a multiple of 784 numbers, got 10" in errors[1]
    assert "not a packed model" in errors[2]


def test_random_drawings_on_other_pads_match_python(forward_page):
    # 30 seeded drawings: 1-4 strokes of 1-15 points, pads of 28 to 400 pixels, pens from
    # 1 pixel to a fifth of the pad (the digit's bounding box, scale and centring vary)
    rng = np.random.default_rng(11)
    worst = 0.0
    for _ in range(30):
        size = int(rng.integers(28, 401))
        pen = float(rng.uniform(1.0, size / 5))
        strokes = [rng.uniform(-0.1 * size, 1.1 * size, size=(int(rng.integers(1, 16)), 2))
                   .round(2).tolist() for _ in range(int(rng.integers(1, 5)))]
        expected = strokes_to_image(strokes, canvas_size=size, pen_width=pen)
        got = forward_page.evaluate("([s, size, pen]) => { const x = "
                                    "vaeForward.strokesToImage(s, size, pen); "
                                    "return x && Array.from(x); }", [strokes, size, pen])
        if expected is None:
            assert got is None
            continue
        worst = max(worst, float(np.abs(np.asarray(got, dtype=np.float32) - expected).max()))
    print(f"30 random drawings: max |page - python| = {worst:.2e}")
    assert worst <= STROKE_TOLERANCE


def test_the_page_made_no_request(forward_page):
    # last in the module: every test above has run in this page (the fixture checks again)
    assert forward_page.attempted == []
