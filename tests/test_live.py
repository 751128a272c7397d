"""The models in the page, on the Python side: LiveFigure, packed model ids, the 04 maps' and
interpolation's live figures (every slider combination names a model of the page), the page's
handling of computed images and of the controls a live figure makes work."""

from __future__ import annotations

import base64
import itertools

import numpy as np
import pytest

from explainer.models import Autoencoder, ModelConfig
from explainer.packing import pack_model
from explainer.plots import latent_maps as map_plots
from explainer.publish.kernel import page_states
from explainer.publish.page import PageBuilder, without_computed
from explainer.widgets.controls import control_grid
from explainer.widgets.latent_maps import InterpolationExplorer, LatentMapExplorer
from explainer.widgets.live import (
    KINDS,
    LIVE_SCRIPTS,
    LiveFigure,
    grey_bytes,
    live_script,
    model_id,
    packed_models,
)


def small(seed: int) -> Autoencoder:
    return Autoencoder(ModelConfig(kind="vae", latent_dim=2, hidden_dims=(8,)), seed=seed)


def test_the_same_weights_get_the_same_id_and_are_packed_once():
    a, b = small(0), small(1)
    ids, models = packed_models([a, b, a])
    assert ids[0] == ids[2] != ids[1]
    assert set(models) == {ids[0], ids[1]}
    assert model_id(pack_model(a, parts=("decoder",))) == ids[0]
    assert "encoder" not in models[ids[0]]
    _, both = packed_models([a], parts=("decoder", "encoder"))
    assert set(next(iter(both.values()))) >= {"decoder", "encoder"}


def test_a_live_figure_refuses_an_unknown_kind_or_figure():
    with pytest.raises(ValueError, match="kind must be one of"):
        LiveFigure("nope", 0, {})
    with pytest.raises(ValueError, match="figure must be"):
        LiveFigure(KINDS[0], -1, {})
    d = LiveFigure(KINDS[0], 0, {"a": 1}, computed=(("t", "source"),), controls=("x",)).to_dict()
    assert d == {"kind": KINDS[0], "figure": 0, "spec": {"a": 1}, "models": {},
                 "computed": [["t", "source"]], "controls": ["x"]}


def test_grey_bytes_are_the_rounded_8_bit_pixels_and_refuse_values_off_0_1():
    img = np.array([0.0, 0.5, 1.0, 0.2])
    assert list(base64.b64decode(grey_bytes(img))) == [0, 128, 255, 51]
    with pytest.raises(ValueError, match=r"in \[0, 1\]"):
        grey_bytes(np.array([1.5]))
    with pytest.raises(ValueError, match=r"in \[0, 1\]"):
        grey_bytes(np.array([np.nan]))


def test_the_live_script_holds_every_script_and_registers_every_kind():
    text = live_script()
    assert text.index("window.vaeForward") < text.index("window.vaeLive = ")
    for kind in KINDS:
        assert f'register("{kind}"' in text
    assert len(LIVE_SCRIPTS) == len(set(LIVE_SCRIPTS))


def test_computed_properties_leave_the_figure_and_its_frames():
    figure = {"data": [{"name": "a", "source": "A", "x": [1]}, {"name": "b", "source": "B"}],
              "frames": [{"name": "f", "traces": [0, 1],
                          "data": [{"source": "A2", "x": [2]}, {"source": "B2"}]}]}
    without_computed(figure, [("a", "source")])
    assert figure["data"][0] == {"name": "a", "x": [1]}
    assert figure["data"][1]["source"] == "B"
    assert figure["frames"][0]["data"] == [{"x": [2]}, {"source": "B2"}]
    with pytest.raises(ValueError, match="does not have"):
        without_computed(figure, [("c", "source")])


# ------------------------------------------------------------------ 04's explainers
@pytest.fixture
def explorer(tiny):
    data, grid, classifier = tiny
    return LatentMapExplorer(grid, data, classifier, synchronous=True, start_point=(0.0, 0.0),
                             example=3)


def test_every_combination_of_the_maps_sliders_names_a_model_of_the_page(explorer):
    [live] = explorer.live_figures()
    rows = live.spec["rows"]
    grids = {g.label: g for g in explorer.exported_controls()}
    for row in rows:
        choose = row["choose"]
        labels = [grids[name].labels for name in choose["sliders"]]
        for combo in itertools.product(*labels):
            assert choose["table"]["|".join(combo)] in live.models
        assert "|".join(choose["defaults"]) in choose["table"]
    # every grid model is in the page with its encoder, once, with its view's square
    assert len(live.models) == len(explorer.grid.models)
    assert all("encoder" in m for m in live.models.values())
    assert set(live.spec["views"]) == set(live.models)
    assert live.spec["n_grid"] ** 2 == len(explorer.maps.row_view(
        explorer.grid.get("ae")).view.grid_points)
    # the page computes the decoded grids; the drawn example goes with the spec
    assert (map_plots.trace_name(1, "manifold"), "source") in live.computed
    assert (map_plots.trace_name(0, "detail"), "source") in live.computed
    assert live.spec["drawn"] == grey_bytes(explorer.maps.drawn)
    # the rows' trace names are the figure's
    names = {t.name for t in explorer.fig.data}
    for row in rows:
        assert set(row["traces"].values()) <= names


def test_the_controls_a_live_figure_makes_work_are_named_as_the_kernel_names_them(explorer, tiny):
    for explainer in (explorer, InterpolationExplorer([tiny[1].get("ae"), tiny[1].get("vae", 1.0)],
                                                      tiny[0], n_choices=20)):
        named = explainer.kernel_controls()
        for figure in explainer.live_figures():
            assert set(figure.controls) <= set(named), (figure.controls, named)


def test_the_page_no_longer_says_the_live_controls_need_a_kernel(explorer):
    states = page_states(explorer)
    assert "the drawing pad" not in states["kernel_controls"]
    assert "clicking a map to decode that point" not in states["kernel_controls"]
    assert any("retrained live" in k for k in states["kernel_controls"])
    assert [f["kind"] for f in states["live"]] == ["maps"]


def test_a_live_figure_that_fails_is_reported_as_the_states_error(explorer, monkeypatch):
    def broken():
        raise RuntimeError("no weights")
    monkeypatch.setattr(explorer, "live_figures", broken)
    states = page_states(explorer)
    assert "the models in the page: RuntimeError: no weights" in states["error"]
    assert states["live"] == []


def test_the_page_carries_each_model_once_and_the_live_specs_without_them(explorer):
    builder = PageBuilder()
    html = builder.explainer(page_states(explorer)) + builder.explainer(page_states(explorer))
    assert len(builder.models) == len(explorer.grid.models)
    assert html.count('class="live-spec"') == 2
    assert '"encoder"' not in html  # the weights are in the page's store, not in the specs


def test_the_interpolation_offers_its_digits_and_both_models(tiny):
    data, grid, _ = tiny
    walk = InterpolationExplorer([grid.get("ae"), grid.get("vae", 1.0)], data, n_choices=20,
                                 first=0, second=5)
    [live] = walk.live_figures()
    spec = live.spec
    assert len(spec["options"]) == len(walk.first.options)
    values = [v for _, v in walk.first.options]
    assert spec["options"][spec["first"]]["label"] == walk.describe_digit(0)
    assert values[spec["second"]] == 5
    assert spec["traces"] == [t.name for t in walk.fig.data]
    assert len(set(spec["models"])) == 2 and set(spec["models"]) == set(live.models)
    assert walk.exported_controls() == []  # the page's own menus replace stored frames
    assert control_grid(walk.first).labels  # the dropdowns themselves are unchanged


def test_a_model_is_packed_again_only_when_its_weights_change():
    import torch

    model = small(3)
    first = packed_models([model])
    assert packed_models([model])[1][first[0][0]] is first[1][first[0][0]]  # the same packing
    with torch.no_grad():
        next(model.decoder.parameters())[0, 0] += 1.0
    again = packed_models([model])
    assert again[0] != first[0]
