"""Shared plumbing of the container verbs: opening the engine and turning engine errors into one line.

Every container verb runs inside :func:`engine_errors`, so a :class:`ContainerError` (missing container,
taken name, busy port, runc failure...) becomes ``Error: <message>`` and a non-zero exit, never a
traceback.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from kubelite.cli.errors import CLIError

if TYPE_CHECKING:
    from kubelite.runtime.lifecycle import Engine


def open_engine(args: Any) -> Engine:
    from kubelite.runtime.lifecycle import Engine

    return Engine(args.root)


@contextlib.contextmanager
def engine_errors() -> Iterator[None]:
    from kubelite.runtime.container_errors import CommandNotFound, ContainerError, NotFound

    try:
        yield
    except CommandNotFound as err:
        raise CLIError(str(err), exit_code=127) from None
    except NotFound as err:
        raise CLIError(str(err), exit_code=125 if "image" in str(err) else 1) from None
    except ContainerError as err:
        raise CLIError(str(err), exit_code=125) from None
    except PermissionError as err:
        raise CLIError(f"permission denied: {err.filename or err} (the engine needs root)") from None
    except OSError as err:  # a mount, a file or a tool failing underneath: one line, not a traceback
        raise CLIError(str(err) or type(err).__name__) from None
