"""Widgets for the 2-D latent maps: AE beside VAE, sliders that change the model, a drawing pad.

- :class:`LatentMapExplorer`: a view of :class:`explainer.latent_maps.LatentMaps`: the AE
  side (AE or noisy AE, with a noise-scale slider) on top and the VAE (KL-weight slider)
  below, each map with its decoded grid; click the plane to decode that point in both
  models; draw a digit to see its code and reconstruction. Cached values answer from
  memory; a value off the grid is retrained live in the background from the nearest
  model, each epoch drawn as it ends. Given a
  :class:`~explainer.rate_distortion.RatePlane`, it also shows the grid's VAEs on the
  rate-distortion plane: a click on a point sets the KL-weight slider to that model.
- :class:`InterpolationExplorer`: two test digits, the straight line between their codes
  decoded by the AE and by the VAE.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Collection

import ipywidgets as widgets
import numpy as np

from explainer.data import ImageDataset
from explainer.hole_meter import DigitClassifier
from explainer.latent_maps import LatentMaps, MapSettings, RowState
from explainer.map_models import DEFAULT_NOISE, LIVE_EPOCHS, MapGrid, MapModel
from explainer.map_views import MapView, interpolate
from explainer.plots import latent_maps as plots
from explainer.plots import rate_distortion as plane_plots
from explainer.plots import trace
from explainer.plots.images import png_data_uri
from explainer.rate_distortion import PlaneSelection, RatePlane
from explainer.validation import check_int, check_real
from explainer.widgets.base import Explainer
from explainer.widgets.controls import ControlGrid, control_grid
from explainer.widgets.drawing_pad import DrawingPad
from explainer.widgets.figure import SharedFigureWidget
from explainer.widgets.live import LiveFigure, grey_bytes, packed_models

# Slider stops: the cached grid's values plus these, which are retrained live when chosen.
NOISE_STOPS = (0.1, 0.2, 0.3, 0.5, 1.0, 2.0)
BETA_STOPS = (0.1, 0.2, 0.3, 0.5, 1.0, 2.0, 3.0, 5.0, 10.0)
_EMPTY = (np.array([]), np.array([]))
# at most this many maps' trace data kept drawn (the large grid has 16 models)
MAX_DRAWN_MAPS = 24


class LatentMapExplorer(Explainer):
    """AE side on top, VAE below; sliders for noise scale and beta; click, draw, hole meter.

    The maps' state is a :class:`~explainer.latent_maps.LatentMaps` (:attr:`maps`), which
    checks ``grid``, ``data``, ``classifier``, ``synchronous`` and the settings
    ``live_epochs``, ``n_samples``, ``threshold`` and ``seed``
    (:class:`~explainer.latent_maps.MapSettings`). A live retrain that fails puts the row
    back on its last complete model, says so in its title and the status line, and shows
    the error. ``plane`` (optional): the grid's VAEs on the rate-distortion plane, shown
    under the maps (``plane_fig``); clicking a point moves the KL-weight slider to its
    beta, and the slider moves the plane's ring (a beta off the grid has no point: no
    ring). ``start_point`` (optional): a point of the plane decoded from the start, as if
    clicked; ``example`` (optional): the index of a test digit shown, encoded and
    reconstructed in the drawing's place until the first drawing, so the detail column
    starts full.
    """

    def __init__(self, grid: MapGrid, data: ImageDataset, classifier: DigitClassifier, *,
                 synchronous: bool = False, live_epochs: int = LIVE_EPOCHS,
                 n_samples: int = 1000, threshold: float = 0.9, seed: int = 0,
                 plane: RatePlane | None = None, start_point: tuple[float, float] | None = None,
                 example: int | None = None) -> None:
        super().__init__()
        settings = MapSettings(live_epochs=live_epochs, n_samples=n_samples, threshold=threshold,
                               seed=seed)
        if plane is not None and not isinstance(plane, RatePlane):
            raise TypeError("plane must be a rate_distortion.RatePlane or None, got "
                            f"{type(plane).__name__}")
        if start_point is not None and (not isinstance(start_point, (tuple, list))
                                        or len(start_point) != 2):
            raise ValueError(f"start_point must be a pair (x, y) or None, got {start_point!r}")
        self.maps = LatentMaps(grid, data, classifier, settings=settings, synchronous=synchronous,
                               on_error=self.show_error)
        if start_point is not None:
            self.maps.select_point(start_point[0], start_point[1])
        if example is not None:
            example = check_int("example", example, low=0, high=len(data.x_test) - 1)
            self.maps.set_drawn(data.x_test[example].numpy(), label=f"test digit {example}")
        self.grid, self.data = grid, data

        trained_noise, trained_betas = grid.values("noisy_ae"), grid.values("vae")
        noise_stops = sorted(set(NOISE_STOPS) | set(trained_noise))
        beta_stops = sorted(set(BETA_STOPS) | set(trained_betas))
        self.model_choice = widgets.ToggleButtons(options=[("AE", "ae"), ("noisy AE", "noisy_ae")],
                                                  value="ae", description="top map")
        self.noise = widgets.SelectionSlider(
            options=[(f"{v:g}", v) for v in noise_stops], description="noise scale",
            value=DEFAULT_NOISE if DEFAULT_NOISE in trained_noise else trained_noise[-1],
            continuous_update=False)
        self.beta = widgets.SelectionSlider(
            options=[(f"{v:g}", v) for v in beta_stops], description="KL weight β",
            value=1.0 if 1.0 in trained_betas else trained_betas[-1], continuous_update=False)
        self.ellipses = widgets.Checkbox(value=False, description="VAE posterior ellipses (1 σ)")
        self.pad = DrawingPad()
        self.clear = widgets.Button(description="clear drawing", icon="eraser")
        self.status = widgets.HTML()
        self.meter = widgets.HTML()

        top, bottom = (self.maps.row_view(self.maps.model_for(*self.key_for(row))).view
                       for row in (0, 1))
        self.fig = SharedFigureWidget(plots.latent_maps_figure(top, bottom))
        self._drawn_views: list[object] = [None, None]  # the map each row's traces show
        self._drawn_layouts: list[tuple[dict, str] | None] = [None, None]  # and its layout
        # each map's trace data, drawn once (the decoded plane's PNG is the slow part); a
        # few dozen maps, so the grid's stay while live retrains' epochs pass through
        self._row_data: OrderedDict[int, tuple[MapView, dict[str, dict]]] = OrderedDict()
        self.maps.listener = self._draw
        self.update_row(0)
        self.update_row(1)
        self.selection: PlaneSelection | None = None
        self.plane_fig: SharedFigureWidget | None = None
        if plane is not None:
            self.selection = PlaneSelection(plane, beta=self.beta.value)
            self.plane_fig = SharedFigureWidget(plane_plots.rate_distortion_plane_figure(
                plane, chosen_beta=self.selection.beta))
            picked = self.guard(self._on_plane_click)
            for name in plane_plots.POINT_TRACES:
                trace(self.plane_fig, name).on_click(picked)

        self.on_change(self.model_choice, lambda _v: self.update_row(0))
        self.on_change(self.noise, lambda _v: self.update_row(0))
        self.on_change(self.beta, lambda _v: self.update_row(1))
        self.on_change(self.beta, self._follow_on_plane)
        self.on_change(self.ellipses, lambda _v: self._redraw_ellipses())
        self.on_change(self.pad, self.set_strokes, names="strokes")
        self.on_click(self.clear, self.pad.clear)
        clicked = self.guard(self._on_plot_click)
        for row in (0, 1):
            for slot in ("click", *[f"digit{d}" for d in range(10)]):
                trace(self.fig, plots.trace_name(row, slot)).on_click(clicked)
        self.ui = widgets.VBox([
            widgets.HBox([self.model_choice, self.noise]),
            widgets.HBox([self.beta, self.ellipses]),
            self.status,
            widgets.HBox([self.fig, widgets.VBox([
                widgets.HTML("<b>draw a digit</b> (white on black, like MNIST)"), self.pad,
                self.clear, self.meter])]),
            *([] if self.plane_fig is None else [self.plane_fig]),
            self.errors,
        ])

    def exported_controls(self) -> list[ControlGrid]:
        # the cached models only: a value off the grid is retrained live, in a kernel
        return [control_grid(self.model_choice, key="model"),
                control_grid(self.noise, self.grid.values("noisy_ae"), key="noise"),
                control_grid(self.beta, self.grid.values("vae"), key="beta"),
                control_grid(self.ellipses, key="ellipses")]

    def kernel_controls(self, exported: Collection[int] = ()) -> list[str]:
        return ["noise scales and KL weights off the trained grid (retrained live)",
                *super().kernel_controls(exported), "clicking a map to decode that point",
                *([] if self.plane_fig is None
                  else ["clicking a point of the rate-distortion plane"])]

    # ----------------------------------------------------------------- in the page
    def live_figures(self) -> list[LiveFigure]:
        """The maps run in the page for every model of the grid: the pointer decoded in
        both rows, the decoded grids computed when a slider changes a row's model, and the
        drawing pad encoded by both models (decoders and encoders inlined, float16)."""
        keys = sorted(self.grid.models)
        ids, models = packed_models([self.grid.models[k].model for k in keys],
                                    parts=("decoder", "encoder"))
        by_key = dict(zip(keys, ids))
        choice = control_grid(self.model_choice)
        noise = control_grid(self.noise, self.grid.values("noisy_ae"))
        beta = control_grid(self.beta, self.grid.values("vae"))
        top = {}
        for kind, kind_label in zip(choice.values, choice.labels):
            for value, label in zip(noise.values, noise.labels):
                top[f"{kind_label}|{label}"] = by_key[(kind, float(value) if kind != "ae" else 0.0)]
        bottom = {label: by_key[("vae", float(v))] for v, label in zip(beta.values, beta.labels)}
        views = {by_key[k]: self.maps.row_view(self.grid.models[k]).view for k in keys}
        n_grid = {round(len(v.grid_points) ** 0.5) for v in views.values()}.pop()
        spec = self._live_spec(rows=[
            {"choose": {"sliders": [choice.label, noise.label], "table": top,
                        "defaults": [choice.labels[choice.default], noise.labels[noise.default]]}},
            {"choose": {"sliders": [beta.label], "table": bottom,
                        "defaults": [beta.labels[beta.default]]}}])
        drawn = self.maps.drawn
        spec.update(views={i: {"half_width": float(v.half_width)} for i, v in views.items()},
                    n_grid=n_grid, clicks=True,
                    drawn=None if drawn is None else grey_bytes(drawn),
                    drawn_label=self.maps.drawn_label,
                    pad={"size": self.pad.size, "pen_width": self.pad.pen_width})
        # the page draws these itself for the model the sliders choose
        computed = tuple((plots.trace_name(row, slot), prop) for row in (0, 1)
                         for slot, prop in (("manifold", "source"), ("detail", "source"),
                                            ("drawn_code", "x"), ("drawn_code", "y"),
                                            ("drawn_ellipse", "x"), ("drawn_ellipse", "y")))
        return [LiveFigure("maps", 0, spec, models=models, computed=computed,
                           controls=("clicking a map to decode that point", "the drawing pad",
                                     'the "clear drawing" button'))]

    def _live_spec(self, *, rows: list[dict]) -> dict:
        """The part of the maps' in-page spec shared by a page and JupyterLab: each row's
        trace names and axes, and the point decoded; ``rows`` add how each row's model is
        chosen."""
        out = []
        for row, extra in enumerate(rows):
            x, y, detail = plots.map_axes(row)
            out.append({"traces": {slot: plots.trace_name(row, slot) for slot in
                                   ("click", "point", "drawn_code", "drawn_ellipse", "detail",
                                    "manifold")},
                        "axes": [x, y], "detail_axis": detail, **extra})
        point = self.maps.point
        return {"rows": out, "point": None if point is None else list(point),
                "labels": list(plots.DETAIL_LABELS), "tile": {"side": 28, "pad": 2}}

    def _sync_live(self) -> None:
        """JupyterLab and Voila: the shown models' decoders for the figure's front end, which
        decodes the point under the pointer with no round trip to the kernel."""
        shown = [self.maps.state(row) for row in (0, 1)]
        if any(s is None for s in shown):
            return
        ids, models = packed_models([s.row_view.model.model for s in shown])
        spec = self._live_spec(rows=[{"model": i} for i in ids])
        spec["models"] = models
        self.fig.live = {"kind": "maps", "spec": spec}

    # ----------------------------------------------------------------- which model
    def key_for(self, row: int) -> tuple[str, float]:
        """The (kind, value) the controls ask for in ``row`` (0: top, 1: VAE)."""
        if row == 0:
            kind = self.model_choice.value
            return (kind, float(self.noise.value) if kind == "noisy_ae" else 0.0)
        return ("vae", float(self.beta.value))

    @property
    def live_models(self) -> dict[tuple[str, float], MapModel]:
        return self.maps.live_models

    def shown_label(self, row: int) -> str:
        return self.maps.shown_label(row)

    def update_row(self, row: int) -> None:
        """Show the model the controls ask for: from memory, or retrained live if off the grid."""
        self.maps.show(row, *self.key_for(row))

    def wait_for_training(self, timeout: float | None = None) -> bool:
        """Block until both rows' live retrains have finished (tests, benchmarks); False
        if ``timeout`` (per row) ran out."""
        return self.maps.wait_for_training(timeout)

    # ----------------------------------------------------------------- drawing the state
    def _draw(self, row: int, state: RowState) -> None:
        """Draw ``row``'s state (called by :attr:`maps`, under its lock)."""
        view = state.row_view.view
        detail = state.detail
        with self.fig.batch_update():
            if self._drawn_views[row] is not view:
                for slot, values in self._row_updates(view).items():
                    if slot != "ellipses":
                        trace(self.fig, plots.trace_name(row, slot)).update(**values)
                ex, ey = plots.ellipses_xy(view) if self._ellipses_on(row) else _EMPTY
                trace(self.fig, plots.trace_name(row, "ellipses")).update(x=ex, y=ey)
                self._drawn_views[row] = view
                self._sync_live()
            px, py = ([], []) if detail.point is None else ([detail.point[0]], [detail.point[1]])
            trace(self.fig, plots.trace_name(row, "point")).update(x=px, y=py)
            code = detail.drawn_code
            trace(self.fig, plots.trace_name(row, "drawn_code")).update(
                x=[] if code is None else code[:, 0], y=[] if code is None else code[:, 1])
            ex, ey = detail.drawn_ellipse
            trace(self.fig, plots.trace_name(row, "drawn_ellipse")).update(x=ex, y=ey)
            trace(self.fig, plots.trace_name(row, "detail")).source = png_data_uri(
                plots.detail_image(detail.point_image, detail.drawn, detail.reconstruction))
            # the layout and the title only when they change (a click changes neither)
            layout = plots.row_layout(row, view, drawn_label=detail.drawn_label)
            title = f"<b>{state.label}</b> · {state.note}"
            title = f"shown: {title}" if state.pending else title
            if (layout, title) != self._drawn_layouts[row]:
                for path, value in layout.items():
                    self.fig.layout[path] = value
                plots.annotation(self.fig, plots.title_name(row)).text = title
                self._drawn_layouts[row] = (layout, title)
        states = {"top": self.maps.state(0), "bottom": self.maps.state(1)}
        self.status.value = " &nbsp;|&nbsp; ".join(
            f"<b>{where}:</b> {shown.label} ({shown.note})" for where, shown in states.items()
            if shown is not None)
        self.meter.value = self.meter_html()

    def _row_updates(self, view: MapView) -> dict[str, dict]:
        """``plots.row_updates(view)`` (without the ellipses), computed once per map."""
        found = self._row_data.get(id(view))
        if found is None or found[0] is not view:
            found = (view, plots.row_updates(view, show_ellipses=False))
            self._row_data[id(view)] = found
            if len(self._row_data) > MAX_DRAWN_MAPS:
                self._row_data.popitem(last=False)
        self._row_data.move_to_end(id(view))
        return found[1]

    def _ellipses_on(self, row: int) -> bool:
        return row == 1 and self.ellipses.value

    def _redraw_ellipses(self) -> None:
        with self.maps.lock:
            view = self.maps.state(1).row_view.view
            ex, ey = plots.ellipses_xy(view) if self.ellipses.value else _EMPTY
            with self.fig.batch_update():
                trace(self.fig, plots.trace_name(1, "ellipses")).update(x=ex, y=ey)

    def meter_html(self) -> str:
        """The hole meter of both shown models and of the real test digits, as a small table."""
        s = self.maps.settings
        body = "".join(f"<tr><td>{label}</td><td>{r.confident:.0%}</td>"
                       f"<td>{r.nearest:.2f}</td></tr>" for label, r in self.maps.meter())
        return (f"<b>hole meter</b>: {s.n_samples} codes from N(0, I), decoded"
                f"<table><tr><th></th><th>confident ≥ {s.threshold:g}</th><th>distance to nearest "
                f"training digit</th></tr>{body}</table>")

    # ----------------------------------------------------------------- the plane
    def select_beta(self, beta: float) -> None:
        """Show the grid's VAE trained with ``beta`` (a point of the plane) in the maps: the
        KL-weight slider moves to it, and the maps and the ring follow the slider."""
        if self.selection is None:
            raise ValueError("select_beta needs the rate-distortion plane (plane=...)")
        beta = check_real("beta", beta, low=0.0)
        if self.selection.plane.point_for(beta) is None:
            raise ValueError("beta must be one of the plane's models "
                             f"{self.selection.plane.betas}, got {beta:g}")
        self.beta.value = beta

    def _on_plane_click(self, trace, points, state) -> None:
        if points.point_inds:
            self.select_beta(self.selection.click(points.point_inds[0]))

    def _follow_on_plane(self, beta: float) -> None:
        """Put the plane's ring on the model the slider asks for (none if off the grid)."""
        if self.selection is None:
            return
        self.selection.follow(beta)
        x, y = plane_plots.chosen_xy(self.selection.plane, self.selection.beta)
        with self.plane_fig.batch_update():
            for name in plane_plots.CHOSEN_TRACES:
                trace(self.plane_fig, name).update(x=x, y=y)

    # ----------------------------------------------------------------- click and draw
    @property
    def point(self) -> tuple[float, float] | None:
        return self.maps.point

    @property
    def drawn(self) -> np.ndarray | None:
        return self.maps.drawn

    def select_point(self, x: float, y: float) -> None:
        """Decode the plane's point (x, y) in both models; mark it in both maps."""
        self.maps.select_point(x, y)

    def _on_plot_click(self, trace, points, state) -> None:
        if points.xs:
            self.select_point(float(points.xs[0]), float(points.ys[0]))

    def set_strokes(self, strokes: list) -> None:
        """Encode the drawn digit (None when the pad is empty) and show it in both rows."""
        self.maps.set_strokes(strokes, canvas_size=self.pad.size, pen_width=self.pad.pen_width)


class InterpolationExplorer(Explainer):
    """Two test digits (dropdowns); the line between their codes decoded by two models."""

    def __init__(self, models: list[MapModel], data: ImageDataset, *, n_steps: int = 12,
                 n_choices: int = 1000, first: int | None = None,
                 second: int | None = None) -> None:
        super().__init__()
        if not models or not all(isinstance(mm, MapModel) for mm in models):
            raise TypeError("models must be a list of map_models.MapModel (at least one)")
        n_steps = check_int("n_steps", n_steps, low=2, high=100)
        n_choices = check_int("n_choices", n_choices, low=1)
        self.models, self.data, self.n_steps = list(models), data, n_steps
        n = min(n_choices, len(data.x_test))
        step = max(1, len(data.x_test) // 50)
        indices = set(range(0, n, step))
        # the starting pair (test digits' indices; by default the first and last choice)
        last = len(data.x_test) - 1
        first = 0 if first is None else check_int("first", first, low=0, high=last)
        second = max(indices) if second is None else check_int("second", second, low=0, high=last)
        options = [(self.describe_digit(i), i) for i in sorted(indices | {first, second})]
        self.first = widgets.Dropdown(options=options, value=first, description="from")
        self.second = widgets.Dropdown(options=options, value=second, description="to")
        self.fig = SharedFigureWidget(plots.interpolation_figure(self.strips(), self.labels(),
                                                                 ends=self.ends()))
        self.on_change(self.first, lambda _v: self.redraw())
        self.on_change(self.second, lambda _v: self.redraw())
        self.ui = widgets.VBox([widgets.HBox([self.first, self.second]), self.fig, self.errors])

    def live_figures(self) -> list[LiveFigure]:
        """The strips computed in the page for any two of the offered digits: both models'
        encoders and decoders inlined (float16), the digits as 8-bit grey pixels."""
        ids, models = packed_models([mm.model for mm in self.models], parts=("decoder", "encoder"))
        values = list(self.first._options_values)
        x = self.data.x_test
        spec = {"models": ids, "labels": [mm.label for mm in self.models],
                "options": [{"label": label, "pixels": grey_bytes(x[i].numpy())}
                            for label, i in self.first.options],
                "first": values.index(self.first.value), "second": values.index(self.second.value),
                "n_steps": self.n_steps, "strip_pad": plots.STRIP_PAD,
                "source_gap": plots.SOURCE_GAP,
                "traces": [plots.strip_name(i) for i in range(len(self.models))],
                "titles": [plots.strip_title_name(i) for i in range(len(self.models))]}
        return [LiveFigure("interpolation", 0, spec, models=models,
                           controls=(f'"{self.first.description}"',
                                     f'"{self.second.description}"'))]

    def describe_digit(self, index: int) -> str:
        return f"test digit {index} (a {int(self.data.y_test[index])})"

    def labels(self) -> list[str]:
        return [f"{mm.label}: from {self.describe_digit(self.first.value)} to "
                f"{self.describe_digit(self.second.value)}" for mm in self.models]

    def ends(self) -> tuple[np.ndarray, np.ndarray]:
        """The two real test digits the strips start and end on."""
        x = self.data.x_test
        return (x[self.first.value].numpy(), x[self.second.value].numpy())

    def strips(self) -> list[np.ndarray]:
        a, b = self.data.x_test[self.first.value], self.data.x_test[self.second.value]
        return [interpolate(mm.model, a, b, n_steps=self.n_steps) for mm in self.models]

    def redraw(self) -> None:
        fresh = plots.interpolation_figure(self.strips(), self.labels(), ends=self.ends())
        with self.fig.batch_update():
            for fresh_trace in fresh.data:
                trace(self.fig, fresh_trace.name).source = fresh_trace.source
            for note in fresh.layout.annotations:
                plots.annotation(self.fig, note.name).text = note.text
