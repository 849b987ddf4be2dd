"""The one exception a verb raises to end with a clear message and a non-zero exit, never a traceback."""

from __future__ import annotations


class CLIError(Exception):
    """A user-facing failure: printed as ``Error: <message>`` with ``exit_code``."""

    def __init__(self, message: str, exit_code: int = 1) -> None:
        super().__init__(message)
        self.exit_code = exit_code
