"""The latent maps' models: configs, the grid, the cache and the warm start."""

from __future__ import annotations

import math

import pytest
import torch

from explainer import map_models as maps
from explainer import recipes
from explainer.train import train_model


@pytest.mark.parametrize("kind, value, message", [
    ("vae", -0.1, "beta must be in [0, inf]"),
    ("vae", math.nan, "beta must be a finite number"),
    ("vae", math.inf, "beta must be a finite number"),
    ("noisy_ae", -1.0, "noise_scale must be in (0, inf]"),
    ("noisy_ae", 0.0, "noise_scale must be in (0, inf]"),
    ("noisy_ae", math.nan, "noise_scale must be a finite number"),
    ("gan", 1.0, "kind must be one of 'ae', 'noisy_ae', 'vae'"),
    ("ae", 0.5, "the AE has no noise scale or KL weight"),
])
def test_map_config_refuses_bad_values(kind, value, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace("[", r"\[")):
        maps.map_config(kind, value)


def test_map_config_sets_the_one_parameter():
    assert maps.map_config("vae", 0.3).beta == 0.3
    assert maps.map_config("noisy_ae", 0.5).noise_scale == 0.5
    assert maps.map_config("ae").kind == "ae"
    assert maps.map_config("vae", 1.0).latent_dim == 2
    with pytest.raises(TypeError, match="beta must be a real number"):
        maps.map_config("vae", "1")


def test_grid_holds_every_model_and_finds_the_nearest(tiny):
    _, grid, _ = tiny
    assert grid.values("vae") == [0.3, 1.0]
    assert grid.values("noisy_ae") == [1.0]
    assert grid.nearest("vae", 0.5).value == 0.3  # |log 0.5 - log 0.3| < |log 0.5 - log 1|
    assert grid.nearest("vae", 0.6).value == 1.0
    with pytest.raises(KeyError, match="no cached VAE"):
        grid.get("vae", 0.5)
    with pytest.raises(ValueError, match="kind must be one of"):
        grid.values("pca")


def test_cached_model_keeps_optimizer_and_generator(tiny, one_epoch):
    data, grid, _ = tiny
    again = maps.train_map_model("vae", 1.0, data)
    assert again.source == "cache"
    first = grid.get("vae", 1.0)
    for k, v in first.model.state_dict().items():
        assert torch.equal(v, again.model.state_dict()[k])
    assert again.resume.optimizer.state_dict()["state"]
    assert torch.equal(again.resume.generator.get_state(), first.resume.generator.get_state())


def test_the_map_vae_at_beta_1_is_the_series_2d_vae():
    assert maps.map_config("vae", 1.0) == recipes.MNIST_2D_VAE
    assert maps.MAP_TRAINING == recipes.MNIST_2D_TRAINING


def test_the_map_vae_at_beta_1_and_the_series_recipe_share_one_cache_entry(tiny, one_epoch):
    # notebooks 05 and 06 train the series' VAE with train_model; 04 maps it: one model
    data, grid, _ = tiny
    shared = train_model(recipes.MNIST_2D_VAE, data, training=maps.MAP_TRAINING, seed=0,
                         num_threads=1)
    assert shared.from_cache
    for k, v in grid.get("vae", 1.0).model.state_dict().items():
        assert torch.equal(shared.model.state_dict()[k], v)


def test_warm_start_at_the_same_value_continues_exactly(tiny, monkeypatch):
    data, grid, _ = tiny
    monkeypatch.setattr(maps, "MAP_TRAINING", maps.MAP_TRAINING.replace(epochs=2))
    two_epochs = maps.train_map_model("vae", 1.0, data, use_cache=False)
    continued = maps.warm_start(grid.get("vae", 1.0), maps.map_config("vae", 1.0), data, epochs=1)
    assert continued.epochs == 2
    for k, v in two_epochs.model.state_dict().items():
        torch.testing.assert_close(continued.model.state_dict()[k], v, rtol=0, atol=1e-6)


def test_warm_start_changes_the_value_and_can_be_stopped(tiny):
    data, grid, _ = tiny
    seen = []
    out = maps.warm_start(grid.get("vae", 0.3), maps.map_config("vae", 0.5), data, epochs=3,
                          callback=lambda epoch, model, history: (seen.append(epoch), False)[1])
    assert out.model.config.beta == 0.5 and out.value == 0.5
    assert seen == [2]  # the callback returned False after the first epoch: stopped
    assert out.source.endswith("+ 1 epochs")
    assert "retrained live: VAE β=0.3" in out.source
    with pytest.raises(ValueError, match="target must be a ModelConfig of kind 'vae'"):
        maps.warm_start(grid.get("vae", 0.3), maps.map_config("noisy_ae", 1.0), data)
    snapshot = maps.MapModel("vae", 0.3, out.model, out.history)  # shown, never continued
    with pytest.raises(TypeError, match="start must be a MapModel that can be continued"):
        maps.warm_start(snapshot, maps.map_config("vae", 0.5), data)


def test_warm_start_leaves_its_start_untouched(tiny):
    # Adam's moments were loaded without a copy and updated in place: every live retrain
    # from a cached model changed that model's optimiser state, and the next one differed
    data, grid, _ = tiny
    start = grid.get("vae", 0.3)
    state = start.resume.optimizer.state_dict()["state"]
    moments = {k: v["exp_avg"].clone() for k, v in state.items()}
    first = maps.warm_start(start, maps.map_config("vae", 0.5), data, epochs=1)
    for k, v in start.resume.optimizer.state_dict()["state"].items():
        torch.testing.assert_close(v["exp_avg"], moments[k], rtol=0, atol=0)
    again = maps.warm_start(start, maps.map_config("vae", 0.5), data, epochs=1)
    for k, v in first.model.state_dict().items():
        torch.testing.assert_close(again.model.state_dict()[k], v, rtol=0, atol=0)


def test_warm_start_stops_within_an_epoch_once_it_is_stale(tiny):
    data, grid, _ = tiny
    checks, seen = [], []

    def is_current():  # stale after two optimiser steps, long before the epoch ends
        checks.append(1)
        return len(checks) <= 2

    start, target = grid.get("vae", 0.3), maps.map_config("vae", 0.5)
    out = maps.warm_start(start, target, data, epochs=3, is_current=is_current,
                          callback=lambda epoch, model, history: seen.append(epoch))
    assert out is None and seen == [] and len(checks) == 3
    # while current, the check changes nothing: the same weights as without it
    a = maps.warm_start(start, target, data, epochs=1, is_current=lambda: True)
    b = maps.warm_start(start, target, data, epochs=1)
    for k, v in b.model.state_dict().items():
        torch.testing.assert_close(a.model.state_dict()[k], v, rtol=0, atol=0)
