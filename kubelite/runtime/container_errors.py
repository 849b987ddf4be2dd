"""The closed error vocabulary of the container side of the engine (containerd's errdefs, in spirit).

Every failure the engine reports to a caller is one of these; the CLI prints ``str(err)`` as one line
and exits non-zero, the CRI layer maps them to its own codes. Messages follow Docker's wording where a
user would recognise it ("No such container", "is already in use").
"""

from __future__ import annotations


class ContainerError(Exception):
    """Base of every engine error about containers, sandboxes or networking."""


class NotFound(ContainerError):
    """No container (or sandbox, or image) answers to that name or id."""


class AlreadyExists(ContainerError):
    """The name is taken by another container."""


class InvalidState(ContainerError):
    """The operation does not fit the container's state (start a running one, rm a running one)."""


class InvalidArgument(ContainerError):
    """Bad user input: a malformed port, volume, env file, memory size, user..."""


class CommandNotFound(InvalidArgument):
    """The command to run does not exist in the container's filesystem (Docker exits 127 for it)."""


class PortInUse(ContainerError):
    """A published host port is bound by another container or a host process."""


class RuntimeFailure(ContainerError):
    """runc or conmon failed; the message carries their last error line."""
