"""Widgets for the 2-D latent maps: AE beside VAE, sliders that change the model, a drawing pad.

- :class:`LatentMapExplorer`: the AE side (AE or noisy AE, with a noise-scale slider) on
  top and the VAE (KL-weight slider) below, each map with its decoded grid; click the
  plane to decode that point in both models; draw a digit to see its code and
  reconstruction. Cached values answer from memory; a value off the grid is retrained
  live in the background from the nearest model, streaming each epoch into the figure.
  Given a :class:`~explainer.rate_distortion.RatePlane`, it also shows the grid's VAEs on
  the rate-distortion plane: a click on a point sets the KL-weight slider to that model.
- :class:`InterpolationExplorer`: two test digits, the straight line between their codes
  decoded by the AE and by the VAE.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Collection

import ipywidgets as widgets
import numpy as np
import torch

from explainer import latent_maps as lm
from explainer.data import ImageDataset
from explainer.live_training import LiveRetrainer
from explainer.plots import latent_maps as plots
from explainer.plots import rate_distortion as plane_plots
from explainer.rate_distortion import PlaneSelection, RatePlane
from explainer.plots.images import png_data_uri
from explainer.validation import check_int, check_real
from explainer.widgets.base import Explainer
from explainer.widgets.controls import ControlGrid, control_grid
from explainer.widgets.drawing_pad import DrawingPad
from explainer.widgets.figure import SharedFigureWidget

# Slider stops: the cached grid's values plus these, which are retrained live when chosen.
NOISE_STOPS = (0.1, 0.2, 0.3, 0.5, 1.0, 2.0)
BETA_STOPS = (0.1, 0.2, 0.3, 0.5, 1.0, 2.0, 3.0, 5.0, 10.0)
ROW_MODELS = ("top", "bottom")
# The note in a map's title for a model of the trained grid (live ones say how they were made)
GRID_NOTE = "from the grid"
# Live retraining runs at most this many epochs (about 0.3 s each on the 4,000 digits).
MAX_LIVE_EPOCHS = 100


class LatentMapExplorer(Explainer):
    """AE side on top, VAE below; sliders for noise scale and beta; click, draw, hole meter.

    ``grid`` must hold the AE, a noisy AE and a VAE; ``live_epochs`` in [1,
    ``MAX_LIVE_EPOCHS``]; ``n_samples`` (hole meter) in [1, 100000]; ``threshold`` in
    [0, 1]; ``seed`` >= 0. A live retrain that fails puts the row back on its last
    complete model, says so in its title and the status line, and shows the error.
    ``plane`` (optional): the grid's VAEs on the rate-distortion plane, shown under the
    maps (``plane_fig``); clicking a point moves the KL-weight slider to its beta, and the
    slider moves the plane's ring (a beta off the grid has no point: no ring).
    ``start_point`` (optional): a point of the plane decoded from the start, as if clicked;
    ``example`` (optional): the index of a test digit shown, encoded and reconstructed in
    the drawing's place until the first drawing, so the detail column starts full.
    """

    def __init__(self, grid: lm.MapGrid, data: ImageDataset, classifier: lm.DigitClassifier, *,
                 synchronous: bool = False, live_epochs: int = lm.LIVE_EPOCHS,
                 n_samples: int = 1000, threshold: float = 0.9, seed: int = 0,
                 plane: RatePlane | None = None, start_point: tuple[float, float] | None = None,
                 example: int | None = None) -> None:
        super().__init__()
        if not isinstance(grid, lm.MapGrid):
            raise TypeError(f"grid must be a latent_maps.MapGrid, got {type(grid).__name__}")
        if ("ae", 0.0) not in grid.models or not grid.values("noisy_ae") or not grid.values("vae"):
            raise ValueError("grid must hold the AE, a noisy AE and a VAE (train_map_grid), got "
                             f"{sorted(lm.describe(*key) for key in grid.models)}")
        if not isinstance(data, ImageDataset):
            raise TypeError(f"data must be an ImageDataset, got {type(data).__name__}")
        if not isinstance(classifier, lm.DigitClassifier):
            raise TypeError("classifier must be a latent_maps.DigitClassifier, got "
                            f"{type(classifier).__name__}")
        if plane is not None and not isinstance(plane, RatePlane):
            raise TypeError(f"plane must be a rate_distortion.RatePlane or None, got {type(plane).__name__}")
        self.live_epochs = check_int("live_epochs", live_epochs, low=1, high=MAX_LIVE_EPOCHS)
        self.n_samples = check_int("n_samples", n_samples, low=1, high=100_000)
        self.threshold = check_real("threshold", threshold, low=0.0, high=1.0)
        self.seed = check_int("seed", seed, low=0)
        self.grid, self.data, self.classifier = grid, data, classifier
        self.live_models: dict[lm.ModelKey, lm.MapModel] = {}
        self._rows: dict[lm.ModelKey, dict] = {}
        self._shown: list[lm.MapModel | None] = [None, None]
        # per row: the last complete (cached or finished) model shown, and its note
        self._complete: list[tuple[lm.MapModel, str] | None] = [None, None]
        self._readings: list[lm.HoleReading | None] = [None, None]
        self._notes = ["", ""]
        self._fig_lock = threading.RLock()
        self.point: tuple[float, float] | None = None
        if start_point is not None:
            if not isinstance(start_point, (tuple, list)) or len(start_point) != 2:
                raise ValueError(f"start_point must be a pair (x, y) or None, got {start_point!r}")
            self.point = (check_real("start_point[0]", start_point[0]), check_real("start_point[1]", start_point[1]))
        self.drawn: np.ndarray | None = None
        # what the detail column's middle tile shows: a drawing, or a test digit until then
        self.drawn_label = plots.DETAIL_LABELS[1]
        if example is not None:
            example = check_int("example", example, low=0, high=len(data.x_test) - 1)
            self.drawn = data.x_test[example].numpy().astype(np.float32)
            self.drawn_label = f"test digit {example}"
        # one per row: a newer value in a row cancels that row's older training
        self.retrainers = [LiveRetrainer(synchronous=synchronous, on_error=self.show_error)
                           for _ in (0, 1)]
        lm.warm_up_training(data)
        self.real_reading = lm.judge_images(data.x_test.numpy(), classifier, data.x_train,
                                            threshold=self.threshold, label="real test digits")

        noise_stops = sorted(set(NOISE_STOPS) | set(grid.values("noisy_ae")))
        beta_stops = sorted(set(BETA_STOPS) | set(grid.values("vae")))
        self.model_choice = widgets.ToggleButtons(options=[("AE", "ae"), ("noisy AE", "noisy_ae")],
                                                  value="ae", description="top map")
        self.noise = widgets.SelectionSlider(
            options=[(f"{v:g}", v) for v in noise_stops], description="noise scale",
            value=lm.DEFAULT_NOISE if lm.DEFAULT_NOISE in noise_stops else noise_stops[-1],
            continuous_update=False)
        self.beta = widgets.SelectionSlider(
            options=[(f"{v:g}", v) for v in beta_stops], description="KL weight β",
            value=1.0 if 1.0 in beta_stops else beta_stops[-1], continuous_update=False)
        self.ellipses = widgets.Checkbox(value=False, description="VAE posterior ellipses (1 σ)")
        self.pad = DrawingPad()
        self.clear = widgets.Button(description="clear drawing", icon="eraser")
        self.status = widgets.HTML()
        self.meter = widgets.HTML()

        for mm in grid.models.values():  # measured once here, so a cached value only redraws
            self._row(mm)
        top, bottom = self.model_for(0), self.model_for(1)
        self.fig = SharedFigureWidget(plots.latent_maps_figure(self._row(top)["view"], self._row(bottom)["view"]))
        self._show(0, top, GRID_NOTE)
        self._show(1, bottom, GRID_NOTE)
        self.selection: PlaneSelection | None = None
        self.plane_fig: SharedFigureWidget | None = None
        if plane is not None:
            self.selection = PlaneSelection(plane, beta=self.beta.value)
            self.plane_fig = SharedFigureWidget(plane_plots.rate_distortion_plane_figure(
                plane, chosen_beta=self.selection.beta))
            picked = self.guard(self._on_plane_click)
            for name in plane_plots.POINT_TRACES:
                self.plane_fig.data[plane_plots.trace_index(self.plane_fig, name)].on_click(picked)

        self.on_change(self.model_choice, lambda _v: self.update_row(0))
        self.on_change(self.noise, lambda _v: self.update_row(0))
        self.on_change(self.beta, lambda _v: self.update_row(1))
        self.on_change(self.beta, self._follow_on_plane)
        self.on_change(self.ellipses, lambda _v: self._redraw_ellipses())
        self.on_change(self.pad, self.set_strokes, names="strokes")
        self.on_click(self.clear, self.pad.clear)
        clicked = self.guard(self._on_plot_click)
        for row in (0, 1):
            for name in ("click", *[f"digit{d}" for d in range(10)]):
                self.fig.data[plots.slot(row, name)].on_click(clicked)
        self.ui = widgets.VBox([
            widgets.HBox([self.model_choice, self.noise]),
            widgets.HBox([self.beta, self.ellipses]),
            self.status,
            widgets.HBox([self.fig, widgets.VBox([
                widgets.HTML("<b>draw a digit</b> (white on black, like MNIST)"), self.pad, self.clear,
                self.meter])]),
            *([] if self.plane_fig is None else [self.plane_fig]),
            self.errors,
        ])

    def exported_controls(self) -> list[ControlGrid]:
        # the cached models only: a value off the grid is retrained live, in a kernel
        return [control_grid(self.model_choice),
                control_grid(self.noise, self.grid.values("noisy_ae")),
                control_grid(self.beta, self.grid.values("vae")),
                control_grid(self.ellipses)]

    def kernel_controls(self, exported: Collection[int] = ()) -> list[str]:
        return ["noise scales and KL weights off the trained grid (retrained live)",
                *super().kernel_controls(exported), "clicking a map to decode that point",
                *([] if self.plane_fig is None else ["clicking a point of the rate-distortion plane"])]

    # ----------------------------------------------------------------- which model
    def key_for(self, row: int) -> lm.ModelKey:
        """The (name, value) the controls ask for in ``row`` (0: top, 1: VAE)."""
        if row == 0:
            name = self.model_choice.value
            return (name, float(self.noise.value) if name == "noisy_ae" else 0.0)
        return ("vae", float(self.beta.value))

    def model_for(self, row: int) -> lm.MapModel | None:
        """The cached or live-trained model for ``row``'s controls, or None if it must be trained."""
        key = self.key_for(row)
        return self.grid.models.get(key) or self.live_models.get(key)

    def shown_label(self, row: int) -> str:
        mm = self._shown[row]
        return "" if mm is None else mm.label

    # ----------------------------------------------------------------- updates
    def update_row(self, row: int) -> None:
        """Show the model the controls ask for: from memory, or retrained live if off the grid."""
        name, value = self.key_for(row)
        lm.map_config(name, value)  # refuses a bad value with a clear message
        mm = self.model_for(row)
        if mm is not None:
            self.retrainers[row].cancel()  # a training still running for this row is stale now
            self._show(row, mm, GRID_NOTE if mm.source == "cache" or mm.source == "trained" else mm.source)
            return
        self.retrain(row, name, value)

    def retrain(self, row: int, name: str, value: float) -> None:
        """Warm-start from the nearest model of the same kind; stream every epoch to the figure."""
        lm.map_config(name, value)  # refuses a bad name or value with a clear message
        candidates = lm.MapGrid({**self.grid.models,
                                 **{k: v for k, v in self.live_models.items() if k[0] == name}})
        start = candidates.nearest(name, value)
        target = lm.describe(name, value)
        last_epoch = start.epochs + self.live_epochs

        def work(is_current) -> None:
            def stream(epoch: int, model, history) -> bool:
                if not is_current():
                    return False
                # a copy: the main thread may decode with it while training goes on
                snapshot = copy.deepcopy(model).eval()
                partial = lm.MapModel(name, value, snapshot, history, {}, torch.zeros(0), source="live")
                note = f"retraining live from {start.label}: epoch {epoch} of {last_epoch}"
                self._show(row, partial, note, memo=False, is_current=is_current)
                return is_current()

            try:
                done = lm.warm_start(start, value, self.data, epochs=self.live_epochs,
                                     callback=stream, is_current=is_current)
                if done is not None and is_current() and done.epochs == last_epoch:
                    self.live_models[(name, value)] = done
                    self._show(row, done, done.source, is_current=is_current)
            except Exception as err:  # back to the last complete model; the error is shown
                self._show_failure(row, target, err, is_current)
                raise

        # the note and the new generation together: a failing older work cannot slip
        # its note in between (the figure lock is re-entrant for the synchronous case)
        with self._fig_lock:
            self._set_note(row, f"{target} is being retrained live from {start.label}…", pending=True)
            self.retrainers[row].submit(work)

    def _show_failure(self, row: int, target: str, err: Exception, is_current) -> None:
        """Show ``row``'s last complete model again, its note saying the retrain failed."""
        with self._fig_lock:
            if not is_current() or self._complete[row] is None:
                return
            mm, note = self._complete[row]
            self._show(row, mm, note)
            self._set_note(row, f"{note}; retraining {target} live failed "
                                f"({type(err).__name__}, the error is shown below)")

    def wait_for_training(self, timeout: float | None = None) -> bool:
        """Block until both rows' live retrains have finished (tests, benchmarks); False
        if ``timeout`` (per row) ran out."""
        return all([retrainer.wait(timeout) for retrainer in self.retrainers])

    def _row(self, mm: lm.MapModel, *, memo: bool = True) -> dict:
        """Everything one row shows for ``mm`` (memoised for cached and finished models)."""
        key = (mm.name, mm.value)
        if memo and key in self._rows and self._rows[key]["model"] is mm:
            return self._rows[key]
        view = lm.map_view(mm, self.data.x_test, self.data.y_test)
        row = {"model": mm, "view": view,
               "traces": plots.row_updates(view, show_ellipses=False),
               "ellipses": plots.ellipses_xy(view),
               "reading": lm.hole_meter(mm, self.classifier, self.data.x_train,
                                        n_samples=self.n_samples, threshold=self.threshold,
                                        seed=self.seed)}
        if memo:
            self._rows[key] = row
        return row

    def _show(self, row: int, mm: lm.MapModel, note: str, *, memo: bool = True, is_current=None) -> None:
        if is_current is not None and not is_current():
            return  # stale: a newer value was asked for, spare the map and the hole meter
        data = self._row(mm, memo=memo)
        with self._fig_lock:
            if is_current is not None and not is_current():
                return
            self._shown[row] = mm
            self._readings[row] = data["reading"]
            if memo:  # a cached or finished model, not a streamed epoch
                self._complete[row] = (mm, note)
            view = data["view"]
            with self.fig.batch_update():
                for name, values in data["traces"].items():
                    if name == "ellipses":
                        continue
                    self.fig.data[plots.slot(row, name)].update(**values)
                ex, ey = data["ellipses"] if self._ellipses_on(row) else (np.array([]), np.array([]))
                self.fig.data[plots.slot(row, "ellipses")].update(x=ex, y=ey)
                rng = plots.axis_range(view)
                axis = "" if row == 0 else "4"
                self.fig.layout[f"xaxis{axis}"].range = rng
                self.fig.layout[f"yaxis{axis}"].range = rng
                self._update_point_and_drawing(row, mm)
            self._set_note(row, note)

    def _ellipses_on(self, row: int) -> bool:
        return row == 1 and self.ellipses.value

    def _redraw_ellipses(self) -> None:
        mm = self._shown[1]
        data = self._row(mm, memo=(mm.name, mm.value) in self._rows)
        ex, ey = data["ellipses"] if self.ellipses.value else (np.array([]), np.array([]))
        with self._fig_lock, self.fig.batch_update():
            self.fig.data[plots.slot(1, "ellipses")].update(x=ex, y=ey)

    def _set_note(self, row: int, note: str, *, pending: bool = False) -> None:
        self._notes[row] = note
        with self._fig_lock:
            labels = [self.shown_label(r) for r in (0, 1)]
            self.fig.layout.annotations[plots.title_annotation(row)].text = (
                f"shown: <b>{labels[row]}</b> · {note}" if pending else f"<b>{labels[row]}</b> · {note}")
            self.status.value = " &nbsp;|&nbsp; ".join(
                f"<b>{'top' if r == 0 else 'bottom'}:</b> {labels[r]} ({self._notes[r]})" for r in (0, 1))
            self.meter.value = self.meter_html()

    def meter_html(self) -> str:
        """The hole meter of both shown models and of the real test digits, as a small table."""
        rows = []
        for r in (0, 1):
            mm = self._shown[r]
            if mm is None:
                continue
            rows.append((mm.label, self._readings[r]))
        rows.append(("real test digits", self.real_reading))
        body = "".join(f"<tr><td>{label}</td><td>{r.confident:.0%}</td><td>{r.nearest:.2f}</td></tr>"
                       for label, r in rows)
        return (f"<b>hole meter</b>: {self.n_samples} codes from N(0, I), decoded"
                f"<table><tr><th></th><th>confident ≥ {self.threshold:g}</th><th>distance to nearest "
                f"training digit</th></tr>{body}</table>")

    # ----------------------------------------------------------------- the plane
    def select_beta(self, beta: float) -> None:
        """Show the grid's VAE trained with ``beta`` (a point of the plane) in the maps: the
        KL-weight slider moves to it, and the maps and the ring follow the slider."""
        if self.selection is None:
            raise ValueError("select_beta needs the rate-distortion plane (plane=...)")
        beta = check_real("beta", beta, low=0.0)
        if self.selection.plane.point_for(beta) is None:
            raise ValueError(f"beta must be one of the plane's models {self.selection.plane.betas}, got {beta:g}")
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
                self.plane_fig.data[plane_plots.trace_index(self.plane_fig, name)].update(x=x, y=y)

    # ----------------------------------------------------------------- click and draw
    def select_point(self, x: float, y: float) -> None:
        """Decode the plane's point (x, y) in both models; mark it in both maps."""
        x = check_real("x", x)
        y = check_real("y", y)
        self.point = (x, y)
        with self._fig_lock, self.fig.batch_update():
            for row in (0, 1):
                if self._shown[row] is not None:
                    self._update_point_and_drawing(row, self._shown[row])

    def _on_plot_click(self, trace, points, state) -> None:
        if points.xs:
            self.select_point(float(points.xs[0]), float(points.ys[0]))

    def set_strokes(self, strokes: list) -> None:
        """Encode the drawn digit (None when the pad is empty) and show it in both rows."""
        self.drawn = lm.strokes_to_image(strokes, canvas_size=self.pad.size, pen_width=self.pad.pen_width)
        self.drawn_label = plots.DETAIL_LABELS[1]
        with self._fig_lock, self.fig.batch_update():
            for row in (0, 1):
                if self._shown[row] is not None:
                    self._update_point_and_drawing(row, self._shown[row])

    def _update_point_and_drawing(self, row: int, mm: lm.MapModel) -> None:
        point_image = None
        if self.point is not None:
            self.fig.data[plots.slot(row, "point")].update(x=[self.point[0]], y=[self.point[1]])
            point_image = lm.decode_codes(mm.model, np.array([self.point]))[0]
        else:
            self.fig.data[plots.slot(row, "point")].update(x=[], y=[])
        recon = None
        if self.drawn is not None:
            codes, sigmas = lm.encode_images(mm.model, self.drawn[None, :])
            recon = lm.decode_codes(mm.model, codes)[0]
            self.fig.data[plots.slot(row, "drawn_code")].update(x=codes[:, 0], y=codes[:, 1])
            ex, ey = (lm.ellipse_outlines(codes, sigmas) if sigmas is not None
                      else (np.array([]), np.array([])))
            self.fig.data[plots.slot(row, "drawn_ellipse")].update(x=ex, y=ey)
        else:
            self.fig.data[plots.slot(row, "drawn_code")].update(x=[], y=[])
            self.fig.data[plots.slot(row, "drawn_ellipse")].update(x=[], y=[])
        self.fig.data[plots.slot(row, "detail")].source = png_data_uri(
            plots.detail_image(point_image, self.drawn, recon))
        self.fig.layout[plots.detail_axis(row)].ticktext = (
            plots.DETAIL_LABELS[0], self.drawn_label, plots.DETAIL_LABELS[2])


class InterpolationExplorer(Explainer):
    """Two test digits (dropdowns); the line between their codes decoded by two models."""

    def __init__(self, models: list[lm.MapModel], data: ImageDataset, *, n_steps: int = 12,
                 n_choices: int = 1000, first: int | None = None, second: int | None = None) -> None:
        super().__init__()
        if not models or not all(isinstance(mm, lm.MapModel) for mm in models):
            raise TypeError("models must be a list of latent_maps.MapModel (at least one)")
        n_steps = check_int("n_steps", n_steps, low=2, high=100)
        n_choices = check_int("n_choices", n_choices, low=1)
        self.models, self.data, self.n_steps = list(models), data, n_steps
        n = min(n_choices, len(data.x_test))
        step = max(1, len(data.x_test) // 50)
        indices = set(range(0, n, step))
        # the starting pair (test digits' indices; by default the first and last choice)
        first = check_int("first", first, low=0, high=len(data.x_test) - 1) if first is not None else 0
        second = (check_int("second", second, low=0, high=len(data.x_test) - 1) if second is not None
                  else max(indices))
        options = [(self.describe_digit(i), i) for i in sorted(indices | {first, second})]
        self.first = widgets.Dropdown(options=options, value=first, description="from")
        self.second = widgets.Dropdown(options=options, value=second, description="to")
        self.fig = SharedFigureWidget(plots.interpolation_figure(self.strips(), self.labels(),
                                                                 ends=self.ends()))
        self.on_change(self.first, lambda _v: self.redraw())
        self.on_change(self.second, lambda _v: self.redraw())
        self.ui = widgets.VBox([widgets.HBox([self.first, self.second]), self.fig, self.errors])

    def exported_controls(self) -> list[ControlGrid]:
        return [control_grid(self.first), control_grid(self.second)]

    def describe_digit(self, index: int) -> str:
        return f"test digit {index} (a {int(self.data.y_test[index])})"

    def labels(self) -> list[str]:
        return [f"{mm.label}: from {self.describe_digit(self.first.value)} to "
                f"{self.describe_digit(self.second.value)}" for mm in self.models]

    def ends(self) -> tuple[np.ndarray, np.ndarray]:
        """The two real test digits the strips start and end on."""
        return (self.data.x_test[self.first.value].numpy(), self.data.x_test[self.second.value].numpy())

    def strips(self) -> list[np.ndarray]:
        a, b = self.data.x_test[self.first.value], self.data.x_test[self.second.value]
        return [lm.interpolate(mm.model, a, b, n_steps=self.n_steps) for mm in self.models]

    def redraw(self) -> None:
        fresh = plots.interpolation_figure(self.strips(), self.labels(), ends=self.ends())
        with self.fig.batch_update():
            for trace in fresh.data:
                self.fig.data[plane_plots.trace_index(self.fig, trace.name)].source = trace.source
            for i, note in enumerate(fresh.layout.annotations):
                self.fig.layout.annotations[i].text = note.text
