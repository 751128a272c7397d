"""The reproducible numerics mode: set for the tests by the root conftest.py, and part of
every cache key, so a model trained at full speed is never read where the stored outputs
are compared."""

from __future__ import annotations

from explainer import cache, numerics


def test_the_tests_run_in_the_reproducible_mode():
    assert numerics.mode() == "reproducible"
    assert numerics.reproducible_environment()["MKL_CBWR"] == "COMPATIBLE"


def test_the_two_modes_never_share_a_cache_key(monkeypatch):
    reproducible = cache.cache_key(kind="vae", beta=1.0)
    monkeypatch.delenv("MKL_CBWR")
    assert numerics.mode() == "fast"
    assert cache.cache_key(kind="vae", beta=1.0) != reproducible


def test_torch_kernels_are_pinned_only_on_x86(monkeypatch):
    monkeypatch.setattr(numerics.platform, "machine", lambda: "arm64")
    assert "ATEN_CPU_CAPABILITY" not in numerics.reproducible_environment()
    monkeypatch.setattr(numerics.platform, "machine", lambda: "x86_64")
    assert numerics.reproducible_environment()["ATEN_CPU_CAPABILITY"] == "avx2"
