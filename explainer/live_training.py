"""Run one training at a time in the background: one worker, and one slot for the latest request.

A slider that asks for a model not in the cache starts a retrain here. The work is a
function ``work(is_current)`` that trains in steps and checks ``is_current()`` between
them (``explainer.map_models.warm_start`` asks it before every optimiser step).

Each :class:`LiveRetrainer` has at most one worker thread and one pending request.
Submitting new work makes every earlier ``is_current`` return False, so the running
work stops at its next check, and it takes the pending slot: a request still waiting
there is dropped without running. The worker then runs the latest request. Fifty quick
slider changes therefore run at most two works (the one already running, cancelled at
its next check, and the last), and end about as fast as a single change.

``synchronous=True`` runs the work in the caller's thread: deterministic, for tests and
for notebooks executed by nbval.
"""

from __future__ import annotations

import sys
import threading
import traceback
from collections.abc import Callable

Work = Callable[[Callable[[], bool]], None]


class LiveRetrainer:
    """One background worker with a latest-request slot; ``on_error(exc)`` receives the
    exception of a work that failed in the worker (printed to stderr if there is none)."""

    def __init__(self, *, synchronous: bool = False,
                 on_error: Callable[[BaseException], None] | None = None) -> None:
        if not isinstance(synchronous, bool):
            raise TypeError(f"synchronous must be True or False, got {synchronous!r}")
        if on_error is not None and not callable(on_error):
            raise TypeError(f"on_error must be callable or None, got {type(on_error).__name__}")
        self.synchronous = synchronous
        self.on_error = on_error
        self._lock = threading.Lock()
        self._generation = 0
        self._pending: tuple[Work, int] | None = None
        self._worker: threading.Thread | None = None
        self._idle = threading.Event()
        self._idle.set()

    def submit(self, work: Work) -> int:
        """Cancel whatever runs, replace whatever waits, and run ``work`` next; returns its
        generation number."""
        with self._lock:
            self._generation += 1
            generation = self._generation
            if not self.synchronous:
                self._pending = (work, generation)  # an older pending request is dropped
                self._idle.clear()
                if self._worker is None:
                    self._worker = threading.Thread(target=self._serve, daemon=True,
                                                    name=f"live-retrain-{id(self):x}")
                    self._worker.start()
        if self.synchronous:
            work(self._checker(generation))
        return generation

    def cancel(self) -> None:
        """Make the running work stale (it stops at its next check) and drop the pending one."""
        with self._lock:
            self._generation += 1
            self._pending = None

    def wait(self, timeout: float | None = None) -> bool:
        """Block until no work runs or waits (tests, benchmarks); False if ``timeout`` ran out."""
        return self._idle.wait(timeout)

    def _checker(self, generation: int) -> Callable[[], bool]:
        def is_current() -> bool:
            return self._generation == generation

        return is_current

    def _serve(self) -> None:
        """The worker: run the latest request until none is left, then end."""
        try:
            while True:
                with self._lock:
                    if self._pending is None:
                        self._worker = None
                        self._idle.set()
                        return
                    work, generation = self._pending
                    self._pending = None
                try:
                    work(self._checker(generation))
                except Exception as err:  # reported, never swallowed: the widget shows it
                    self._report(err)
        except BaseException:
            with self._lock:  # leave a state the next submit can start from
                self._worker = None
                if self._pending is None:
                    self._idle.set()
            raise

    def _report(self, err: Exception) -> None:
        if self.on_error is not None:
            try:
                self.on_error(err)
                return
            except Exception:  # the reporter failed too: both go to stderr
                traceback.print_exc()
        traceback.print_exception(type(err), err, err.__traceback__, file=sys.stderr)
