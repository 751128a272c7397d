"""Live retraining in the background: one worker, the latest request, cancellation."""

from __future__ import annotations

import threading
import time

import pytest

from explainer.live_training import LiveRetrainer


def test_live_retrainer_cancels_the_older_work():
    done, stopped = [], []

    def work_named(name):
        def work(is_current):
            for _ in range(50):
                if not is_current():
                    stopped.append(name)
                    return
                time.sleep(0.01)
            done.append(name)
        return work

    r = LiveRetrainer()
    r.submit(work_named("old"))
    time.sleep(0.05)
    r.submit(work_named("new"))
    r.wait()
    time.sleep(0.05)
    assert done == ["new"] and stopped == ["old"]
    sync = LiveRetrainer(synchronous=True)
    sync.submit(work_named("sync"))
    assert done[-1] == "sync" and threading.active_count() >= 1
    with pytest.raises(TypeError, match="synchronous must be True or False"):
        LiveRetrainer(synchronous=1)


def test_a_burst_of_submits_runs_only_the_running_work_and_the_last():
    # fifty quick slider changes used to start fifty threads at once
    started, release = threading.Event(), threading.Event()
    ran, stale = [], []

    def first(is_current):
        ran.append(0)
        started.set()
        release.wait(5)
        stale.append(not is_current())  # cancelled at its next check

    def numbered(i):
        return lambda is_current: ran.append(i)

    r = LiveRetrainer()
    r.submit(first)
    assert started.wait(5)
    for i in range(1, 21):
        r.submit(numbered(i))
    busy = not r.wait(0)
    release.set()
    assert r.wait(10)
    assert ran == [0, 20] and stale == [True]  # the older pending requests never ran
    assert busy
    assert not any(t.name.startswith("live-retrain") for t in threading.enumerate()
                                  if t.is_alive() and t is not threading.current_thread())
    r.submit(numbered(21))  # a later request starts a worker again
    assert r.wait(10) and ran[-1] == 21


def test_cancel_drops_the_pending_request():
    started, release = threading.Event(), threading.Event()
    ran = []
    r = LiveRetrainer()
    r.submit(lambda is_current: (ran.append("running"), started.set(), release.wait(5)))
    assert started.wait(5)
    r.submit(lambda is_current: ran.append("pending"))
    r.cancel()
    release.set()
    assert r.wait(10) and ran == ["running"]


def test_live_retrainer_reports_errors():
    errors, ran = [], []

    def broken(is_current):
        raise RuntimeError("diverged")

    r = LiveRetrainer(on_error=errors.append)
    r.submit(broken)
    r.wait()
    assert isinstance(errors[0], RuntimeError)
    r.submit(lambda is_current: ran.append("after"))  # the worker goes on after a failure
    r.wait()
    assert ran == ["after"] and len(errors) == 1
    with pytest.raises(RuntimeError, match="diverged"):
        LiveRetrainer(synchronous=True, on_error=errors.append).submit(broken)

