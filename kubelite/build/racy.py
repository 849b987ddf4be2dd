"""Stat keys and the "racy git" rule, shared by the stat cache and the whole-build memo.

A file's stat (device, inode, size, mtime, ctime, mode) stands for its content only if a later write
would change it. Kernel timestamps come from a coarse clock (one tick is 1-10 ms), so a file written
in the same tick as we looked at it could be written again with an identical stat. Such a file is
"racy": it is hashed but not remembered (git handles its index the same way).
"""

from __future__ import annotations

import os
from collections.abc import Sequence

RACY_NS = 50_000_000             # well above the kernel's coarse timestamp tick
RACY_COARSE_NS = 2_000_000_000   # file systems with whole-second times


def stat_key(path: str) -> list[int] | None:
    try:
        st = os.stat(path, follow_symlinks=False)
    except OSError:
        return None
    return [st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_mode]


def is_racy(key: Sequence[int] | None, now_ns: int) -> bool:
    """Whether a change in the same timestamp tick as ``now_ns`` could hide behind this stat."""
    if key is None:
        return False
    newest = max(key[3], key[4])
    window = RACY_COARSE_NS if newest % 1_000_000_000 == 0 else RACY_NS
    return now_ns - newest < window
