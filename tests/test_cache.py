import errno
import os
import time
import warnings

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


def test_computed_lists_every_file_written_or_tried_once(tmp_path):
    # names of this test's own (the list is per process, and other tests write files too)
    a, b, c = (f"{tmp_path.name}-{n}" for n in ("a.npz", "b.pt", "c.npz"))
    cache.save_arrays(tmp_path / a, {"x": np.arange(3.0)})
    cache.save_record(tmp_path / b, {"w": torch.zeros(2)})
    cache.save_arrays(tmp_path / a, {"x": np.arange(4.0)})  # again: listed once
    assert cache.load_arrays(tmp_path / a) is not None  # a read computes nothing
    (tmp_path / "file").write_text("")
    with pytest.warns(RuntimeWarning, match="cannot be written"):
        cache.save_arrays(tmp_path / "file" / c, {"x": np.arange(3.0)})
    assert [n for n in cache.computed() if n.startswith(tmp_path.name)] == [a, b, c]


def test_pickled_objects_are_refused(tmp_path):
    import argparse

    path = tmp_path / "evil.pt"
    cache.save_record(path, {"obj": argparse.Namespace(command="anything")})
    with pytest.warns(RuntimeWarning, match="could not be loaded"):
        assert cache.load_record(path) is None


# A cache that cannot be written: warn once per cache folder, keep the result, go on.
# Tests run as root, for whom chmod does not stop a write: the failures are simulated
# by monkeypatching the file operations, or by a file where a folder should be.


def _fresh_cache(tmp_path, monkeypatch):
    """A cache folder of this test's own (the once-per-folder warnings start afresh)."""
    root = tmp_path / "cache"
    monkeypatch.setenv(cache.ENV_VAR, str(root))
    return root


def _raise(err):
    def fail(*args, **kwargs):
        raise err
    return fail


@pytest.mark.parametrize("target, err", [
    ("os.replace", OSError(errno.ENOSPC, "No space left on device")),
    ("os.replace", OSError(errno.EDQUOT, "Disk quota exceeded")),
    ("tempfile.mkstemp", PermissionError(errno.EACCES, "Permission denied")),
    ("tempfile.mkstemp", OSError(errno.EROFS, "Read-only file system")),
])
def test_unwritable_cache_warns_once_and_keeps_going(tmp_path, monkeypatch, target, err):
    root = _fresh_cache(tmp_path, monkeypatch)
    monkeypatch.setattr(target, _raise(err))
    with pytest.warns(RuntimeWarning) as seen:
        assert cache.save_record(cache.model_path("a"), {"x": 1}) is False
        assert cache.save_record(cache.model_path("b"), {"x": 2}) is False
        assert cache.save_arrays(root / "data" / "c.npz", {"x": np.zeros(2)}) is False
    messages = [str(w.message) for w in seen]
    assert len(messages) == 1, messages
    assert str(root) in messages[0] and err.strerror in messages[0]
    assert "kept in memory only" in messages[0]
    leftovers = [p for p in root.rglob("*") if p.is_file()]
    assert leftovers == []


def test_a_file_where_the_folder_should_be(tmp_path, monkeypatch):
    root = _fresh_cache(tmp_path, monkeypatch)
    root.mkdir()
    (root / "models").write_text("not a folder")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert cache.load_record(cache.model_path("a")) is None  # nothing cached there
    with pytest.warns(RuntimeWarning, match="kept in memory only") as seen:
        assert cache.save_record(cache.model_path("a"), {"x": 1}) is False
        assert cache.save_record(cache.model_path("b"), {"x": 1}) is False
    assert len(seen) == 1
    assert (root / "models").read_text() == "not a folder"


def test_a_read_only_cache_is_read_without_a_warning(tmp_path, monkeypatch):
    root = _fresh_cache(tmp_path, monkeypatch)
    cache.save_record(cache.model_path("a"), {"x": 1})
    cache.save_arrays(root / "data" / "d.npz", {"x": np.arange(3)})
    read_only = OSError(errno.EROFS, "Read-only file system")
    for target in ("os.replace", "tempfile.mkstemp", "os.unlink", "pathlib.Path.unlink",
                   "pathlib.Path.mkdir"):
        monkeypatch.setattr(target, _raise(read_only))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert cache.load_record(cache.model_path("a")) == {"x": 1}
        assert cache.load_arrays(root / "data" / "d.npz")["x"].tolist() == [0, 1, 2]


def test_a_corrupt_entry_that_cannot_be_removed_is_reported_once(tmp_path, monkeypatch):
    _fresh_cache(tmp_path, monkeypatch)
    path = cache.model_path("a")
    cache.save_record(path, {"x": 1})
    path.write_bytes(path.read_bytes()[:50])
    monkeypatch.setattr("pathlib.Path.unlink",
                        _raise(PermissionError(errno.EACCES, "Permission denied")))
    with pytest.warns(RuntimeWarning) as seen:
        assert cache.load_record(path) is None
        assert cache.load_record(path) is None
    messages = [str(w.message) for w in seen]
    assert len(messages) == 1, messages
    assert "could not be removed" in messages[0] and "Permission denied" in messages[0]
    assert "recomputed" in messages[0]


def test_a_folder_where_an_entry_should_be_is_recomputed(tmp_path, monkeypatch):
    _fresh_cache(tmp_path, monkeypatch)
    path = cache.model_path("a")
    path.mkdir(parents=True)
    with pytest.warns(RuntimeWarning, match="could not be read") as seen:
        assert cache.load_record(path) is None
        assert cache.load_record(path) is None
    assert len(seen) == 1


def test_content_that_does_not_parse_is_reported_once_and_removed(tmp_path):
    path = tmp_path / "r.pt"
    cache.save_record(path, {"state_dict": {}})

    def parse(record):
        return record["history"]

    with pytest.warns(RuntimeWarning, match="unusable.*KeyError: 'history'") as seen:
        assert cache.load_record(path, parse=parse) is None
    assert len(seen) == 1 and not path.exists()
    cache.save_record(path, {"history": [1]})
    assert cache.load_record(path, parse=parse) == [1]


def test_check_arrays_names_the_array_and_the_shape():
    arrays = {"x": np.zeros((3, 4), np.float32), "y": np.zeros(3, np.int64)}
    spec = {"x": (np.float32, ("n", 4)), "y": (np.int64, ("n",))}
    assert cache.check_arrays(arrays, spec) is arrays
    with pytest.raises(KeyError, match="'y'"):
        cache.check_arrays({"x": arrays["x"]}, spec)
    with pytest.raises(ValueError, match=r"y must have the shape \(3,\), got \(2,\)"):
        cache.check_arrays({**arrays, "y": np.zeros(2, np.int64)}, spec)
    with pytest.raises(ValueError, match=r"x must have the shape \(n, 4\), got \(3, 5\)"):
        cache.check_arrays({**arrays, "x": np.zeros((3, 5), np.float32)}, spec)
    with pytest.raises(TypeError, match="x must hold float32, got float64"):
        cache.check_arrays({**arrays, "x": np.zeros((3, 4))}, spec)


# Temporary files left by a writer killed mid-write.


def _aged(path, seconds):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"half a model")
    then = time.time() - seconds
    os.utime(path, (then, then))
    return path


@pytest.mark.parametrize("operation", ["write", "read"])
def test_stale_temporary_files_are_removed_silently(tmp_path, operation):
    folder = tmp_path / "models"
    stale = _aged(folder / ".a.pt.k2j4x9_q.tmp", 2 * 3600)  # a writer killed two hours ago
    live = _aged(folder / ".b.pt.p0z3m1r8.tmp", 60)  # a concurrent writer's, still writing
    other = _aged(folder / "notes.tmp", 2 * 3600)  # not the cache's
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        if operation == "write":
            cache.save_record(folder / "c.pt", {"x": 1})
        else:
            cache.load_record(folder / "c.pt")
    assert not stale.exists()
    assert live.exists() and other.exists()


def test_a_stale_temporary_file_that_cannot_be_removed_is_left_silently(tmp_path, monkeypatch):
    folder = tmp_path / "models"
    stale = _aged(folder / ".a.pt.k2j4x9_q.tmp", 2 * 3600)
    monkeypatch.setattr("os.unlink", _raise(OSError(errno.EROFS, "Read-only file system")))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert cache.load_record(folder / "c.pt") is None
    assert stale.exists()
