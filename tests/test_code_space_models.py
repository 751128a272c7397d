"""TrainedCodeModels: each settings trained once, its model and measurements kept."""

from __future__ import annotations

import numpy as np
import pytest

from explainer import code_space as cs
from explainer.code_models import TrainedCodeModels

FAST = dict(n_steps=10, hidden_dim=8)


@pytest.fixture()
def counted(first_arguments):
    """The settings explore_code_space is called with."""
    return first_arguments(cs, "explore_code_space")


def test_each_settings_is_trained_once_and_gives_the_trained_model(counted):
    models = TrainedCodeModels()
    ae = cs.CodeSpaceSettings(**FAST)
    vae = cs.CodeSpaceSettings(kind="vae", beta=1.0, **FAST)
    space = models.space(ae)
    assert models.model(ae) is models.model(ae) and models.space(ae) is space
    models.space(vae)
    assert counted == [ae, vae] and len(models) == 2 and vae in models
    # the same numbers as training afresh (training is deterministic)
    fresh = cs.explore_code_space(ae)[1]
    assert np.array_equal(space.means, fresh.means)


def test_the_oldest_model_is_dropped_beyond_max_models(counted):
    models = TrainedCodeModels(max_models=2)
    a, b, c = (cs.CodeSpaceSettings(seed=s, **FAST) for s in (0, 1, 2))
    models.space(a)
    models.space(b)
    models.space(a)  # a is now the newest
    models.space(c)
    assert a in models and c in models and b not in models and len(models) == 2
    assert counted == [a, b, c]


def test_max_models_is_checked():
    with pytest.raises(ValueError, match="max_models must be"):
        TrainedCodeModels(max_models=0)
