"""A disk cache for trained models and converted data, so a lecture never waits twice.

Every file is written atomically (a temporary file in the same folder, then a rename),
starts with the SHA-256 of its payload, and is checked on every read: a corrupt or
truncated file is reported once (a ``RuntimeWarning``), removed, and recomputed by the
caller; so is a file whose checksum is right but whose content the caller's ``parse``
refuses (a record without its weights, weights of other shapes). Models are read back
with ``torch.load(..., weights_only=True)`` and arrays with ``numpy.load(...,
allow_pickle=False)``: never an unrestricted pickle.

The cache never costs a result. A cache that cannot be written (a read-only or shared
folder, a full disk or quota, a file where a folder should be) is reported once per process
and cache folder, and the caller keeps its result in memory; a read-only cache is read
as usual, without a warning. An unusable file that cannot be removed is reported once,
ignored and recomputed.

A writer killed mid-write leaves its temporary file (``.<name>.<random>.tmp``) behind.
Such files older than ``STALE_SECONDS`` (an hour: a live writer's is seconds old) are
removed, silently, from a folder before each write to it and at its first read in a
process: one listing of that folder. One that cannot be removed is left, silently.

The folder is ``$VAE_EXPLAINER_CACHE`` if set, else ``~/.cache/vae-explainer``.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import tempfile
import threading
import time
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import torch

import explainer
from explainer import numerics

ENV_VAR = "VAE_EXPLAINER_CACHE"
T = TypeVar("T")
_DIGEST_BYTES = 32

STALE_SECONDS = 3600.0

# What has been done in this process (a cache folder that cannot be written reported, a
# file that cannot be read or removed reported, a folder swept of stale temporary files),
# so each is done once; the lock serves the live retrainer's background threads.
_done: set[tuple[str, str]] = set()
_done_lock = threading.Lock()
# the files this process has written or tried to write, each once (an ordered set: a kernel
# that retrains the same model again and again adds nothing), see computed()
_computed: dict[str, None] = {}


def cache_dir() -> Path:
    """The cache folder: ``$VAE_EXPLAINER_CACHE`` or ``~/.cache/vae-explainer``."""
    override = os.environ.get(ENV_VAR)
    if override:
        return Path(override).expanduser()
    return Path.home() / ".cache" / "vae-explainer"


def cache_key(**parts: Any) -> str:
    """A hex key from every part (JSON-serialisable), the library's version and the numerics
    mode (``explainer.numerics``: models trained in one mode are never read in the other)."""
    blob = json.dumps({"version": explainer.__version__, "numerics": numerics.mode(), **parts},
                      sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:24]


def content_digest(*values: np.ndarray | torch.Tensor) -> str:
    """A hex digest of each array's dtype, shape and bytes, in order: a key part for a
    result computed from arrays (two calls agree exactly when every array is equal)."""
    h = hashlib.sha256()
    for value in values:
        array = np.ascontiguousarray(value.detach().cpu().numpy()
                                     if isinstance(value, torch.Tensor) else value)
        h.update(f"{array.dtype.str}{array.shape}".encode())
        h.update(array.tobytes())
    return h.hexdigest()[:24]


def computed() -> list[str]:
    """The names of the cache files this process has written, or tried to write, so far, each
    once, in the order first written: one per model or result it computed because the cache
    did not hold it. A cache filled
    beforehand (``postBuild`` on Binder, a hub's shared cache) leaves it empty."""
    with _done_lock:
        return list(_computed)


def model_path(key: str) -> Path:
    return cache_dir() / "models" / f"{key}.pt"


def save_record(path: Path, record: dict[str, Any]) -> bool:
    """Write a dict of tensors, numbers, strings, lists and dicts atomically; False (and
    one warning per cache folder) if the cache cannot be written."""
    buffer = io.BytesIO()
    torch.save(record, buffer)
    return _write_verified(path, buffer.getvalue())


def load_record(path: Path, *, parse: Callable[[dict[str, Any]], T] | None = None
                ) -> dict[str, Any] | T | None:
    """The record at ``path``, or ``parse(record)``; None if absent, corrupt, or if its
    content does not fit (``parse`` raises): then it is reported once and removed."""
    payload = _read_verified(path)
    if payload is None:
        return None
    try:
        record = torch.load(io.BytesIO(payload), weights_only=True)
    except Exception as err:  # a payload that passed its checksum but will not load
        _discard(path, f"it could not be loaded ({err})")
        return None
    if not isinstance(record, dict):
        _discard(path, f"it holds a {type(record).__name__}, not a record (a dict)")
        return None
    return _parsed(path, record, parse)


def save_arrays(path: Path, arrays: dict[str, np.ndarray]) -> bool:
    """Write named numpy arrays (as .npz) atomically; False (and one warning per cache
    folder) if the cache cannot be written."""
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return _write_verified(path, buffer.getvalue())


@contextlib.contextmanager
def download_folder(folder: Path) -> Iterator[Path]:
    """``folder`` (created if needed) for a download that a library caches by itself, or,
    if it cannot be written, a temporary folder removed at exit (with the one warning)."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(dir=folder, prefix=".probe.", suffix=".tmp")
        os.close(fd)
        os.unlink(probe)
    except OSError as err:
        _cannot_write(folder, err)
    else:
        yield folder
        return
    with tempfile.TemporaryDirectory(prefix="vae-explainer-") as scratch:
        yield Path(scratch)


def load_arrays(path: Path, *, parse: Callable[[dict[str, np.ndarray]], T] | None = None
                ) -> dict[str, np.ndarray] | T | None:
    """The arrays at ``path``, or ``parse(arrays)``; None if absent, corrupt, or if their
    content does not fit (``parse`` raises): then they are reported once and removed."""
    payload = _read_verified(path)
    if payload is None:
        return None
    try:
        with np.load(io.BytesIO(payload), allow_pickle=False) as npz:
            arrays = {name: npz[name] for name in npz.files}
    except Exception as err:
        _discard(path, f"it could not be loaded ({err})")
        return None
    return _parsed(path, arrays, parse)


def computed_arrays(spec: dict[str, tuple[type, tuple[int | str, ...]]],
                    compute: Callable[[], dict[str, np.ndarray]],
                    **parts: Any) -> dict[str, np.ndarray]:
    """``compute()``'s arrays, read from the cache when computed before with the same
    ``parts`` (the key: JSON-serialisable, e.g. :func:`content_digest` of the inputs); a
    record that does not fit ``spec`` (:func:`check_arrays`) is reported, removed and
    computed again."""
    path = cache_dir() / "arrays" / f"{cache_key(**parts)}.npz"
    arrays = load_arrays(path, parse=lambda arrays: check_arrays(arrays, spec))
    if arrays is None:
        arrays = check_arrays(compute(), spec)
        save_arrays(path, arrays)
    return arrays


def check_arrays(arrays: dict[str, np.ndarray],
                 spec: dict[str, tuple[type, tuple[int | str, ...]]]) -> dict[str, np.ndarray]:
    """``arrays`` if each array named in ``spec`` has its dtype and shape, else a KeyError,
    TypeError or ValueError naming the array. A shape entry is a length, or a name that
    stands for the same length in every array (``{"x": (np.float32, ("n", 784))}``)."""
    lengths: dict[str, int] = {}
    for name, (dtype, shape) in spec.items():
        if name not in arrays:
            raise KeyError(f"no array named {name!r} (found {sorted(arrays)})")
        array = arrays[name]
        if array.dtype != dtype:
            raise TypeError(f"{name} must hold {np.dtype(dtype)}, got {array.dtype}")
        expected = tuple(lengths.get(n, n) if isinstance(n, str) else n for n in shape)
        fits = len(array.shape) == len(shape) and all(
            isinstance(want, str) or want == got for want, got in zip(expected, array.shape))
        if not fits:
            shown = ", ".join(map(str, expected)) + ("," if len(shape) == 1 else "")
            raise ValueError(f"{name} must have the shape ({shown}), got {array.shape}")
        lengths.update({n: got for n, got in zip(shape, array.shape) if isinstance(n, str)})
    return arrays


def _write_verified(path: Path, payload: bytes) -> bool:
    with _done_lock:
        _computed[path.name] = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        _remove_stale_temporaries(path.parent)  # first: on a full disk, they free space
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as err:
        _cannot_write(path.parent, err)
        return False
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(hashlib.sha256(payload).digest())
            f.write(payload)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException as err:
        with contextlib.suppress(OSError):
            Path(tmp).unlink(missing_ok=True)
        if not isinstance(err, OSError):
            raise
        _cannot_write(path.parent, err)
        return False
    return True


def _parsed(path: Path, content: Any, parse: Callable[[Any], T] | None) -> Any:
    if parse is None:
        return content
    try:
        return parse(content)
    except Exception as err:  # a record that passed its checksum but is not what we wrote
        _discard(path, f"its content is not what was expected ({type(err).__name__}: {err})")
        return None


def _read_verified(path: Path) -> bytes | None:
    if _first_time("swept", str(path.parent)):
        _remove_stale_temporaries(path.parent)
    try:
        blob = path.read_bytes()
    except (FileNotFoundError, NotADirectoryError):  # nothing cached there
        return None
    except OSError as err:  # a folder where the file should be, no permission, a bad disk
        _warn_once("unreadable", str(path),
                   f"cache file {path} could not be read ({err}); it is ignored and recomputed")
        return None
    digest, payload = blob[:_DIGEST_BYTES], blob[_DIGEST_BYTES:]
    if len(digest) < _DIGEST_BYTES or hashlib.sha256(payload).digest() != digest:
        _discard(path, "its checksum does not match (truncated or corrupt)")
        return None
    return payload


def _discard(path: Path, reason: str) -> None:
    try:
        path.unlink(missing_ok=True)
    except OSError as err:  # a read-only cache: the file stays, and is skipped every time
        _warn_once("unremovable", str(path),
                   f"cache file {path} is unusable: {reason}; it could not be removed "
                   f"({err}), so it is ignored and the result is recomputed")
        return
    warnings.warn(
        f"cache file {path} is unusable: {reason}; it is removed and will be recomputed",
        RuntimeWarning,
        stacklevel=3,
    )


def _cannot_write(folder: Path, err: OSError) -> None:
    """Report, once per process and cache folder, that ``folder`` cannot be written."""
    root = cache_dir()
    if folder.is_relative_to(root):
        folder = root
    _warn_once("unwritable", str(folder),
               f"the cache folder {folder} cannot be written ({err}); results are kept in "
               "memory only, for this session")


def _remove_stale_temporaries(folder: Path) -> None:
    """Remove the temporary files older than ``STALE_SECONDS`` in ``folder``; silent."""
    cutoff = time.time() - STALE_SECONDS
    try:
        with os.scandir(folder) as entries:
            for entry in entries:
                if not (entry.name.startswith(".") and entry.name.endswith(".tmp")):
                    continue
                with contextlib.suppress(OSError):  # gone already, or a read-only folder
                    if entry.is_file(follow_symlinks=False) and \
                            entry.stat(follow_symlinks=False).st_mtime < cutoff:
                        os.unlink(entry.path)
    except OSError:  # no such folder (yet), or a file where it should be
        pass


def _warn_once(kind: str, subject: str, message: str) -> None:
    if _first_time(kind, subject):
        warnings.warn(message, RuntimeWarning, stacklevel=4)


def _first_time(kind: str, subject: str) -> bool:
    """True the first time it is asked about (``kind``, ``subject``) in this process."""
    with _done_lock:
        if (kind, subject) in _done:
            return False
        _done.add((kind, subject))
        return True
