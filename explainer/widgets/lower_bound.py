"""Widgets for the lower bound: move q and watch the exact split of log p(x); press the
encoder and decoder buttons and watch Lb climb from a poor q; move K and watch one MNIST
digit's importance weights (their spread, their effective sample size, their estimate of
log p(x)). No mathematics here: every number comes from ``explainer.elbo``,
``explainer.nonlinear_posterior`` and ``explainer.marginal_likelihood``.
"""

from __future__ import annotations

import ipywidgets as widgets
import numpy as np
import plotly.graph_objects as go
import torch

from explainer import elbo, nonlinear_posterior
from explainer.marginal_likelihood import DigitImportanceWeights
from explainer.plots import lower_bound as plots
from explainer.validation import check_choice, check_finite_array
from explainer.widgets.base import Explainer, float_slider, int_slider
from explainer.widgets.controls import ControlGrid, control_grid
from explainer.widgets.figure import SharedFigureWidget

Z_VIEW = np.linspace(-4.0, 4.0, 401)
IMPORTANCE_KS = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000)


def _trace(fig: go.FigureWidget, name: str) -> go.Scatter | go.Bar:
    """The trace of ``fig`` called ``name`` (the figure builders name every trace)."""
    found = list(fig.select_traces(selector=dict(name=name)))
    if len(found) != 1:
        raise LookupError(f"the figure must hold one trace named {name!r}, found {len(found)}")
    return found[0]


def _redraw_bars(fig: go.FigureWidget, terms: elbo.BoundTerms, *, axis: str) -> None:
    """Set every waterfall segment and both level lines (found by name) to ``terms``, and
    the bars' axis (layout key ``axis``) to fit them."""
    for seg in plots.bound_bar_segments(terms):
        bar = _trace(fig, seg["name"])
        bar.y = [seg["height"]]
        bar.base = [seg["base"]]
        bar.text = [seg["text"]]
    _trace(fig, plots.LOWER_BOUND_LEVEL).y = plots.lower_bound_level(terms)["y"]
    _trace(fig, plots.LOG_MARGINAL_LEVEL).y = plots.log_marginal_level(terms)["y"]
    fig.layout[axis].range = plots.bar_axis_range(terms)


def _check_instance(name: str, value: object, kind: type) -> None:
    """Raise unless ``value`` is None (the default) or a ``kind``."""
    if value is not None and not isinstance(value, kind):
        raise TypeError(f"{name} must be an elbo.{kind.__name__} or None, got {type(value).__name__}")


class BoundSplitExplorer(Explainer):
    """Sliders for the observed x and q's mean and log sigma (q = N(mu, sigma^2)); the figure
    shows q against the exact posterior, and two bars: log p(x) = Lb + KL(q || p(z|x)), and
    Lb = -Minimize1 - Minimize2/2 (the tutorial's two losses), all in closed form.
    """

    def __init__(
        self,
        decoder: elbo.LinearGaussianDecoder | None = None,
        *,
        x: float = 2.0,
        mean: float = -1.0,
        log_std: float = 0.0,
    ) -> None:
        super().__init__()
        _check_instance("decoder", decoder, elbo.LinearGaussianDecoder)
        self.decoder = decoder or elbo.LinearGaussianDecoder(weight=1.5, bias=0.0, variance=0.5)
        style = dict(continuous_update=True, readout_format=".2f",
                     layout=widgets.Layout(width="420px"))
        self.x = float_slider("x", x, low=-4.0, high=4.0, step=0.05,
                              description="observed x", **style)
        self.mean = float_slider("mean", mean, low=-3.0, high=3.0, step=0.02,
                                 description="q mean μ", **style)
        self.log_std = float_slider("log_std", log_std, low=-2.5, high=1.0, step=0.02,
                                    description="q log σ", **style)
        self.fig = SharedFigureWidget(plots.bound_split_figure(
            Z_VIEW, posterior_density=self.posterior_density(), q_density=self.q_density(),
            terms=self.terms()))
        self.on_change(self.x, lambda _v: self.redraw(posterior=True))
        self.on_change(self.mean, lambda _v: self.redraw(posterior=False))
        self.on_change(self.log_std, lambda _v: self.redraw(posterior=False))
        self.ui = widgets.VBox([self.x, self.mean, self.log_std, self.fig, self.errors])

    def exported_controls(self) -> list[ControlGrid]:
        return [control_grid(self.x, n_steps=33), control_grid(self.mean, n_steps=31),
                control_grid(self.log_std, n_steps=29)]

    def q(self) -> elbo.GaussianQ:
        return elbo.GaussianQ(self.mean.value, self.log_std.value)

    def terms(self) -> elbo.BoundTerms:
        return elbo.bound_terms(self.x.value, q=self.q(), decoder=self.decoder)

    def posterior_density(self) -> np.ndarray:
        post = elbo.posterior(self.x.value, decoder=self.decoder)
        return elbo.normal_density(Z_VIEW, mean=float(post.mean), log_std=float(post.log_std))

    def q_density(self) -> np.ndarray:
        return elbo.normal_density(Z_VIEW, mean=self.mean.value, log_std=self.log_std.value)

    def redraw(self, *, posterior: bool) -> None:
        terms = self.terms()
        q_density = self.q_density()
        post_density = self.posterior_density() if posterior else None
        with self.fig.batch_update():
            if post_density is not None:
                _trace(self.fig, plots.POSTERIOR_TRACE).y = post_density
            _trace(self.fig, plots.Q_TRACE).y = q_density
            _redraw_bars(self.fig, terms, axis=plots.BOUND_SPLIT_BAR_AXIS)
            self.fig.layout.title.text = plots.bound_summary(terms)

    def static_figure(self) -> go.Figure:
        """The figure as it stands, as a plain ``go.Figure`` (for reading without a kernel)."""
        return plots.bound_split_figure(Z_VIEW, posterior_density=self.posterior_density(),
                                        q_density=self.q_density(), terms=self.terms())


class EncoderDecoderAscent(Explainer):
    """Buttons: "encoder step" climbs Lb in every q (log p(X) stays put, the gap shrinks);
    "decoder step" climbs Lb in (w, b, log v) with the q's fixed (Lb rises; log p(X) may
    rise or fall, since the gap changes too);
    "alternate" runs ``rounds`` of both; "reset" starts again. The trace shows log p(X)
    and Lb after every step, and the highest log p(X) any linear-Gaussian decoder reaches.

    The start: the decoder (w, b, v) = (0.3, -1, 4) and a poor q, every q_i = N(-1, e^-2)
    (POOR_Q_MEAN, POOR_Q_LOG_STD), far from the posteriors: a gap of several nats that
    the first encoder step closes.
    """

    POOR_Q_MEAN = -1.0
    POOR_Q_LOG_STD = -1.0

    def __init__(
        self,
        x: np.ndarray,
        *,
        decoder: elbo.LinearGaussianDecoder | None = None,
        q: elbo.GaussianQ | None = None,
    ) -> None:
        super().__init__()
        _check_instance("decoder", decoder, elbo.LinearGaussianDecoder)
        _check_instance("q", q, elbo.GaussianQ)
        self.data = check_finite_array("x", x)
        self.initial_decoder = decoder or elbo.LinearGaussianDecoder(0.3, -1.0, 4.0)
        self.initial_q = q or elbo.GaussianQ(np.full_like(self.data, self.POOR_Q_MEAN),
                                             np.full_like(self.data, self.POOR_Q_LOG_STD))
        self.ceiling = elbo.max_log_likelihood(self.data)
        self.encoder_button = widgets.Button(
            description="encoder step",
            tooltip="one step on Lb in every q_i, the decoder fixed: the gap shrinks, "
                    "log p(X) stays")
        self.decoder_button = widgets.Button(
            description="decoder step",
            tooltip="one step on Lb in the decoder (w, b, log v), every q_i fixed: "
                    "log p(X) moves")
        self.alternate_button = widgets.Button(
            description="alternate",
            tooltip="run 'rounds' rounds, each an encoder step then a decoder step")
        self.reset_button = widgets.Button(
            description="reset", tooltip="back to the start: the poor q and the first decoder")
        self.rounds = int_slider("rounds", 5, low=1, high=50, description="rounds",
                                 tooltip="how many (encoder step, decoder step) rounds "
                                         "one press of 'alternate' runs")
        self.reset_state()
        self.fig = SharedFigureWidget(plots.ascent_figure(
            self.terms(), steps=self.steps, log_marginal=self.log_marginal_trace,
            lower_bound=self.lower_bound_trace, ceiling=self.ceiling))
        self.on_click(self.encoder_button, self.encoder_step)
        self.on_click(self.decoder_button, self.decoder_step)
        self.on_click(self.alternate_button, self.alternate)
        self.on_click(self.reset_button, self.reset)
        buttons = widgets.HBox([self.encoder_button, self.decoder_button, self.alternate_button,
                                self.rounds, self.reset_button])
        self.ui = widgets.VBox([buttons, self.fig, self.errors])

    def reset_state(self) -> None:
        self.decoder = self.initial_decoder
        self.q = self.initial_q
        t = self.terms()
        self.steps = [0]
        self.log_marginal_trace = [t.log_marginal]
        self.lower_bound_trace = [t.lower_bound]

    def terms(self) -> elbo.BoundTerms:
        return elbo.bound_terms(self.data, q=self.q, decoder=self.decoder)

    def _record(self, step: elbo.AscentStep) -> None:
        self.q, self.decoder = step.q, step.decoder
        t = self.terms()
        self.steps.append(self.steps[-1] + 1)
        self.log_marginal_trace.append(t.log_marginal)
        self.lower_bound_trace.append(t.lower_bound)

    def encoder_step(self) -> None:
        self._record(elbo.encoder_step(self.data, q=self.q, decoder=self.decoder))
        self.redraw()

    def decoder_step(self) -> None:
        self._record(elbo.decoder_step(self.data, q=self.q, decoder=self.decoder))
        self.redraw()

    def alternate(self) -> None:
        for _ in range(self.rounds.value):
            self._record(elbo.encoder_step(self.data, q=self.q, decoder=self.decoder))
            self._record(elbo.decoder_step(self.data, q=self.q, decoder=self.decoder))
        self.redraw()

    def reset(self) -> None:
        self.reset_state()
        self.redraw()

    def redraw(self) -> None:
        terms = self.terms()
        with self.fig.batch_update():
            _redraw_bars(self.fig, terms, axis=plots.ASCENT_BAR_AXIS)
            log_px = _trace(self.fig, plots.LOG_MARGINAL_CURVE)
            log_px.x, log_px.y = self.steps, self.log_marginal_trace
            lb = _trace(self.fig, plots.LOWER_BOUND_CURVE)
            lb.x, lb.y = self.steps, self.lower_bound_trace
            _trace(self.fig, plots.CEILING_LINE).x = [0, max(1, self.steps[-1])]
            self.fig.layout.title.text = plots.bound_summary(terms)


class ImportanceSamplingExplorer(Explainer):
    """A K slider (1 to 1,000 draws): one digit's importance weights as K grows, from log
    weights drawn once (seeded) before: the histogram of the first K draws' normalised
    weights, their effective sample size, and their estimate log (1/K) sum w of log p(x)
    beside the ELBO (Burda et al., 2016). The numbers come from
    ``marginal_likelihood.DigitImportanceWeights``.
    """

    def __init__(self, log_weights: torch.Tensor, *, k: int = 1, digit: int = 0) -> None:
        super().__init__()
        if not isinstance(log_weights, torch.Tensor) or log_weights.ndim != 2:
            raise TypeError("log_weights must be a 2-D torch.Tensor (digits, samples), got "
                            f"{type(log_weights).__name__} {tuple(getattr(log_weights, 'shape', ()))}")
        ks = [k_ for k_ in IMPORTANCE_KS if k_ <= log_weights.shape[1]]
        k = check_choice("k", k, ks)
        self.weights = DigitImportanceWeights(log_weights, digit=digit, ks=ks)
        self.ks = ks
        self.k = widgets.SelectionSlider(options=ks, value=k, description="K samples",
                                         continuous_update=True,
                                         tooltip="how many of the digit's draws z ~ q(z|x) "
                                                 "the estimate uses",
                                         layout=widgets.Layout(width="420px"))
        w, first = self.weights, self.weights.first(k)
        self.fig = SharedFigureWidget(plots.importance_weights_figure(
            w.bin_centres(), shares=w.shares(k), ks=ks, ess=w.ess_,
            mean_estimates=w.mean_estimates_, elbo=w.elbo_, best_estimate=w.best_estimate_,
            selected_k=k, selected_ess=first.ess, selected_estimate=first.estimate,
            estimate_range=w.estimate_range()))
        self.on_change(self.k, self.redraw)
        self.ui = widgets.VBox([self.k, self.fig, self.errors])

    def exported_controls(self) -> list[ControlGrid]:
        return [control_grid(self.k)]

    def redraw(self, k: int) -> None:
        w, first = self.weights, self.weights.first(k)
        with self.fig.batch_update():
            _trace(self.fig, plots.WEIGHTS_HISTOGRAM).y = w.shares(k)
            _trace(self.fig, plots.EQUAL_WEIGHT_LINE).x = plots.equal_weight_line(k)["x"]
            marker = _trace(self.fig, plots.ESS_MARKER)
            marker.x, marker.y = [k], [first.ess]
            marker = _trace(self.fig, plots.ESTIMATE_MARKER)
            marker.x, marker.y = [k], [first.estimate]
            self.fig.layout.title.text = plots.importance_title(
                k, estimate=first.estimate, ess=first.ess, elbo=w.elbo_,
                best_estimate=w.best_estimate_)


class NonlinearGapExplorer(Explainer):
    """A slider for the observed x under the folded decoder: the numerical posterior p(z|x)
    and the best Gaussian q started from each wall of the fold, with the gap each leaves.

    Each change runs two fits (a few hundred ms), so the slider answers on release.
    """

    VARIANCE = 0.1
    STARTS = (-0.5, 1.5)  # the walls of nonlinear_posterior.folded_decoder()'s default well

    def __init__(self, *, x: float = 1.0) -> None:
        super().__init__()
        self.x = float_slider("x", x, low=-0.5, high=3.0, step=0.05,
                              description="observed x", continuous_update=False,
                              layout=widgets.Layout(width="420px"))
        x = self.x.value
        self.net = nonlinear_posterior.folded_decoder()
        self.z = nonlinear_posterior.z_grid()
        view = (self.z >= -4) & (self.z <= 4)
        self.view = view.numpy()
        self.z_view = self.z.numpy()[self.view][::5]
        with torch.no_grad():
            g = self.net(torch.from_numpy(self.z_view).reshape(-1, 1)).reshape(-1).numpy()
        posterior_density, fits, log_px = self.compute(x)
        self.fig = SharedFigureWidget(plots.nonlinear_posterior_figure(
            self.z_view, decoder_mean=g, posterior_density=posterior_density, fits=fits, x=x,
            log_marginal=log_px))
        self.on_change(self.x, self.redraw)
        self.ui = widgets.VBox([self.x, self.fig, self.errors])

    def exported_controls(self) -> list[ControlGrid]:
        return [control_grid(self.x, n_steps=15)]  # two fits per value: 0.25 apart

    def compute(self, x: float) -> tuple[np.ndarray, list[tuple[str, np.ndarray, float]], float]:
        """(posterior on the drawn grid, [(label, q density, gap)], log p(x))."""
        post = nonlinear_posterior.numerical_posterior(x, decoder_mean=self.net,
                                                       variance=self.VARIANCE,
                                        z=self.z).numpy()[self.view][::5]
        fits = []
        log_px = None
        for start in self.STARTS:
            fit = nonlinear_posterior.fit_gaussian_q(x, decoder_mean=self.net,
                                                     variance=self.VARIANCE, z=self.z,
                                      mean_init=start, log_std_init=-1.0)
            density = elbo.normal_density(self.z_view, mean=fit.mean, log_std=fit.log_std)
            fits.append((f"best q from {start:+.1f}", density, fit.gap))
            log_px = fit.log_marginal
        return post, fits, log_px

    def redraw(self, x: float) -> None:
        posterior_density, fits, log_px = self.compute(x)
        with self.fig.batch_update():
            self.fig.data[1].y = [x, x]
            self.fig.data[1].name = f"x = {x:g}"
            self.fig.data[2].y = posterior_density
            for trace, (label, density, gap) in zip(self.fig.data[3:], fits):
                trace.y = density
                trace.name = f"{label}: gap KL = {gap:.3f}"
            self.fig.layout.annotations[1].text = plots.nonlinear_title(log_px)
