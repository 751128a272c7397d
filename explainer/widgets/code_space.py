"""Sliders that retrain a 1-D-code model live and redraw its code axis.

- :class:`NoisyCodeExplainer`: the noise scale (0 = plain AE) and the KL pull beta of
  the noisy AE, on the two moons or on a continuum of phases.
- :class:`VAECodeExplainer`: the VAE's KL weight beta (0 upward); the bands are drawn
  from the learned variance.

Both have a "replay training" button that animates the code axis organising itself
(frames measured through ``fit``'s callback). The mathematics is in
:mod:`explainer.code_space`, the figure in :mod:`explainer.plots.code_space`; the models
trained so far are kept by :class:`explainer.code_models.TrainedCodeModels`.

In the page (``live_figures``, kind "code_axis", ``live_code_axis.js``) and in JupyterLab
(``self.fig.live``), pointing along the code axis decodes the code under the pointer with
the shown model, in the browser: every model of the sliders' grid is inlined in the page.
"""

from __future__ import annotations

import dataclasses
import itertools
import time

import ipywidgets as widgets
import numpy as np

from explainer import code_space
from explainer.code_models import TrainedCodeModels
from explainer.data import FULL_MOON, render_moon
from explainer.plots import code_space as plots
from explainer.validation import check_real
from explainer.widgets.base import Explainer, float_slider
from explainer.widgets.controls import ControlGrid, control_grid
from explainer.widgets.figure import SharedFigureWidget, apply_updates
from explainer.widgets.live import LiveFigure, packed_models

TRAINING_SET_LABELS = (("two moons (full, half)", "two_moons"),
                       (f"{code_space.DEFAULT_PHASES} phases (full ... half)", "phases"))
# The training sets whose models a page carries. Every model of both sets' grids (50 noisy
# AEs and 16 VAEs, 134 kB each as packed text) would make 02's page 18.0 MB, over the pages'
# 15 MB limit (tests/browser/test_html_export.py); the two moons' 33 models make it 13.5 MB
# (9.1 MB without). On the phases the page's pointer decodes nothing; JupyterLab decodes
# every model (the shown one is sent to the figure).
LIVE_TRAINING_SETS = ("two_moons",)


class _CodeAxisExplainer(Explainer):
    """Shared: training-set toggle, replay button, the figure and its refresh.

    ``self.settings`` (a :class:`~explainer.code_space.CodeSpaceSettings`) is the model
    shown; the controls change its fields and every change trains the model it names.
    """

    KIND: str  # the settings' kind each subclass shows

    def __init__(self, settings: code_space.CodeSpaceSettings, *, frame_delay: float) -> None:
        super().__init__()
        self.settings = settings
        self.frame_delay = check_real("frame_delay", frame_delay, low=0.0, high=5.0)
        self.training_set = widgets.ToggleButtons(options=TRAINING_SET_LABELS,
                                                  value=settings.training_set,
                                                  description="train on")
        self.replay = widgets.Button(description="replay training", icon="play",
                                     tooltip="animate the code axis during training")
        self.status = widgets.HTML()
        self.models = TrainedCodeModels()
        self.space = self.models.space(settings)
        self.fig = SharedFigureWidget(plots.code_space_figure(self.space))
        self._show_status(self.space)
        self._sync_live()
        self.on_change(self.training_set, lambda _v: self.retrain())
        self.on_click(self.replay, self.play_training)

    @classmethod
    def _settings(cls, settings: object, default: code_space.CodeSpaceSettings
                  ) -> code_space.CodeSpaceSettings:
        """``settings`` (``default`` if None), refused unless they are of this widget's kind."""
        if settings is None:
            return default
        if not isinstance(settings, code_space.CodeSpaceSettings):
            raise TypeError("settings must be an explainer.code_space.CodeSpaceSettings, got "
                            f"{type(settings).__name__}")
        if settings.kind != cls.KIND:
            raise ValueError(f"settings.kind must be {cls.KIND!r} for {cls.__name__}, "
                             f"got {settings.kind!r}")
        return settings

    # subclasses give their sliders and the settings' fields their values set
    def sliders(self) -> list[widgets.FloatSlider]:
        raise NotImplementedError

    def fields(self, values: tuple[float, ...]) -> dict:
        raise NotImplementedError

    def slider_settings(self) -> dict:
        return self.fields(tuple(s.value for s in self.sliders()))

    def retrain(self) -> None:
        """Train a new model with the controls' values (or take the one trained before
        for them) and redraw every trace."""
        self.settings = dataclasses.replace(self.settings, training_set=self.training_set.value,
                                            **self.slider_settings())
        self.space = self.models.space(self.settings)
        self.draw(self.space)
        self._sync_live()

    def draw(self, space: code_space.CodeSpace, *, step: int | None = None) -> None:
        """Copy ``space``'s trace data into the figure (one message)."""
        layout = plots.code_space_layout(space)
        if step is not None:
            layout["title.text"] = f"training step {step}: {layout['title.text']}"
        apply_updates(self.fig, plots.code_space_updates(space), layout)
        self._show_status(space)

    def play_training(self) -> None:
        """Replay training with the current settings, one frame every 10 steps, each drawn
        as soon as it is measured and at least ``frame_delay`` s after the one before (the
        pointer decodes nothing meanwhile: the frames are not the trained model)."""
        self.fig.live = {}
        shown = [float("-inf")]  # when the last frame was drawn (time.monotonic)

        def show(step: int, space: code_space.CodeSpace) -> None:
            time.sleep(max(0.0, shown[0] + self.frame_delay - time.monotonic()))
            self.draw(space, step=step)
            shown[0] = time.monotonic()

        self.frames = code_space.training_replay(self.settings, every=10, on_frame=show)
        self.space = self.frames[-1][1]
        self._sync_live()

    # ----------------------------------------------------------------- in the page
    def live_figures(self) -> list[LiveFigure]:
        """The code axis decoded under the pointer in the page, for every model of the
        sliders' grid on :data:`LIVE_TRAINING_SETS` (decoders inlined): the page chooses the
        model by the sliders' labels."""
        grids = self.exported_controls()  # the training set first, then self.sliders()
        keys, models = [], []
        for combo in itertools.product(*(range(len(g.values)) for g in grids)):
            values = [g.values[i] for g, i in zip(grids, combo)]
            if values[0] not in LIVE_TRAINING_SETS:
                continue
            settings = dataclasses.replace(self.settings, training_set=values[0],
                                           **self.fields(tuple(values[1:])))
            keys.append("|".join(g.labels[i] for g, i in zip(grids, combo)))
            models.append(self.models.model(settings))
        ids, packed = packed_models(models)
        spec = self._live_spec()
        spec["choose"] = {"sliders": [g.label for g in grids], "table": dict(zip(keys, ids)),
                          "defaults": [g.labels[g.default] for g in grids]}
        return [LiveFigure("code_axis", 0, spec, models=packed)]

    def _live_spec(self) -> dict:
        """The part of the in-page spec shared by a page and JupyterLab: the pair's trace and
        label, the panels that point at a code (the axis's, the distances'), the marks'
        colours and the reference moons."""
        references = code_space.reference_moons().numpy()
        # lit = sum x / sum (full moon), as explainer.data.lit_fraction
        lit_reference = float(render_moon(FULL_MOON, size=code_space.MOON_SIDE).sum())
        return {"traces": {"pair": "midpoint vs 3/4 moon"},
                "axes": [["x", "y"], ["x4", "y4"]],
                "annotation": plots.PAIR_LABEL, "label": plots.MIDPOINT_LABEL,
                "colours": {"code": plots.POINTER_COLOUR,
                            "marks": [*plots.DISTANCE_COLOURS, plots.LIT_COLOUR]},
                "references": np.round(references.astype(np.float64), 6).tolist(),
                "lit_reference": lit_reference,
                "tile": {"side": code_space.MOON_SIDE, "pad": plots.PAIR_GAP}}

    def _sync_live(self) -> None:
        """JupyterLab and Voila: the shown model's decoder for the figure's front end, which
        decodes the code under the pointer with no round trip to the kernel."""
        (key,), packed = packed_models([self.models.model(self.settings)])
        spec = self._live_spec()
        spec.update(model=key, models=packed)
        self.fig.live = {"kind": "code_axis", "spec": spec}

    def _show_status(self, space: code_space.CodeSpace) -> None:
        d = space.midpoint_distances
        self.status.value = (
            f"midpoint decode: RMS distance {d[0]:.2f} to the full moon, <b>{d[1]:.2f} to the "
            f"3/4 moon</b>, {d[2]:.2f} to the half moon; lit fraction {space.midpoint_lit:.2f}. "
            f"Closest decode on the axis to the 3/4 moon: {space.distances[:, 1].min():.2f}."
        )


class NoisyCodeExplainer(_CodeAxisExplainer):
    """Noise-scale slider (0 = plain AE) and KL-pull slider for the noisy AE.

    ``settings`` (kind ``"noisy_ae"``; by default the plain AE on the two moons) gives the
    controls' first values and the training schedule. With noise scale 0 there is no noise
    to pull in, so the beta slider is disabled and the model trained is the plain AE (the
    title says so).
    """

    KIND = "noisy_ae"

    def __init__(self, settings: code_space.CodeSpaceSettings | None = None, *,
                 frame_delay: float = 0.05) -> None:
        settings = self._settings(settings, code_space.CodeSpaceSettings(kind=self.KIND))
        self.noise_scale = float_slider(
            "noise_scale", settings.noise_scale, low=0.0, high=3.0, step=0.1,
            description="noise scale", continuous_update=False, readout_format=".1f")
        self.beta = float_slider(
            "beta", settings.beta, low=0.0, high=2.0, step=0.1, description="KL pull beta",
            continuous_update=False, readout_format=".1f", disabled=self.noise_scale.value == 0)
        super().__init__(settings, frame_delay=frame_delay)
        self.on_change(self.noise_scale, self._noise_changed)
        self.on_change(self.beta, lambda _v: self.retrain())
        self.ui = widgets.VBox([
            self.training_set,
            widgets.HBox([self.noise_scale, self.beta, self.replay]),
            self.status,
            self.fig,
            self.errors,
        ])

    def exported_controls(self) -> list[ControlGrid]:
        # each value retrains (~0.4 s): 2 x 7 x 4 = 56 models, every combination
        return [control_grid(self.training_set, key="data"),
                control_grid(self.noise_scale, (0.0, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0), key="noise"),
                control_grid(self.beta, (0.0, 0.5, 1.0, 2.0), key="beta")]

    def sliders(self) -> list[widgets.FloatSlider]:
        return [self.noise_scale, self.beta]

    def fields(self, values: tuple[float, ...]) -> dict:
        noise, beta = values
        # no noise, no KL pull: the plain AE, whatever the beta slider says
        return {"noise_scale": noise, "beta": beta if noise > 0 else 0.0}

    def _noise_changed(self, value: float) -> None:
        self.beta.disabled = value == 0
        self.retrain()


class VAECodeExplainer(_CodeAxisExplainer):
    """KL-weight slider for the VAE: at beta 0 the learned variance collapses.

    ``settings`` (kind ``"vae"``; by default beta 1 on the two moons) gives the controls'
    first values and the training schedule.
    """

    KIND = "vae"

    def __init__(self, settings: code_space.CodeSpaceSettings | None = None, *,
                 frame_delay: float = 0.05) -> None:
        settings = self._settings(settings, code_space.CodeSpaceSettings(kind=self.KIND, beta=1.0))
        self.beta = float_slider(
            "beta", settings.beta, low=0.0, high=2.0, step=0.05, description="KL weight beta",
            continuous_update=False, readout_format=".2f")
        super().__init__(settings, frame_delay=frame_delay)
        self.on_change(self.beta, lambda _v: self.retrain())
        self.ui = widgets.VBox([
            self.training_set,
            widgets.HBox([self.beta, self.replay]),
            self.status,
            self.fig,
            self.errors,
        ])

    def exported_controls(self) -> list[ControlGrid]:
        return [control_grid(self.training_set, key="data"),
                control_grid(self.beta, (0.0, 0.05, 0.1, 0.2, 0.5, 1.0, 1.5, 2.0), key="beta")]

    def sliders(self) -> list[widgets.FloatSlider]:
        return [self.beta]

    def fields(self, values: tuple[float, ...]) -> dict:
        (beta,) = values
        return {"beta": beta}
