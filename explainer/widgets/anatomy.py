"""Widgets for the VAE's insides: the live diagram of one digit, and the KL weight.

- :class:`DiagramExplorer`: pick a test digit (and a KL weight, given several VAEs), draw
  new noise, or set one dimension's noise by hand; the bars of m, sigma, e and c and the
  decoded image follow, in a kernel or in an exported page (``live_anatomy.js``).
- :class:`KLWeightExplorer`: a slider over the trained grid of KL weights; every
  value is measured once when the widget is built, so moving it only redraws.
- :class:`DecoderVarianceExplorer`: the Gaussian decoder's variance beside the KL weight,
  over a trained grid; models with the same sigma^2 beta are marked.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence

import ipywidgets as widgets
import numpy as np
import torch

from explainer import anatomy
from explainer.decoder_variance import VarianceWeightGrid
from explainer.models import Autoencoder
from explainer.plots import anatomy as plots
from explainer.train import TrainedModel
from explainer.validation import check_int, check_real, check_seed
from explainer.widgets.base import Explainer, float_slider
from explainer.widgets.controls import ControlGrid, control_grid
from explainer.widgets.figure import SharedFigureWidget, apply_updates
from explainer.widgets.live import LiveFigure, packed_models


class DiagramExplorer(Explainer):
    """Image011, live: a digit dropdown, a "draw new noise" button and an e slider; given
    several VAEs by KL weight ({beta: model}, e.g. ``anatomy.train_beta_grid``'s), a
    "KL weight" slider too.

    The slider covers e in [-3, 3]; a drawn e beyond that is kept as drawn, the slider
    shows the end of its range and the readings say so. In an exported page the figure runs
    itself (:meth:`live_figures`, ``live_anatomy.js``): every digit and KL weight, any e on
    the slider's 0.1 steps, and the kernel's first ``PAGE_DRAWS`` draws of new noise.
    """

    E_RANGE = (-3.0, 3.0)
    # draws of new noise a page carries (torch's, from the widget's seeds); later draws
    # come from the page's own generator, and the page says so
    PAGE_DRAWS = 100

    def __init__(self, model: Autoencoder | Mapping[float, Autoencoder | TrainedModel],
                 images: torch.Tensor, labels: torch.Tensor, *, n_choices: int = 20,
                 digits: Sequence[int] | None = None, seed: int = 0) -> None:
        super().__init__()
        self.models = _models_by_weight(model)
        if not 1 <= len(images) == len(labels):
            raise ValueError(f"images and labels must hold the same number (at least one) of "
                             f"digits, got {len(images)} images and {len(labels)} labels")
        n_choices = check_int("n_choices", n_choices, low=1)
        # the dropdown offers ``digits`` (indices into images) if given, else the first n_choices
        choices = (list(range(min(n_choices, len(images)))) if digits is None else
                   [check_int("digit", d, low=0, high=len(images) - 1) for d in digits])
        if not choices:
            raise ValueError("digits must name at least one image")
        self.images = images
        betas = list(self.models)
        start = 1.0 if 1.0 in self.models else betas[0]
        # one model: no slider (the attribute stays, so the code has one path)
        self.beta = widgets.SelectionSlider(options=[(f"{b:g}", b) for b in betas], value=start,
                                            description="KL weight")
        self.noise_state = anatomy.DiagramNoise(self.model.latent_dim, seed=seed)
        self._syncing = False
        options = [(f"test digit {i} (a {int(labels[i])})", i) for i in choices]
        self.digit = widgets.Dropdown(options=options, value=choices[0], description="digit")
        self.resample = widgets.Button(description="draw new noise", icon="random")
        self.dimension = widgets.Dropdown(
            options=[(f"dim {j + 1}", j) for j in range(self.model.latent_dim)], value=0,
            description="set e of")
        self.e_value = float_slider("e", self._slider_value(0), low=self.E_RANGE[0],
                                    high=self.E_RANGE[1], step=0.1, description="e =",
                                    readout_format=".1f")
        self.readings = widgets.HTML()
        self.fig = SharedFigureWidget(plots.diagram_figure(self.current()))
        self._show_readings()
        self.on_change(self.digit, lambda _v: self.redraw())
        self.on_change(self.beta, lambda _v: self.redraw())
        self.on_click(self.resample, self.draw_new_noise)
        self.on_change(self.dimension, self._select_dimension)
        self.on_change(self.e_value, self._set_noise)
        self.ui = widgets.VBox([
            widgets.HBox([self.digit, self.resample, *([self.beta] if len(betas) > 1 else [])]),
            widgets.HBox([self.dimension, self.e_value]),
            self.fig, self.readings, self.errors,
        ])

    @property
    def model(self) -> Autoencoder:
        """The VAE the diagram shows (the KL weight's)."""
        return self.models[self.beta.value]

    def exported_controls(self) -> list[ControlGrid]:
        # every digit and KL weight; the noise runs in the page itself (live_figures)
        return [control_grid(self.digit),
                *([control_grid(self.beta, key="beta")] if len(self.models) > 1 else [])]

    # ----------------------------------------------------------------- in the page
    def live_figures(self) -> list[LiveFigure]:
        """The diagram run in the page (``live_anatomy.js``): each offered digit (float32
        pixels) encoded by the KL weight's VAE (encoders and decoders inlined), the page's
        own noise controls, c = m + exp(s/2) e decoded, and the readings."""
        betas = list(self.models)
        ids, models = packed_models([self.models[b] for b in betas], parts=("decoder", "encoder"))
        beta = control_grid(self.beta)
        digit = control_grid(self.digit)
        d = self.model.latent_dim
        draws = anatomy.noise_draws(d, seed=self.noise_state.seed, n_draws=self.PAGE_DRAWS)
        spec = {
            "traces": {"input": plots.INPUT_IMAGE, "bars": list(plots.BAR_NAMES),
                       "decoded": plots.DECODED_IMAGE},
            "digit": {"slider": digit.label, "labels": list(digit.labels),
                      "default": digit.default,
                      "pixels": [float32_bytes(self.images[i]) for i in digit.values]},
            "model": {"slider": beta.label if len(betas) > 1 else None,
                      "table": dict(zip(beta.labels, ids)), "default": beta.labels[beta.default]},
            "noise": {"seed": self.noise_state.seed, "draws": float32_bytes(draws),
                      "n_draws": self.PAGE_DRAWS, "draw": self.noise_state.draws,
                      "e": [float(v) for v in self.noise],
                      "hand_set": list(self.noise_state.hand_set)},
            "dimension": self.dimension.value,
            # the readings are the explainer's only text readout (a page's div.readout 0)
            "readout": 0,
            "e_range": list(self.E_RANGE), "e_step": 0.1,
            "controls": {"resample": self.resample.description,
                         "dimension": self.dimension.description,
                         "e": self.e_value.description},
        }
        computed = (*((name, "y") for name in plots.BAR_NAMES), (plots.DECODED_IMAGE, "source"))
        return [LiveFigure("anatomy", 0, spec, models=models, computed=computed,
                           controls=(f'the "{self.resample.description}" button',
                                     f'"{self.dimension.description}"',
                                     f'"{self.e_value.description}"'))]

    @property
    def noise(self) -> np.ndarray:
        """The e the diagram shows (``noise_state.e``)."""
        return self.noise_state.e

    def current(self) -> anatomy.Diagram:
        return anatomy.diagram(self.model, self.images[self.digit.value], self.noise)

    def redraw(self) -> None:
        d = self.current()
        apply_updates(self.fig, plots.diagram_updates(d))
        self._show_readings(d)

    def draw_new_noise(self) -> None:
        self.noise_state.draw_new()
        self._sync_slider()
        self.redraw()

    def _select_dimension(self, _value: int) -> None:
        self._sync_slider()
        self._show_readings()

    def _slider_value(self, j: int) -> float:
        """Where the slider shows dimension ``j``'s e: on its 0.1 grid, at its end if e lies
        beyond (display only: the noise keeps its drawn value, the readings say so)."""
        return round(float(np.clip(self.noise[j], *self.E_RANGE)), 1)

    def _sync_slider(self) -> None:
        # show the chosen dimension's e without treating that as a hand-set value
        self._syncing = True
        try:
            self.e_value.value = self._slider_value(self.dimension.value)
        finally:
            self._syncing = False

    def _set_noise(self, value: float) -> None:
        if self._syncing:
            return
        self.noise_state.set(self.dimension.value, value)
        self.redraw()

    def _show_readings(self, d: anatomy.Diagram | None = None) -> None:
        d = d or self.current()
        r = anatomy.kl_readings(d.mean, d.logvar)
        self.readings.value = (
            f"tutorial's Minimize2 = {r['minimize2']:.3f}; "
            f"KL if s is the log-variance = {r['kl_log_variance']:.3f} "
            f"(torch.distributions: {r['torch_log_variance']:.3f}); "
            f"KL if s is the log-std = {r['kl_log_std']:.3f}"
            f"<br>{self.noise_state.describe()}")
        j = self.dimension.value
        low, high = self.E_RANGE
        if not low <= self.noise[j] <= high:
            self.readings.value += (f"<br>dim {j + 1}'s e is {self.noise[j]:.2f}, beyond the "
                                    f"slider's range [{low:g}, {high:g}]: the slider shows "
                                    f"{self._slider_value(j):g}")


def _models_by_weight(model: object) -> dict[float, Autoencoder]:
    """``model`` (one VAE, or {KL weight: VAE or TrainedModel}) as {beta: Autoencoder},
    sorted by weight."""
    if isinstance(model, Autoencoder):
        return {float(model.config.beta): model}
    if not isinstance(model, Mapping) or not model:
        raise TypeError("model must be an explainer.models.Autoencoder or a non-empty "
                        f"{{KL weight: model}} mapping, got {type(model).__name__}")
    out = {}
    for beta, m in sorted(model.items()):
        m = m.model if isinstance(m, TrainedModel) else m
        if not isinstance(m, Autoencoder):
            raise TypeError("model must be an explainer.models.Autoencoder or a non-empty "
                            f"{{KL weight: model}} mapping; at {beta!r}: {type(m).__name__}")
        out[check_real("KL weight", beta, low=0.0)] = m
    if len({m.latent_dim for m in out.values()}) != 1:
        raise ValueError("the models must share one code size, got "
                         f"{sorted({m.latent_dim for m in out.values()})}")
    return out


def float32_bytes(values: object) -> str:
    """``values`` as base64 of their float32 bytes, little-endian (the page reads them back
    exactly)."""
    a = np.asarray(values.detach() if isinstance(values, torch.Tensor) else values)
    return base64.b64encode(a.astype("<f4").tobytes()).decode("ascii")


class KLWeightExplorer(Explainer):
    """A slider over the trained KL weights; each is measured once, then only redrawn."""

    def __init__(self, trained: dict, x_test: torch.Tensor, *, seed: int = 0) -> None:
        super().__init__()
        if not isinstance(trained, dict) or not trained:
            raise ValueError("trained must hold at least one {beta: TrainedModel} entry, "
                             f"got {trained!r}")
        seed = check_seed(seed)
        self.summaries = {beta: anatomy.summarize(t, x_test, seed=seed)
                          for beta, t in sorted(trained.items())}
        betas = list(self.summaries)
        start = 1.0 if 1.0 in self.summaries else betas[0]
        self.beta = widgets.SelectionSlider(options=[(f"{b:g}", b) for b in betas], value=start,
                                            description="KL weight")
        self.fig = SharedFigureWidget(plots.beta_figure(self.summaries[start]))
        self.on_change(self.beta, self.show)
        self.ui = widgets.VBox([self.beta, self.fig, self.errors])

    def exported_controls(self) -> list[ControlGrid]:
        return [control_grid(self.beta, key="beta")]

    def show(self, beta: float) -> None:
        summary = self.summaries[beta]
        apply_updates(self.fig, plots.beta_updates(summary),
                      {"title.text": plots.beta_title(summary)})


class DecoderVarianceExplorer(Explainer):
    """Two sliders over the trained grid of Gaussian-decoder VAEs: the decoder variance
    sigma^2 and the KL weight beta. The state is a :class:`VarianceWeightGrid`; the figure
    marks the selected model and every model with the same sigma^2 beta."""

    def __init__(self, grid: VarianceWeightGrid) -> None:
        super().__init__()
        if not isinstance(grid, VarianceWeightGrid):
            raise TypeError("grid must be an explainer.decoder_variance.VarianceWeightGrid, got "
                            f"{type(grid).__name__}")
        self.grid = grid
        self.variance = widgets.SelectionSlider(options=[(f"{v:g}", v) for v in grid.variances],
                                                value=grid.variance, description="sigma^2")
        self.beta = widgets.SelectionSlider(options=[(f"{b:g}", b) for b in grid.betas],
                                            value=grid.beta, description="KL weight")
        self.readout = widgets.HTML()
        self.fig = SharedFigureWidget(plots.variance_figure(grid.current, grid.equivalents(),
                                                            list(grid.points.values())))
        self._show_readout()
        self.on_change(self.variance, lambda _v: self.show())
        self.on_change(self.beta, lambda _v: self.show())
        self.ui = widgets.VBox([widgets.HBox([self.variance, self.beta]), self.fig, self.readout,
                                self.errors])

    def exported_controls(self) -> list[ControlGrid]:
        return [control_grid(self.variance, key="variance"), control_grid(self.beta, key="beta")]

    def show(self) -> None:
        point = self.grid.select(self.variance.value, self.beta.value)
        equivalents = self.grid.equivalents()
        apply_updates(self.fig,
                      plots.variance_updates(point, equivalents, list(self.grid.points.values())),
                      {"title.text": plots.variance_title(point, equivalents)})
        self._show_readout()

    def _show_readout(self) -> None:
        p = self.grid.current
        self.readout.value = (f"SSE / (2 sigma^2) + beta KL has the minimiser of SSE + "
                              f"2 sigma^2 beta KL: here 2 sigma^2 beta = {2 * p.product:g}")
