"""Shared fixtures: every unit test writes its cache into one temporary folder."""

from __future__ import annotations

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


# the tiny latent-map grid (one session-wide training) and the one-epoch retrain setting,
# for every latent-map test
from latent_maps_fixtures import one_epoch, tiny  # noqa: E402, F401
