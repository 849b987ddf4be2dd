"""The single logging setup: constant messages, data in fields (``pod=ns/name``), never secrets.

Components log with ``log.info("pod started", extra={"pod": "ns/name"})``; the formatter appends every
extra field as ``key=value`` so lines stay greppable, as klog's structured logging does.
"""

from __future__ import annotations

import logging
import sys
from typing import TextIO

# Attributes every LogRecord has; anything else on a record came from ``extra`` and is printed.
_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}
_SECRET_WORDS = ("token", "password", "secret", "authorization")


class FieldFormatter(logging.Formatter):
    """``<time> <level> <logger>: <message> key=value ...``, with secret-looking fields redacted."""

    def format(self, record: logging.LogRecord) -> str:
        base = super().format(record)
        fields = []
        for key, value in record.__dict__.items():
            if key in _STANDARD or key.startswith("_"):
                continue
            shown = "<redacted>" if any(w in key.lower() for w in _SECRET_WORDS) else value
            text = str(shown)
            fields.append(f"{key}={text!r}" if " " in text else f"{key}={text}")
        return f"{base} {' '.join(fields)}" if fields else base


def setup_logging(*, debug: bool = False, stream: TextIO | None = None) -> None:
    """Configure the root logger once per process; later calls only change the level."""
    root = logging.getLogger()
    root.setLevel(logging.DEBUG if debug else logging.INFO)
    if any(getattr(h, "_kubelite", False) for h in root.handlers):
        return
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(FieldFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler._kubelite = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    # Libraries that chatter at INFO about every connection stay at WARNING unless debugging.
    for noisy in ("aiohttp.access", "asyncio"):
        logging.getLogger(noisy).setLevel(logging.DEBUG if debug else logging.WARNING)
