"""The arithmetic of the page-trace benchmark (benchmarks/chromium_trace.py) on small
hand-made traces, so that the split it reports is the one DevTools would show."""

from __future__ import annotations

import collections

import pytest

from benchmarks.chromium_trace import busy_seconds, main_thread_split, top_functions
from tests.browser.kernel_messages import KernelMessage

MAIN = {"ph": "M", "name": "thread_name", "pid": 1, "tid": 7, "args": {"name": "CrRendererMain"}}


def span(name: str, ts: float, dur: float, *, tid: int = 7) -> dict:
    return {"ph": "X", "name": name, "pid": 1, "tid": tid, "ts": ts, "dur": dur}


def test_self_times_go_to_each_events_kind_and_the_rest_is_idle():
    events = [MAIN,
              span("RunTask", 0, 10_000),  # 10 ms task: 2 ms of its own
              span("FunctionCall", 1_000, 6_000),  # 6 ms script: 4 ms its own
              span("v8.compile", 2_000, 2_000),  # 2 ms compiling inside the script
              span("Layout", 7_000, 2_000),
              span("Paint", 12_000, 3_000, tid=8),  # another thread: not counted
              span("Paint", 12_000, 1_000)]
    unknown = collections.Counter()
    split = main_thread_split(events, start_us=0, end_us=20_000, unknown=unknown)
    assert split["other"] == pytest.approx(2.0)
    assert dict(unknown) == {"RunTask": pytest.approx(2.0)}
    assert split["scripting"] == pytest.approx(4.0)
    assert split["compile"] == pytest.approx(2.0)
    assert split["style+layout"] == pytest.approx(2.0)
    assert split["paint"] == pytest.approx(1.0)
    assert split["idle"] == pytest.approx(9.0)
    assert sum(split.values()) == pytest.approx(20.0)


def test_an_unknown_event_inside_a_script_is_scripting_and_the_window_clips():
    events = [MAIN, span("FunctionCall", 0, 8_000), span("JSON.parse-ish", 1_000, 3_000)]
    split = main_thread_split(events, start_us=2_000, end_us=6_000)
    assert split["scripting"] == pytest.approx(4.0)
    assert split["idle"] == pytest.approx(0.0)


def test_a_trace_without_a_renderer_main_thread_is_refused():
    with pytest.raises(ValueError, match="renderer main thread"):
        main_thread_split([span("Layout", 0, 1)], start_us=0, end_us=1)


def status(state: str, parent: str, date: str) -> KernelMessage:
    return KernelMessage("iopub", "status", "comm_msg", {"execution_state": state},
                         parent_id=parent, date=date)


def test_kernel_busy_time_merges_overlapping_requests():
    messages = [status("busy", "a", "2026-12-01T10:00:00.000Z"),
                status("busy", "b", "2026-12-01T10:00:00.100Z"),
                status("idle", "a", "2026-12-01T10:00:00.200Z"),
                status("idle", "b", "2026-12-01T10:00:00.300Z"),
                status("busy", "c", "2026-12-01T10:00:01.000Z"),
                status("idle", "c", "2026-12-01T10:00:01.050Z"), None]
    assert busy_seconds(messages) == pytest.approx(0.35)


def test_top_functions_are_ranked_by_self_time_without_idle():
    def node(i, name, url="http://h/static/app.js?v=1", line=9):
        return {"id": i, "callFrame": {"functionName": name, "url": url, "lineNumber": line}}

    profile = {"nodes": [node(1, "(root)"), node(2, "parse"), node(3, "(idle)"), node(4, "")],
               "samples": [2, 3, 2, 4, 3], "timeDeltas": [500, 9000, 700, 300, 9000]}
    assert top_functions(profile) == [("parse (app.js:10)", 1.2), ("(anonymous) (app.js:10)", 0.3)]
