"""The build's error vocabulary: every failure a user can cause names the Dockerfile line.

The CLI prints ``str(err)`` as one line; the format follows the brief and Docker's spirit:
``Dockerfile:7: unknown instruction: RUNN``.
"""

from __future__ import annotations


class BuildError(Exception):
    """A build failed for a reason a user can act on (bad Dockerfile, missing file, failing RUN)."""


class DockerfileError(BuildError):
    """An error tied to one Dockerfile line. ``line`` is 1-based; 0 means the file as a whole."""

    def __init__(self, message: str, line: int = 0, filename: str = "Dockerfile") -> None:
        self.message = message
        self.line = line
        self.filename = filename
        where = f"{filename}:{line}" if line else filename
        super().__init__(f"{where}: {message}")

    def with_filename(self, filename: str) -> DockerfileError:
        """The same error, naming the file as the user gave it (``-f path``)."""
        return DockerfileError(self.message, self.line, filename)


class ContextError(BuildError):
    """The build context cannot be read safely (a path escaping it, a missing source file)."""
