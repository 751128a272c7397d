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

import time

import ipywidgets as widgets

from explainer import code_space
from explainer.plots import code_space as plots
from explainer.validation import check_choice, check_int, check_real
from explainer.widgets.base import Explainer, float_slider
from explainer.widgets.controls import ControlGrid, control_grid
from explainer.widgets.figure import SharedFigureWidget

TRAINING_SET_LABELS = (("two moons (full, half)", "two_moons"),
                       (f"{code_space.DEFAULT_PHASES} phases (full ... half)", "phases"))


class _CodeAxisExplainer(Explainer):
    """Shared: training-set toggle, replay button, the figure and its refresh."""

    kind: str

    def __init__(self, *, training_set: str, seed: int, frame_delay: float, steps: int,
                 hidden_dim: int) -> None:
        super().__init__()
        self.steps = check_int("steps", steps, low=1, high=10_000)
        self.hidden_dim = check_int("hidden_dim", hidden_dim, low=1, high=4096)
        check_choice("training_set", training_set, code_space.TRAINING_SETS)
        self.seed = check_int("seed", seed, low=0)
        self.frame_delay = check_real("frame_delay", frame_delay, low=0.0, high=5.0)
        self.training_set = widgets.ToggleButtons(options=TRAINING_SET_LABELS, value=training_set,
                                                  description="train on")
        self.replay = widgets.Button(description="replay training", icon="play",
                                     tooltip="animate the code axis during training")
        self.status = widgets.HTML()
        self.result, self.space = self._train()
        self.fig = SharedFigureWidget(plots.code_space_figure(self.space))
        self._show_status(self.space)
        self.on_change(self.training_set, lambda _v: self.retrain())
        self.on_click(self.replay, self.play_training)

    # subclasses give the model's settings from their sliders
    def settings(self) -> dict:
        raise NotImplementedError

    def _train(self):
        return code_space.explore_code_space(self.training_set.value, seed=self.seed,
                                             steps=self.steps, hidden_dim=self.hidden_dim,
                                             **self.settings())

    def retrain(self) -> None:
        """Train a new model with the controls' values and redraw every trace."""
        self.result, self.space = self._train()
        self.draw(self.space)

    def draw(self, space: code_space.CodeSpace, *, step: int | None = None) -> None:
        """Copy ``space``'s trace data into the figure (one message)."""
        updates = plots.code_space_updates(space)
        layout = plots.code_space_layout(space)
        if step is not None:
            layout["title.text"] = f"training step {step}: {layout['title.text']}"
        with self.fig.batch_update():
            for name, data in updates.items():
                self.trace(name).update(**data)
            self.fig.layout.update(layout)
        self._show_status(space)

    def trace(self, name: str):
        """The figure's trace called ``name`` (one of ``plots.TRACE_NAMES``)."""
        found = list(self.fig.select_traces(selector=dict(name=name)))
        if len(found) != 1:
            raise KeyError(f"the figure has {len(found)} traces named {name!r}")
        return found[0]

    def play_training(self) -> None:
        """Replay training with the current settings, one frame every 10 steps."""
        frames = code_space.training_replay(self.training_set.value, seed=self.seed,
                                            steps=self.steps, hidden_dim=self.hidden_dim,
                                            every=10, **self.settings())
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

    With noise scale 0 there is no noise to pull in, so the beta slider is disabled and
    the model trained is the plain AE (the title says so).
    """

    kind = "noisy_ae"

    def __init__(self, *, training_set: str = "two_moons", noise_scale: float = 0.0,
                 beta: float = 0.0, seed: int = 0, frame_delay: float = 0.05,
                 steps: int = code_space.DEFAULT_STEPS,
                 hidden_dim: int = code_space.DEFAULT_HIDDEN) -> None:
        self.noise_scale = float_slider(
            "noise_scale", noise_scale, low=0.0, high=3.0, step=0.1, description="noise scale",
            continuous_update=False, readout_format=".1f")
        self.beta = float_slider(
            "beta", beta, low=0.0, high=2.0, step=0.1, description="KL pull beta",
            continuous_update=False, readout_format=".1f", disabled=self.noise_scale.value == 0)
        super().__init__(training_set=training_set, seed=seed, frame_delay=frame_delay,
                         steps=steps, hidden_dim=hidden_dim)
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
        return [control_grid(self.training_set),
                control_grid(self.noise_scale, (0.0, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0)),
                control_grid(self.beta, (0.0, 0.5, 1.0, 2.0))]

    def settings(self) -> dict:
        noise = self.noise_scale.value
        return {"kind": "noisy_ae", "noise_scale": noise,
                "beta": self.beta.value if noise > 0 else 0.0}

    def _noise_changed(self, value: float) -> None:
        self.beta.disabled = value == 0
        self.retrain()


class VAECodeExplainer(_CodeAxisExplainer):
    """KL-weight slider for the VAE: at beta 0 the learned variance collapses."""

    kind = "vae"

    def __init__(self, *, training_set: str = "two_moons", beta: float = 1.0, seed: int = 0,
                 frame_delay: float = 0.05, steps: int = code_space.DEFAULT_STEPS,
                 hidden_dim: int = code_space.DEFAULT_HIDDEN) -> None:
        self.beta = float_slider(
            "beta", beta, low=0.0, high=2.0, step=0.05, description="KL weight beta",
            continuous_update=False, readout_format=".2f")
        super().__init__(training_set=training_set, seed=seed, frame_delay=frame_delay,
                         steps=steps, hidden_dim=hidden_dim)
        self.on_change(self.beta, lambda _v: self.retrain())
        self.ui = widgets.VBox([
            self.training_set,
            widgets.HBox([self.beta, self.replay]),
            self.status,
            self.fig,
            self.errors,
        ])

    def exported_controls(self) -> list[ControlGrid]:
        return [control_grid(self.training_set),
                control_grid(self.beta, (0.0, 0.05, 0.1, 0.2, 0.5, 1.0, 1.5, 2.0))]

    def settings(self) -> dict:
        return {"kind": "vae", "beta": self.beta.value}
