"""Run one training at a time in the background; a newer request cancels the older.

A slider that asks for a model not in the cache starts a retrain here. The work is a
function ``work(is_current)`` that trains in steps and checks ``is_current()`` between
them (``explainer.train.fit``'s callback returning False stops it). Submitting new
work makes every earlier ``is_current`` return False, so stale training stops at its
next epoch instead of queueing ahead of the new one.

``synchronous=True`` runs the work in the caller's thread: deterministic, for tests and
for notebooks executed by nbval.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

Work = Callable[[Callable[[], bool]], None]


class LiveRetrainer:
    """One background worker at a time; ``on_error(exc)`` receives a failed work's exception."""

    def __init__(self, *, synchronous: bool = False,
                 on_error: Callable[[BaseException], None] | None = None) -> None:
        if not isinstance(synchronous, bool):
            raise TypeError(f"synchronous must be True or False, got {synchronous!r}")
        self.synchronous = synchronous
        self.on_error = on_error
        self._lock = threading.Lock()
        self._generation = 0
        self._thread: threading.Thread | None = None

    def submit(self, work: Work) -> int:
        """Cancel whatever runs and start ``work``; returns its generation number."""
        with self._lock:
            self._generation += 1
            generation = self._generation

        def is_current() -> bool:
            return self._generation == generation

        if self.synchronous:
            work(is_current)
            return generation
        thread = threading.Thread(target=self._run, args=(work, is_current), daemon=True,
                                  name=f"live-retrain-{generation}")
        self._thread = thread
        thread.start()
        return generation

    def cancel(self) -> None:
        """Make the running work stale (it stops at its next check)."""
        with self._lock:
            self._generation += 1

    @property
    def busy(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def wait(self, timeout: float | None = None) -> None:
        """Block until the latest background work has finished (tests, benchmarks)."""
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self, work: Work, is_current: Callable[[], bool]) -> None:
        try:
            work(is_current)
        except BaseException as err:  # reported, never swallowed: the widget shows it
            if self.on_error is not None:
                self.on_error(err)
            raise
