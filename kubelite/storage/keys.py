"""Key ranges: a prefix as the half-open interval ``[prefix, prefix_end)``.

Keys compare by code point, which is also the byte order of their UTF-8 encoding, so the memory
backend (Python ``str`` order), SQLite (``BINARY`` collation on UTF-8 text) and etcd (raw bytes) all
sort keys the same way and page boundaries agree across backends.
"""

from __future__ import annotations


def prefix_end(prefix: str) -> str | None:
    """The smallest string greater than every string starting with ``prefix``; None if unbounded.

    Like etcd's ``GetPrefixRangeEnd``: bump the last code point that can be bumped, drop what follows.
    """
    chars = list(prefix)
    while chars:
        last = ord(chars[-1])
        if last < 0x10FFFF:
            nxt = last + 1
            if 0xD800 <= nxt <= 0xDFFF:  # surrogates are not valid in UTF-8; skip the block
                nxt = 0xE000
            chars[-1] = chr(nxt)
            return "".join(chars)
        chars.pop()
    return None


def in_range(key: str, prefix: str) -> bool:
    return key.startswith(prefix)


def bytes_prefix_end(prefix: bytes) -> bytes:
    """etcd's range end for a byte prefix; ``b"\\0"`` (everything) for an empty one."""
    buf = bytearray(prefix)
    while buf:
        if buf[-1] < 0xFF:
            buf[-1] += 1
            return bytes(buf)
        buf.pop()
    return b"\0"
