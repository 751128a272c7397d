"""Shared fixtures: every unit test writes its cache into one temporary folder; a spy on a
library function's calls."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from explainer import cache


@pytest.fixture(scope="session")
def cache_root(tmp_path_factory: pytest.TempPathFactory):
    return tmp_path_factory.mktemp("vae-explainer-cache")


@pytest.fixture(autouse=True)
def isolated_cache(cache_root, monkeypatch: pytest.MonkeyPatch):
    """Point the library's cache at a per-session temporary folder (never ~/.cache)."""
    monkeypatch.setenv(cache.ENV_VAR, str(cache_root))
    return cache_root


@pytest.fixture
def first_arguments(monkeypatch: pytest.MonkeyPatch) -> Callable[[Any, str], list]:
    """``first_arguments(owner, name)`` replaces ``owner.name`` for the test by a function
    that calls it through and records its first argument; returns the list of them."""
    def spy(owner: Any, name: str) -> list:
        seen: list = []
        original = getattr(owner, name)

        def recording(first, *args, **kwargs):
            seen.append(first)
            return original(first, *args, **kwargs)

        monkeypatch.setattr(owner, name, recording)
        return seen
    return spy


# the tiny latent-map grid (one session-wide training) and the one-epoch retrain setting,
# for every latent-map test
from latent_maps_fixtures import one_epoch, tiny  # noqa: E402, F401
