"""The code axis in the page (kind "code_axis"): the explainers' live figures carry every
model of their sliders' grid, chosen by the sliders' labels, and JupyterLab's figure the
shown model. The page's decoding itself is tested in tests/browser/test_live_code_axis.py."""

from __future__ import annotations

import json

import numpy as np
import pytest

from explainer import code_space as cs
from explainer.data import lit_fraction
from explainer.plots import code_space as plots
from explainer.plots import trace
from explainer.widgets import code_space as widget_module
from explainer.widgets.code_space import NoisyCodeExplainer, VAECodeExplainer
from explainer.widgets.controls import control_grid
from explainer.widgets.live import KINDS, LIVE_SCRIPTS, live_script, packed_models

FAST = dict(n_steps=10, hidden_dim=8)
PHASES = f"{cs.DEFAULT_PHASES} phases (full ... half)"


@pytest.fixture()
def noisy():
    w = NoisyCodeExplainer(cs.CodeSpaceSettings(kind="noisy_ae", noise_scale=0.5, beta=1.0,
                                                **FAST), frame_delay=0.0)
    # a smaller grid than the page's: 2 training sets x 2 noise scales x 2 betas
    w.exported_controls = lambda: [control_grid(w.training_set),
                                   control_grid(w.noise_scale, (0.0, 0.5)),
                                   control_grid(w.beta, (0.0, 1.0))]
    return w


@pytest.fixture()
def vae():
    return VAECodeExplainer(cs.CodeSpaceSettings(kind="vae", beta=1.0, **FAST), frame_delay=0.0)


def packed_id(model) -> str:
    return packed_models([model])[0][0]


def test_the_kind_and_its_script_are_registered():
    assert "code_axis" in KINDS and "live_code_axis.js" in LIVE_SCRIPTS
    assert 'register("code_axis"' in live_script()


def test_the_figure_names_the_pair_label_and_the_panels_the_page_points_at(vae):
    assert (trace(vae.fig, "codes").xaxis, trace(vae.fig, "codes").yaxis) == ("x", "y")
    assert (trace(vae.fig, "lit fraction").xaxis, trace(vae.fig, "lit fraction").yaxis) == (
        "x4", "y4")
    labels = [a for a in vae.fig.layout.annotations if a.name == plots.PAIR_LABEL]
    assert [a.text for a in labels] == [plots.MIDPOINT_LABEL]


def test_every_combination_of_the_grid_names_its_model(noisy, monkeypatch):
    monkeypatch.setattr(widget_module, "LIVE_TRAINING_SETS", ("two_moons", "phases"))
    (figure,) = noisy.live_figures()
    assert figure.kind == "code_axis" and figure.figure == 0
    choose = figure.spec["choose"]
    assert choose["sliders"] == ["train on", "noise scale", "KL pull beta"]
    assert choose["defaults"] == ["two moons (full, half)", "0.5", "1.0"]
    table = choose["table"]
    assert len(table) == 8 and set(table.values()) <= set(figure.models)
    for training_set, label in (("two_moons", "two moons (full, half)"),
                                ("phases", PHASES)):
        for noise, beta in ((0.0, 0.0), (0.0, 1.0), (0.5, 0.0), (0.5, 1.0)):
            # no noise: the plain AE, whatever beta says
            settings = cs.CodeSpaceSettings(training_set, kind="noisy_ae", noise_scale=noise,
                                            beta=beta if noise else 0.0, **FAST)
            key = f"{label}|{noise:.1f}|{beta:.1f}"
            assert table[key] == packed_id(noisy.models.model(settings)), key
    # the plain AE packed once per training set: 6 distinct models
    assert len(figure.models) == 6
    assert all(m["kind"] in ("ae", "noisy_ae") and set(m) >= {"decoder"} and "encoder" not in m
               for m in figure.models.values())
    json.dumps(figure.to_dict())  # JSON-able as the page stores it


def test_the_page_carries_the_models_of_the_live_training_sets_only(vae):
    """02's page carries the two moons' models (all of both sets' went over 15 MB)."""
    assert widget_module.LIVE_TRAINING_SETS == ("two_moons",)
    (figure,) = vae.live_figures()
    table = figure.spec["choose"]["table"]
    assert len(table) == 8 and len(figure.models) == 8
    assert all(key.startswith("two moons (full, half)|") for key in table)
    assert table["two moons (full, half)|1.00"] == packed_id(vae.models.model(vae.settings))


def test_the_grid_reuses_the_models_the_states_trained(noisy, monkeypatch):
    for ts in ("two_moons", "phases"):
        for noise in (0.0, 0.5):
            for beta in (0.0, 1.0):
                noisy.training_set.value, noisy.noise_scale.value = ts, noise
                noisy.beta.value = beta
    trained = []
    monkeypatch.setattr(cs, "explore_code_space", lambda s, **k: trained.append(s))
    noisy.live_figures()
    assert trained == []


def test_the_spec_gives_the_reference_moons_and_the_pair_layout(vae):
    (figure,) = vae.live_figures()
    spec = figure.spec
    refs = np.array(spec["references"])
    assert refs.shape == (3, 784)
    assert np.abs(refs - cs.reference_moons().numpy()).max() < 1e-6
    # lit = sum x / lit_reference, as lit_fraction
    assert np.allclose(refs.sum(axis=1) / spec["lit_reference"], lit_fraction(refs), atol=1e-6)
    assert spec["tile"] == {"side": 28, "pad": plots.PAIR_GAP}
    assert spec["axes"] == [["x", "y"], ["x4", "y4"]]
    assert spec["colours"]["marks"] == [*plots.DISTANCE_COLOURS, plots.LIT_COLOUR]
    for name in spec["traces"].values():
        trace(vae.fig, name)  # each names a trace of the figure


def test_jupyterlab_gets_the_shown_model_and_none_while_training_replays(vae, monkeypatch):
    live = vae.fig.live
    assert live["kind"] == "code_axis"
    assert live["spec"]["model"] == packed_id(vae.models.model(vae.settings))
    assert list(live["spec"]["models"]) == [live["spec"]["model"]]
    vae.beta.value = 0.5
    assert vae.fig.live["spec"]["model"] == packed_id(
        vae.models.model(cs.CodeSpaceSettings(kind="vae", beta=0.5, **FAST)))
    seen = []
    draw = vae.draw
    monkeypatch.setattr(vae, "draw", lambda space, **k: (seen.append(dict(vae.fig.live)),
                                                         draw(space, **k)))
    vae.replay.click()
    assert seen and all(s == {} for s in seen)
    assert vae.fig.live["spec"]["model"] == packed_id(vae.models.model(vae.settings))
