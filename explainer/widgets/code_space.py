"""Sliders that retrain a 1-D-code model live and redraw its code axis.

- :class:`NoisyCodeExplainer`: the noise scale (0 = plain AE) and the KL pull beta of
  the noisy AE, on the two moons or on a continuum of phases.
- :class:`VAECodeExplainer`: the VAE's KL weight beta (0 upward); the bands are drawn
  from the learned variance.

Both have a "replay training" button that animates the code axis organising itself
(frames measured through ``fit``'s callback). The mathematics is in
:mod:`explainer.code_space`, the figure in :mod:`explainer.plots.code_space`.
"""

from __future__ import annotations

import dataclasses
import time

import ipywidgets as widgets

from explainer import code_space
from explainer.plots import code_space as plots
from explainer.validation import check_real
from explainer.widgets.base import Explainer, float_slider
from explainer.widgets.controls import ControlGrid, control_grid
from explainer.widgets.figure import SharedFigureWidget, apply_updates

TRAINING_SET_LABELS = (("two moons (full, half)", "two_moons"),
                       (f"{code_space.DEFAULT_PHASES} phases (full ... half)", "phases"))


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
        _, self.space = code_space.explore_code_space(settings)
        self.fig = SharedFigureWidget(plots.code_space_figure(self.space))
        self._show_status(self.space)
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

    # subclasses give the fields their sliders set
    def slider_settings(self) -> dict:
        raise NotImplementedError

    def retrain(self) -> None:
        """Train a new model with the controls' values and redraw every trace."""
        self.settings = dataclasses.replace(self.settings, training_set=self.training_set.value,
                                            **self.slider_settings())
        _, self.space = code_space.explore_code_space(self.settings)
        self.draw(self.space)

    def draw(self, space: code_space.CodeSpace, *, step: int | None = None) -> None:
        """Copy ``space``'s trace data into the figure (one message)."""
        layout = plots.code_space_layout(space)
        if step is not None:
            layout["title.text"] = f"training step {step}: {layout['title.text']}"
        apply_updates(self.fig, plots.code_space_updates(space), layout)
        self._show_status(space)

    def play_training(self) -> None:
        """Replay training with the current settings, one frame every 10 steps."""
        frames = code_space.training_replay(self.settings, every=10)
        self.frames = frames
        for step, space in frames:
            self.draw(space, step=step)
            if self.frame_delay:
                time.sleep(self.frame_delay)
        self.space = frames[-1][1]

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

    def slider_settings(self) -> dict:
        noise = self.noise_scale.value
        return {"noise_scale": noise, "beta": self.beta.value if noise > 0 else 0.0}

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

    def slider_settings(self) -> dict:
        return {"beta": self.beta.value}
