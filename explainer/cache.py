"""A disk cache for trained models and converted data, so a lecture never waits twice.

Every file is written atomically (a temporary file in the same folder, then a rename),
starts with the SHA-256 of its payload, and is checked on every read: a corrupt or
truncated file is reported once (a ``RuntimeWarning``), removed, and recomputed by the
caller. Models are read back with ``torch.load(..., weights_only=True)`` and arrays with
``numpy.load(..., allow_pickle=False)``: never an unrestricted pickle.

The folder is ``$VAE_EXPLAINER_CACHE`` if set, else ``~/.cache/vae-explainer``.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import tempfile
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import torch

import explainer

ENV_VAR = "VAE_EXPLAINER_CACHE"
_DIGEST_BYTES = 32


def cache_dir() -> Path:
    """The cache folder: ``$VAE_EXPLAINER_CACHE`` or ``~/.cache/vae-explainer``."""
    override = os.environ.get(ENV_VAR)
    if override:
        return Path(override).expanduser()
    return Path.home() / ".cache" / "vae-explainer"


def cache_key(**parts: Any) -> str:
    """A hex key from every part (JSON-serialisable) and the library's version."""
    blob = json.dumps({"version": explainer.__version__, **parts}, sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:24]


def model_path(key: str) -> Path:
    return cache_dir() / "models" / f"{key}.pt"


def save_record(path: Path, record: dict[str, Any]) -> None:
    """Write a dict of tensors, numbers, strings, lists and dicts atomically."""
    buffer = io.BytesIO()
    torch.save(record, buffer)
    _write_verified(path, buffer.getvalue())


def load_record(path: Path) -> dict[str, Any] | None:
    """The record at ``path``; None if absent or corrupt (then reported and removed)."""
    payload = _read_verified(path)
    if payload is None:
        return None
    try:
        return torch.load(io.BytesIO(payload), weights_only=True)
    except Exception as err:  # a payload that passed its checksum but will not load
        _discard(path, f"it could not be loaded ({err})")
        return None


def save_arrays(path: Path, arrays: dict[str, np.ndarray]) -> None:
    """Write named numpy arrays (as .npz) atomically."""
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    _write_verified(path, buffer.getvalue())


def load_arrays(path: Path) -> dict[str, np.ndarray] | None:
    """The arrays at ``path``; None if absent or corrupt (then reported and removed)."""
    payload = _read_verified(path)
    if payload is None:
        return None
    try:
        with np.load(io.BytesIO(payload), allow_pickle=False) as npz:
            return {name: npz[name] for name in npz.files}
    except Exception as err:
        _discard(path, f"it could not be loaded ({err})")
        return None


def _write_verified(path: Path, payload: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(hashlib.sha256(payload).digest())
            f.write(payload)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _read_verified(path: Path) -> bytes | None:
    try:
        blob = path.read_bytes()
    except FileNotFoundError:
        return None
    digest, payload = blob[:_DIGEST_BYTES], blob[_DIGEST_BYTES:]
    if len(digest) < _DIGEST_BYTES or hashlib.sha256(payload).digest() != digest:
        _discard(path, "its checksum does not match (truncated or corrupt)")
        return None
    return payload


def _discard(path: Path, reason: str) -> None:
    warnings.warn(
        f"cache file {path} is unusable: {reason}; it is removed and will be recomputed",
        RuntimeWarning,
        stacklevel=3,
    )
    path.unlink(missing_ok=True)
