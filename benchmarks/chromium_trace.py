"""Where a page's time goes: Chromium's performance trace, its CPU profile and its kernel
websocket, each reduced to a few numbers (used by ``benchmarks/page_trace.py``).

- :func:`main_thread_split`: the renderer main thread's time in a window, by kind of work,
  as DevTools' summary counts it: each trace event's *self* time (its duration less its
  children's) goes to the kind of that event, or of its nearest ancestor of a known kind;
  what no task covers is idle.
- :func:`top_functions`: the JavaScript functions with the most self time in a CPU profile
  (CDP ``Profiler.stop``), named with their script.
- :class:`Wire`: every kernel message on the page's websockets, with its size, and the
  kernel's busy time read off its own status messages (``busy`` then ``idle`` for one
  request, timestamped by the kernel).
"""

from __future__ import annotations

import collections
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

# trace event names (Chromium 156) -> the kind of work DevTools files them under
KINDS = {
    "compile": ("v8.compile", "v8.compileModule", "V8.CompileCode", "v8.produceCache",
                "v8.produceModuleCache", "v8.deserializeOnBackground", "V8.CompileLazy",
                "v8.parseOnBackground", "CacheScript", "v8.wasm.compiledModule"),
    "scripting": ("FunctionCall", "EvaluateScript", "v8.evaluateModule", "TimerFire",
                  "EventDispatch", "FireAnimationFrame", "FireIdleCallback", "RunMicrotasks",
                  "v8.run", "V8.Execute", "XHRReadyStateChange", "XHRLoad", "v8.callFunction",
                  "HandlePostMessage", "WebSocketReceive", "ResourceReceivedData"),
    "parse HTML/CSS": ("ParseHTML", "ParseAuthorStyleSheet"),
    "style+layout": ("Layout", "UpdateLayoutTree", "RecalculateStyles", "PrePaint",
                     "Layerize", "HitTest", "IntersectionObserverController::computeIntersections",
                     "ScheduleStyleRecalculation", "InvalidateLayout"),
    "paint": ("Paint", "PaintImage", "CompositeLayers", "UpdateLayer", "Commit",
              "Decode Image", "DecodeImage", "ImageDecodeTask", "PaintSetup"),
    "gc": ("MajorGC", "MinorGC", "V8.GCFinalizeMC", "V8.GCScavenger", "BlinkGC.AtomicPhase",
           "V8.GCIncrementalMarking", "V8.GC_MC_BACKGROUND_MARKING", "CppGC.AtomicPhase"),
}
KIND_OF = {name: kind for kind, names in KINDS.items() for name in names}
ORDER = ("scripting", "compile", "parse HTML/CSS", "style+layout", "paint", "gc", "other",
         "idle")


def main_thread(events: list[dict]) -> tuple[int, int]:
    """(pid, tid) of the renderer main thread that did the most work in the trace."""
    mains = {(e["pid"], e["tid"]) for e in events
             if e.get("ph") == "M" and e.get("name") == "thread_name"
             and e.get("args", {}).get("name") == "CrRendererMain"}
    busy = collections.Counter()
    for e in events:
        if e.get("ph") == "X" and (e["pid"], e["tid"]) in mains:
            busy[e["pid"], e["tid"]] += e.get("dur", 0)
    if not busy:
        raise ValueError("the trace has no renderer main thread with work on it")
    return busy.most_common(1)[0][0]


def _spans(events: list[dict], thread: tuple[int, int]) -> list[tuple[float, float, str]]:
    """(start, end, name) of the thread's complete events and begin/end pairs, in µs."""
    spans, open_ = [], collections.defaultdict(list)
    for e in events:
        if (e.get("pid"), e.get("tid")) != thread:
            continue
        ph = e.get("ph")
        if ph == "X":
            spans.append((e["ts"], e["ts"] + e.get("dur", 0), e["name"]))
        elif ph == "B":
            open_[e["name"]].append(e["ts"])
        elif ph == "E" and open_[e.get("name", "")]:
            spans.append((open_[e["name"]].pop(), e["ts"], e["name"]))
    # parents first: earlier start, then longer
    spans.sort(key=lambda s: (s[0], -s[1]))
    return spans


def main_thread_split(events: list[dict], *, start_us: float, end_us: float,
                      unknown: collections.Counter | None = None) -> dict[str, float]:
    """Milliseconds of the main thread's time from ``start_us`` to ``end_us`` (trace clock),
    by kind of work (:data:`ORDER`); the kinds sum to the window. ``unknown``, if given,
    counts the self milliseconds of each event name filed under "other"."""
    thread = main_thread(events)
    split = dict.fromkeys(ORDER, 0.0)
    unknown = collections.Counter() if unknown is None else unknown
    stack: list[tuple[float, str | None, str]] = []  # open events: (end, kind or None, name)
    for s, e, name in _spans(events, thread):
        s, e = max(s, start_us), min(e, end_us)
        if e <= s:
            continue
        while stack and stack[-1][0] <= s:
            stack.pop()
        inherited = next((f[1] for f in reversed(stack) if f[1] is not None), None)
        kind = KIND_OF.get(name, inherited)
        if stack:
            e = min(e, stack[-1][0])
        # self time is charged as it happens: the whole span now, less each child later
        split[kind or "other"] += (e - s) / 1000
        if kind is None:
            unknown[name] += (e - s) / 1000
        if stack:
            split[stack[-1][1] or "other"] -= (e - s) / 1000
            if stack[-1][1] is None:
                unknown[stack[-1][2]] -= (e - s) / 1000
        stack.append((e, kind, name))
    busy = sum(v for k, v in split.items() if k != "idle")
    split["idle"] = max(0.0, (end_us - start_us) / 1000 - busy)
    return split


def top_functions(profile: dict, *, n: int = 6) -> list[tuple[str, float]]:
    """The ``n`` JavaScript functions with the most self time (ms) in a CDP CPU profile,
    named ``function (script:line)``; idle, program and GC samples are left out."""
    nodes = {node["id"]: node for node in profile.get("nodes", [])}
    self_us = collections.Counter()
    for node_id, delta in zip(profile.get("samples", []), profile.get("timeDeltas", []),
                              strict=False):
        frame = nodes[node_id]["callFrame"]
        name = frame.get("functionName") or "(anonymous)"
        if name in ("(idle)", "(program)", "(garbage collector)", "(root)"):
            continue
        script = frame.get("url", "").rsplit("/", 1)[-1].split("?")[0] or "?"
        self_us[f"{name} ({script[:40]}:{frame.get('lineNumber', -1) + 1})"] += delta
    return [(name, us / 1000) for name, us in self_us.most_common(n)]


def kernel_time(date: str) -> float:
    """Seconds since the epoch of a Jupyter header's ISO 8601 ``date``."""
    return dt.datetime.fromisoformat(date.replace("Z", "+00:00")).timestamp()


@dataclass
class Wire:
    """Every frame a page receives or sends on its kernel websockets, in order, as
    (direction "in" or "out", bytes, the kernel message or None). Playwright's sync API
    hands frames over only while one of its calls runs, so a phase is delimited by
    positions in the list (:meth:`mark`), taken after a call into the page."""

    records: list[tuple[str, int, object]] = field(default_factory=list)

    def mark(self) -> int:
        return len(self.records)

    def summary(self, first: int, last: int) -> dict:
        """Bytes and messages each way in records ``first:last``, the message types received
        with the most bytes, and the kernel's busy seconds (the union of its busy-to-idle
        intervals)."""
        records = self.records[first:last]
        received = [r for r in records if r[0] == "in"]
        by_type = collections.Counter()
        for _d, size, msg in received:
            by_type[_label(msg)] += size
        return {
            "bytes_in": sum(r[1] for r in received),
            "bytes_out": sum(r[1] for r in records if r[0] == "out"),
            "messages_in": len(received),
            "largest_in": by_type.most_common(3),
            "kernel_busy_s": busy_seconds(r[2] for r in received),
        }


def _label(msg) -> str:
    if msg is None:
        return "(not a kernel message)"
    method = msg.content.get("data", {}).get("method") if msg.msg_type.startswith("comm") else ""
    return msg.msg_type + (f":{method}" if method else "")


def busy_seconds(messages: Iterable) -> float:
    """The kernel's busy time: for each request, from its ``status: busy`` to its
    ``status: idle`` (the kernel's timestamps), intervals merged."""
    began, intervals = {}, []
    for msg in messages:
        if msg is None or msg.msg_type != "status" or not msg.date:
            continue
        state = msg.content.get("execution_state")
        if state == "busy":
            began[msg.parent_id] = kernel_time(msg.date)
        elif state == "idle" and msg.parent_id in began:
            intervals.append((began.pop(msg.parent_id), kernel_time(msg.date)))
    total, reach = 0.0, float("-inf")
    for s, e in sorted(intervals):
        if e > reach:
            total += e - max(s, reach)
            reach = e
    return total
