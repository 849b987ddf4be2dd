"""Finding the system tools the engine runs (runc, conmon, ip, nft...) without importing shutil.

Every engine CLI call pays its imports, and ``shutil`` drags in several modules for one ``which``.
Root shells without sbin on PATH are common, so the sbin directories are always searched too.
"""

from __future__ import annotations

import os

EXTRA_DIRS = ("/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin")

_found: dict[str, str] = {}


def which(name: str) -> str | None:
    """The executable ``name`` on PATH or in the usual system directories, else ``None``."""
    if name in _found:
        return _found[name]
    dirs = [d for d in os.environ.get("PATH", "").split(os.pathsep) if d] + list(EXTRA_DIRS)
    for directory in dirs:
        path = os.path.join(directory, name)
        if os.path.isfile(path) and os.access(path, os.X_OK):
            _found[name] = path
            return path
    return None
