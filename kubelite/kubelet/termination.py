"""Termination messages: what ``containerStatuses[].state.terminated.message`` says when a container ends.

As the kubelet does, every container gets a host file bound at its ``terminationMessagePath`` (default
``/dev/termination-log``); whatever the process wrote there (at most 4096 bytes) becomes the message.
With ``terminationMessagePolicy: FallbackToLogsOnError`` an empty file and a failed exit fall back to the
tail of the container's log (the last 80 lines, at most 2048 bytes). The file lives with the pod's
directory (``<root>/kubelet/pods/<uid>/containers/<name>/<attempt>``) and goes with it.
"""

from __future__ import annotations

import os

from kubelite.kubelet.volumes import pod_dir

MAX_MESSAGE = 4096
FALLBACK_LINES = 80
FALLBACK_BYTES = 2048


def message_file(root: str, uid: str, name: str, attempt: int) -> str:
    return os.path.join(pod_dir(root, uid), "containers", name, str(attempt), "termination-log")


def prepare(path: str) -> None:
    """An empty file any user in the container may write (blocking)."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb"):
        pass
    os.chmod(path, 0o666)


def read_message(path: str) -> str:
    """The message written to ``path`` (trimmed to the kubelet's limit), "" when none."""
    try:
        with open(path, "rb") as fh:
            return fh.read(MAX_MESSAGE).decode(errors="replace")
    except OSError:
        return ""


def from_logs(lines: list[bytes]) -> str:
    """FallbackToLogsOnError's message: the log's last lines, cut to its byte limit from the end."""
    text = b"".join(line if line.endswith(b"\n") else line + b"\n" for line in lines[-FALLBACK_LINES:])
    return text[-FALLBACK_BYTES:].decode(errors="replace")
