"""The browser tests' reader of kernel messages (tests/browser/kernel_messages.py), on frames
built as jupyter_server sends them: no browser needed."""

import json
import struct

from tests.browser.kernel_messages import decode, problem


def v1_frame(channel, msg_type, parent_type, content):
    """A frame in the v1.kernel.websocket.jupyter.org protocol (jupyter_server's layout)."""
    parts = [channel.encode(), json.dumps({"msg_type": msg_type}).encode(),
             json.dumps({"msg_type": parent_type} if parent_type else {}).encode(), b"{}",
             json.dumps(content).encode()]
    offsets = [8 * (len(parts) + 2)]
    for part in parts:
        offsets.append(offsets[-1] + len(part))
    return struct.pack(f"<Q{len(offsets)}Q", len(offsets), *offsets) + b"".join(parts)


def test_binary_and_json_frames_decode_to_the_same_message():
    content = {"ename": "ValueError", "evalue": "boom", "traceback": []}
    binary = decode(v1_frame("iopub", "error", "comm_msg", content))
    text = decode(json.dumps({"channel": "iopub", "header": {"msg_type": "error"},
                              "parent_header": {"msg_type": "comm_msg"}, "content": content}))
    assert binary == text
    assert problem(binary) == "kernel error in reply to comm_msg: ValueError: boom"


def test_what_counts_as_a_hidden_error():
    stderr = {"name": "stderr", "text": "Traceback ...\nValueError: ambiguous\n"}
    assert "shown in no cell" in problem(decode(v1_frame("iopub", "stream", "comm_msg", stderr)))
    # a cell's own output is shown in that cell
    assert problem(decode(v1_frame("iopub", "stream", "execute_request", stderr))) is None
    failed = {"status": "error", "ename": "NameError", "evalue": "x"}
    assert "status error" in problem(decode(v1_frame("shell", "execute_reply", "execute_request",
                                                     failed)))
    assert problem(decode(v1_frame("shell", "execute_reply", "execute_request",
                                   {"status": "ok"}))) is None
    assert decode(b"\x00not a frame") is None and decode("{}") is None


def test_jupyterlabs_widget_handshake_with_a_fresh_kernel_is_not_an_error():
    no_target = {"name": "stderr",
                 "text": "No such comm target registered: jupyter.widget.control\n"}
    assert problem(decode(v1_frame("iopub", "stream", "comm_open", no_target))) is None
    no_comm = {"name": "stderr", "text": "No such comm: abc\n"}
    msg = decode(v1_frame("iopub", "stream", "comm_msg", no_comm))
    assert problem(msg, control_comms={"abc"}) is None
    assert problem(msg) is not None  # any other comm that the kernel does not know is reported
