"""Tiny models for the latent-map tests: 400 training digits, one epoch, a small grid."""

from __future__ import annotations

import pytest

from explainer import cache
from explainer import latent_maps as lm
from explainer.data import ImageDataset, load_mnist


@pytest.fixture(scope="session")
def tiny(cache_root):
    """(data, grid, classifier) trained in seconds into the session's temporary cache."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(cache.ENV_VAR, str(cache_root))
        mp.setattr(lm, "MAP_TRAINING", lm.MAP_TRAINING.replace(epochs=1))
        full = load_mnist()
        data = ImageDataset(name="mnist-tiny", side=28, x_train=full.x_train[::10],
                            y_train=full.y_train[::10], x_test=full.x_test[::10],
                            y_test=full.y_test[::10])
        grid = lm.train_map_grid(data, noise_grid=(1.0,), beta_grid=(0.3, 1.0))
        classifier = lm.train_digit_classifier(data)
    return data, grid, classifier


@pytest.fixture
def one_epoch(monkeypatch):
    """Keep training (grid and live retrains) at one epoch inside a test."""
    monkeypatch.setattr(lm, "MAP_TRAINING", lm.MAP_TRAINING.replace(epochs=1))
