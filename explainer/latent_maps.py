"""The latent maps' state without widgets: two rows of models, their views, live retraining.

:class:`LatentMaps` holds what the latent-map explorer shows: row 0 the AE side (the AE or
a noisy AE), row 1 a VAE. Asked for a model (:meth:`LatentMaps.show`), a row answers from
the trained grid or from the models retrained before; a value off the grid is retrained
live from the nearest model of its kind (:func:`explainer.map_models.warm_start`), one
:class:`~explainer.live_training.LiveRetrainer` per row, each epoch shown as it ends.
What a row shows is a :class:`RowState` (frozen): its :class:`RowView` (the model, its map
view and its hole-meter reading, computed once per model) and a :class:`Detail` (the digit
decoded at a chosen point, a drawn digit's code and reconstruction). Every change is
handed to ``listener(row, state)``, under :attr:`LatentMaps.lock`; a widget is a view of it.

``python -m explainer.latent_maps [--large]`` trains the maps' models and the digit
classifier ahead of a lecture.
"""

from __future__ import annotations

import argparse
import copy
import threading
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from explainer.data import ImageDataset, load_mnist
from explainer.hole_meter import (
    DigitClassifier,
    HoleReading,
    hole_meter,
    judge_images,
    train_digit_classifier,
)
from explainer.live_training import LiveRetrainer
from explainer.map_models import (
    LIVE_EPOCHS,
    MapGrid,
    MapModel,
    ModelKey,
    describe,
    map_config,
    model_value,
    train_map_grid,
    warm_start,
    warm_up_training,
)
from explainer.map_views import (
    MapView,
    decode_codes,
    ellipse_outlines,
    encode_images,
    map_view,
)
from explainer.models import ModelConfig
from explainer.strokes import strokes_to_image
from explainer.train import History
from explainer.validation import check_int, check_real, check_seed

ROWS = (0, 1)  # 0: the AE side (AE or noisy AE), 1: the VAE
ROW_KINDS = (("ae", "noisy_ae"), ("vae",))
# The note beside a model of the trained grid (live ones say how they were made)
GRID_NOTE = "from the grid"
# Live retraining runs at most this many epochs (about 0.3 s each on the 4,000 digits).
MAX_LIVE_EPOCHS = 100
# What the detail column's middle tile shows until a test digit is chosen as the example
DRAWING_LABEL = "your digit"

Listener = Callable[[int, "RowState"], None]


@dataclass(frozen=True)
class MapSettings:
    """How the maps are measured and retrained: ``live_epochs`` per live retrain (in [1,
    ``MAX_LIVE_EPOCHS``]), the hole meter's ``n_samples`` (in [1, 100000]), confidence
    ``threshold`` (in [0, 1]) and ``seed`` (>= 0). Checked once, here."""

    live_epochs: int = LIVE_EPOCHS
    n_samples: int = 1000
    threshold: float = 0.9
    seed: int = 0

    def __post_init__(self) -> None:
        checked = {"live_epochs": check_int("live_epochs", self.live_epochs, low=1,
                                            high=MAX_LIVE_EPOCHS),
                   "n_samples": check_int("n_samples", self.n_samples, low=1, high=100_000),
                   "threshold": check_real("threshold", self.threshold, low=0.0, high=1.0),
                   "seed": check_seed(self.seed)}
        for name, value in checked.items():
            object.__setattr__(self, name, value)


@dataclass(frozen=True)
class RowView:
    """Everything a row shows of one model: the model, its map and its hole-meter reading."""

    model: MapModel
    view: MapView
    reading: HoleReading


@dataclass(frozen=True)
class Detail:
    """The detail column of one row: ``point`` (a point of the plane, or None) and
    ``point_image`` (784,), its decode; ``drawn`` (784,), a drawing or a test digit (or
    None), named ``drawn_label``; its code ``drawn_code`` (1, 2), its posterior's 1-sigma
    outline ``drawn_ellipse`` (x, y; empty without a posterior) and its ``reconstruction``."""

    point: tuple[float, float] | None
    point_image: np.ndarray | None
    drawn: np.ndarray | None
    drawn_label: str
    drawn_code: np.ndarray | None
    drawn_ellipse: tuple[np.ndarray, np.ndarray]
    reconstruction: np.ndarray | None


@dataclass(frozen=True)
class RowState:
    """What a row shows: ``row_view``, its ``detail``, and a ``note`` on where the model came
    from; ``pending`` while a retrain towards another value runs (the view is the old one)."""

    row_view: RowView
    detail: Detail
    note: str
    pending: bool = False

    @property
    def label(self) -> str:
        return self.row_view.model.label


class LatentMaps:
    """The AE side (row 0) and a VAE (row 1) of a trained ``grid``, on ``data``'s test digits.

    ``grid`` must hold the AE, a noisy AE and a VAE (:func:`~explainer.map_models.train_map_grid`);
    ``classifier`` reads the hole meter; ``settings`` a :class:`MapSettings`;
    ``synchronous=True`` retrains in the caller's thread (tests, nbval). ``listener(row,
    state)`` is called, under :attr:`lock`, whenever a row's :class:`RowState` changes;
    ``on_error(exc)`` receives the error of a live retrain that failed in the background.
    """

    def __init__(self, grid: MapGrid, data: ImageDataset, classifier: DigitClassifier, *,
                 settings: MapSettings = MapSettings(), synchronous: bool = False,
                 listener: Listener | None = None,
                 on_error: Callable[[BaseException], None] | None = None) -> None:
        if not isinstance(grid, MapGrid):
            raise TypeError(f"grid must be a map_models.MapGrid, got {type(grid).__name__}")
        if ("ae", 0.0) not in grid.models or not grid.values("noisy_ae") or not grid.values("vae"):
            raise ValueError("grid must hold the AE, a noisy AE and a VAE (train_map_grid), got "
                             f"{sorted(describe(*key) for key in grid.models)}")
        if not isinstance(data, ImageDataset):
            raise TypeError(f"data must be an ImageDataset, got {type(data).__name__}")
        if not isinstance(classifier, DigitClassifier):
            raise TypeError("classifier must be a hole_meter.DigitClassifier, got "
                            f"{type(classifier).__name__}")
        if not isinstance(settings, MapSettings):
            raise TypeError(f"settings must be a MapSettings, got {type(settings).__name__}")
        self.grid, self.data, self.classifier, self.settings = grid, data, classifier, settings
        self.listener = listener
        # held while a row's state changes and the listener draws it (re-entrant: a
        # synchronous retrain draws from inside a call that holds it)
        self.lock = threading.RLock()
        self.live_models: dict[ModelKey, MapModel] = {}
        self._views: dict[ModelKey, RowView] = {}
        self._states: list[RowState | None] = [None, None]
        # per row: the last complete (cached or finished) model shown, and its note
        self._complete: list[RowState | None] = [None, None]
        self.point: tuple[float, float] | None = None
        self.drawn: np.ndarray | None = None
        self.drawn_label = DRAWING_LABEL
        # one per row: a newer value in a row cancels that row's older training
        self.retrainers = [LiveRetrainer(synchronous=synchronous, on_error=on_error) for _ in ROWS]
        warm_up_training(data)
        self.real_reading = judge_images(data.x_test.numpy(), classifier, data.x_train,
                                         threshold=settings.threshold, label="real test digits")
        for mm in grid.models.values():  # measured once here, so a cached value only redraws
            self.row_view(mm)

    # ----------------------------------------------------------------- models and views
    def model_for(self, kind: str, value: float) -> MapModel | None:
        """The grid's or a finished live model of ``kind`` at ``value``, or None."""
        key = (kind, float(value))
        return self.grid.models.get(key) or self.live_models.get(key)

    def row_view(self, mm: MapModel, *, memo: bool = True) -> RowView:
        """``mm``'s map and hole meter (memoised for the grid's and finished models)."""
        known = self._views.get(mm.key)
        if memo and known is not None and known.model is mm:
            return known
        s = self.settings
        out = RowView(mm, map_view(mm, self.data.x_test, self.data.y_test),
                      hole_meter(mm, self.classifier, self.data.x_train, n_samples=s.n_samples,
                                 threshold=s.threshold, seed=s.seed,
                                 # the grid's models only: a live model's reading is not kept
                                 use_cache=self.grid.models.get(mm.key) is mm))
        if memo:
            self._views[mm.key] = out
        return out

    def state(self, row: int) -> RowState | None:
        """What ``row`` shows (None before its first :meth:`show`)."""
        return self._states[row]

    def shown_label(self, row: int) -> str:
        state = self._states[row]
        return "" if state is None else state.label

    def meter(self) -> list[tuple[str, HoleReading]]:
        """The hole meter of both shown models, then of the real test digits."""
        rows = [(s.label, s.row_view.reading) for s in self._states if s is not None]
        return [*rows, ("real test digits", self.real_reading)]

    # ----------------------------------------------------------------- which model
    def show(self, row: int, kind: str, value: float = 0.0) -> None:
        """Show ``kind`` at ``value`` in ``row``: from memory, or retrained live if off the grid."""
        check_int("row", row, low=0, high=len(ROWS) - 1)
        if kind not in ROW_KINDS[row]:
            raise ValueError(f"row {row} shows one of {ROW_KINDS[row]}, got {kind!r}")
        config = map_config(kind, None if kind == "ae" else value)  # the one check of the value
        mm = self.model_for(kind, model_value(config))
        if mm is None:
            self._retrain(row, config)
            return
        self.retrainers[row].cancel()  # a training still running for this row is stale now
        note = mm.source if mm.source.startswith("retrained") else GRID_NOTE
        self._display(row, self.row_view(mm), note)

    def _retrain(self, row: int, config: ModelConfig) -> None:
        """Warm-start from the nearest model of the same kind; show every epoch as it ends."""
        kind, value = config.kind, model_value(config)
        candidates = MapGrid({**self.grid.models,
                              **{k: v for k, v in self.live_models.items() if k[0] == kind}})
        start = candidates.nearest(kind, value)
        target = describe(kind, value)
        last_epoch = start.epochs + self.settings.live_epochs

        def work(is_current: Callable[[], bool]) -> None:
            def stream(epoch: int, model, history: History) -> bool:
                if not is_current():
                    return False
                # a copy: the main thread may decode with it while training goes on
                snapshot = MapModel(kind, value, copy.deepcopy(model).eval(),
                                    History.from_dict(history.to_dict()), source="live")
                note = f"retraining live from {start.label}: epoch {epoch} of {last_epoch}"
                self._display(row, self.row_view(snapshot, memo=False), note, is_current=is_current)
                return is_current()

            try:
                done = warm_start(start, config, self.data, epochs=self.settings.live_epochs,
                                  callback=stream, is_current=is_current)
                if done is not None and is_current() and done.epochs == last_epoch:
                    self.live_models[done.key] = done
                    self._display(row, self.row_view(done), done.source, is_current=is_current)
            except Exception as err:  # back to the last complete model; the error is shown
                self._show_failure(row, target, err, is_current)
                raise

        # the note and the new generation together: a failing older work cannot slip
        # its note in between
        with self.lock:
            shown = self._states[row]
            if shown is not None:
                note = f"{target} is being retrained live from {start.label}…"
                self._set(row, RowState(shown.row_view, shown.detail, note, pending=True))
            self.retrainers[row].submit(work)

    def _show_failure(self, row: int, target: str, err: Exception, is_current) -> None:
        """Show ``row``'s last complete model again, its note saying the retrain failed."""
        with self.lock:
            complete = self._complete[row]
            if not is_current() or complete is None:
                return
            note = (f"{complete.note}; retraining {target} live failed "
                    f"({type(err).__name__}, the error is shown below)")
            self._set(row, RowState(complete.row_view, self._detail(complete.row_view.model), note))

    def wait_for_training(self, timeout: float | None = None) -> bool:
        """Block until both rows' live retrains have finished (tests, benchmarks); False
        if ``timeout`` (per row) ran out."""
        return all([retrainer.wait(timeout) for retrainer in self.retrainers])

    # ----------------------------------------------------------------- point and drawing
    def select_point(self, x: float, y: float) -> None:
        """Decode the plane's point (x, y) in both rows."""
        point = (check_real("x", x), check_real("y", y))
        with self.lock:
            self.point = point
            self._refresh_details()

    def set_drawn(self, image: np.ndarray | None, *, label: str = DRAWING_LABEL) -> None:
        """Encode ``image`` (784,) in [0, 1] (None: nothing drawn) in both rows, named ``label``."""
        if image is not None:
            image = np.asarray(image, dtype=np.float32).reshape(-1)
            if image.shape != (784,) or not np.isfinite(image).all():
                raise ValueError(f"image must hold 784 finite pixels, got shape {image.shape}")
        with self.lock:
            self.drawn, self.drawn_label = image, label
            self._refresh_details()

    def set_strokes(self, strokes: list, *, canvas_size: int, pen_width: float) -> None:
        """A drawing's strokes (checked by :func:`~explainer.strokes.strokes_to_image`), encoded
        in both rows as the drawn digit."""
        self.set_drawn(strokes_to_image(strokes, canvas_size=canvas_size, pen_width=pen_width))

    def _detail(self, mm: MapModel) -> Detail:
        point_image = None
        if self.point is not None:
            point_image = decode_codes(mm.model, np.array([self.point]))[0]
        code = recon = None
        outline = (np.array([]), np.array([]))
        if self.drawn is not None:
            code, sigma = encode_images(mm.model, self.drawn[None, :])
            recon = decode_codes(mm.model, code)[0]
            if sigma is not None:
                outline = ellipse_outlines(code, sigma)
        return Detail(self.point, point_image, self.drawn, self.drawn_label, code, outline, recon)

    def _refresh_details(self) -> None:
        for row, shown in enumerate(self._states):
            if shown is not None:
                self._set(row, RowState(shown.row_view, self._detail(shown.row_view.model),
                                        shown.note, shown.pending))

    # ----------------------------------------------------------------- state changes
    def _display(self, row: int, row_view: RowView, note: str, *, is_current=None) -> None:
        """Show ``row_view`` in ``row`` unless a newer request made this one stale."""
        if is_current is not None and not is_current():
            return  # stale: a newer value was asked for
        with self.lock:
            if is_current is not None and not is_current():
                return
            state = RowState(row_view, self._detail(row_view.model), note)
            if row_view.model.resume is not None:  # a cached or finished model, not an epoch
                self._complete[row] = state
            self._set(row, state)

    def _set(self, row: int, state: RowState) -> None:
        with self.lock:
            self._states[row] = state
            if self.listener is not None:
                self.listener(row, state)


def main(argv: list[str] | None = None) -> None:
    """``python -m explainer.latent_maps [--large]``: train (or check) the map models and the
    digit classifier ahead of a lecture."""

    parser = argparse.ArgumentParser(
        description="Train the latent maps' models and digit classifier ahead of a lecture.")
    parser.add_argument("--large", action="store_true", help="the larger noise and beta grid")
    args = parser.parse_args(argv)
    data = load_mnist()
    grid = train_map_grid(data, grid="large" if args.large else "default", progress=True)
    train_digit_classifier(data)
    for _key, mm in sorted(grid.models.items()):
        last = mm.history.last("test")
        print(f"{mm.label:<22} test reconstruction {last['reconstruction']:6.1f}  "
              f"KL {last['kl']:6.1f} nats  ({mm.source})")


if __name__ == "__main__":
    main()
