"""Reading what the kernel tells the page, on the page's own websocket.

A kernel can answer a message from the page with an error that no page shows: a comm
message (the page telling a widget what changed) whose handler raises is logged by the
kernel as a stderr stream whose parent is that comm message. JupyterLab puts it in its log
console, Voila nowhere. The browser tests therefore read every kernel message the page
receives and fail on:

- an ``error`` message on any channel (a cell or a handler raised);
- a reply (``*_reply``) whose ``status`` is ``"error"``;
- output a person cannot see: a ``stream`` or ``display_data`` whose parent is not an
  ``execute_request`` (a comm message's traceback, a callback's print).

One exchange is not a problem and is skipped by name: when JupyterLab connects to a kernel
that has not imported ipywidgets yet, its widget manager opens a ``jupyter.widget.control``
comm to ask for existing widgets, and the kernel answers "No such comm target registered:
jupyter.widget.control" and then "No such comm: <that comm's id>". The manager expects this
(it starts with no widgets) and JupyterLab logs neither.

Two wire formats exist: JSON text frames (the legacy protocol) and the binary
``v1.kernel.websocket.jupyter.org`` protocol that JupyterLab 4 and Voila negotiate with
jupyter_server 2 (a table of little-endian 64-bit offsets, then the channel, header,
parent header, metadata and content, then binary buffers).
"""

from __future__ import annotations

import json
import struct
from dataclasses import dataclass


@dataclass(frozen=True)
class KernelMessage:
    channel: str
    msg_type: str
    parent_type: str
    content: dict
    msg_id: str = ""
    parent_id: str = ""
    date: str = ""  # the sender's ISO 8601 timestamp in the header


def decode(payload: str | bytes) -> KernelMessage | None:
    """The kernel message in one websocket frame; None for a frame that is not one."""
    try:
        if isinstance(payload, str):
            msg = json.loads(payload)
            channel = msg.get("channel", "")
            header, parent, content = msg["header"], msg.get("parent_header") or {}, msg["content"]
        else:
            (n,) = struct.unpack_from("<Q", payload, 0)
            offsets = struct.unpack_from(f"<{n}Q", payload, 8)
            parts = [payload[offsets[i]:offsets[i + 1]] for i in range(min(n - 1, 5))]
            channel = parts[0].decode()
            header, parent, _metadata, content = (json.loads(p or b"{}") for p in parts[1:5])
    except (ValueError, KeyError, TypeError, struct.error, UnicodeDecodeError):
        return None
    if not isinstance(header, dict) or "msg_type" not in header:
        return None
    parent = parent if isinstance(parent, dict) else {}
    return KernelMessage(channel, header["msg_type"], parent.get("msg_type", ""),
                         content if isinstance(content, dict) else {},
                         msg_id=str(header.get("msg_id", "")),
                         parent_id=str(parent.get("msg_id", "")), date=str(header.get("date", "")))


CONTROL_TARGET = "jupyter.widget.control"


def problem(msg: KernelMessage, *,
            control_comms: frozenset[str] | set[str] = frozenset()) -> str | None:
    """A one-line description of what is wrong in ``msg``, or None if nothing is.
    ``control_comms``: ids of the ``jupyter.widget.control`` comms the page opened."""
    c = msg.content
    text = (c.get("text") or "").strip()
    if text == f"No such comm target registered: {CONTROL_TARGET}" or (
            text.startswith("No such comm: ")
            and text.removeprefix("No such comm: ") in control_comms):
        return None
    if msg.msg_type == "error":
        return (f"kernel error in reply to {msg.parent_type or 'nothing'}: "
                f"{c.get('ename')}: {c.get('evalue')}")
    if msg.msg_type.endswith("_reply") and c.get("status") == "error":
        return f"kernel {msg.msg_type} with status error: {c.get('ename')}: {c.get('evalue')}"
    if msg.channel == "iopub" and msg.msg_type in ("stream", "display_data") \
            and msg.parent_type not in ("execute_request", ""):
        text = text or json.dumps(c.get("data", {}))[:400]
        return f"output in reply to {msg.parent_type}, shown in no cell: {text[-600:]}"
    return None


def record_kernel_problems(page) -> list[str]:
    """Start reading every kernel message ``page`` receives; the list returned fills with a
    line per problem (see the module's docstring) as they arrive."""
    problems: list[str] = []
    control_comms: set[str] = set()

    def on_received(payload: str | bytes) -> None:
        msg = decode(payload)
        if msg is not None and (line := problem(msg, control_comms=control_comms)) is not None:
            problems.append(line)

    def on_sent(payload: str | bytes) -> None:
        msg = decode(payload)
        if msg is not None and msg.msg_type == "comm_open" \
                and msg.content.get("target_name") == CONTROL_TARGET:
            control_comms.add(msg.content.get("comm_id", ""))

    def on_websocket(ws) -> None:
        if "/channels" in ws.url:
            ws.on("framesent", on_sent)
            ws.on("framereceived", on_received)

    page.on("websocket", on_websocket)
    return problems


def record_points_reports(page) -> list[str]:
    """Start reading the messages ``page`` sends its kernels; the list returned fills with the
    event type of every plotly points report (``_js2py_pointsCallback``: a click, a hover, a
    selection) a figure sends, as they leave."""
    reports: list[str] = []

    def on_sent(payload: str | bytes) -> None:
        msg = decode(payload)
        if msg is None or msg.msg_type != "comm_msg":
            return
        state = (msg.content.get("data") or {}).get("state") or {}
        points = state.get("_js2py_pointsCallback")
        if isinstance(points, dict):
            reports.append(str(points.get("event_type")))

    def on_websocket(ws) -> None:
        if "/channels" in ws.url:
            ws.on("framesent", on_sent)

    page.on("websocket", on_websocket)
    return reports
