import numpy as np
import pytest
import torch

from explainer import cache


def test_cache_dir_follows_environment(isolated_cache, monkeypatch):
    assert cache.cache_dir() == isolated_cache
    monkeypatch.delenv(cache.ENV_VAR)
    assert cache.cache_dir().name == "vae-explainer"


def test_key_depends_on_every_part():
    assert cache.cache_key(a=1, b=2) == cache.cache_key(b=2, a=1)
    assert cache.cache_key(a=1, b=2) != cache.cache_key(a=1, b=3)


def test_record_round_trip_and_truncation(isolated_cache):
    path = isolated_cache / "x" / "r.pt"
    record = {"state_dict": {"w": torch.arange(4.0)}, "history": {"loss": [1.0, 0.5]}}
    cache.save_record(path, record)
    back = cache.load_record(path)
    assert torch.equal(back["state_dict"]["w"], record["state_dict"]["w"])
    assert back["history"] == record["history"]
    path.write_bytes(path.read_bytes()[:50])
    with pytest.warns(RuntimeWarning, match="truncated or corrupt"):
        assert cache.load_record(path) is None
    assert not path.exists()
    assert cache.load_record(path) is None  # absent: no second report


def test_arrays_round_trip_and_no_temp_files_left(tmp_path):
    path = tmp_path / "a.npz"
    cache.save_arrays(path, {"x": np.arange(5.0)})
    assert np.array_equal(cache.load_arrays(path)["x"], np.arange(5.0))
    assert [p.name for p in tmp_path.iterdir()] == ["a.npz"]


def test_pickled_objects_are_refused(tmp_path):
    import argparse

    path = tmp_path / "evil.pt"
    cache.save_record(path, {"obj": argparse.Namespace(command="anything")})
    with pytest.warns(RuntimeWarning, match="could not be loaded"):
        assert cache.load_record(path) is None
