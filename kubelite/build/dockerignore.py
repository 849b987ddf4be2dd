"""``.dockerignore`` patterns with Docker's semantics (moby's ``dockerignore`` + ``patternmatcher``).

Pure. Reading a file: a line starting with ``#`` is a comment; each line is trimmed of surrounding
blanks (so trailing spaces do not count); ``!`` marks an exception; the pattern is cleaned as a path
(``a/../b`` is ``b``, ``./x`` is ``x``) and a leading ``/`` dropped, so ``/x`` and ``x`` both mean the
context's top-level ``x``.

Matching: patterns apply in order and the last one that matches decides (an exception re-includes).
``*`` matches any run of non-``/`` characters, ``?`` one non-``/`` character, ``[...]`` a class,
``\\`` escapes the next character, and ``**`` any number of directories (zero included). A path is
also excluded when a pattern matches one of its parent directories (``node_modules`` excludes
``node_modules/x/y.js``), unless a later exception matches the path itself or one of its parents.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Pattern:
    text: str
    exclusion: bool
    regex: re.Pattern[str]
    dirs: int  # how many path components the pattern has: parents are tried up to this depth


def parse(text: str) -> list[str]:
    """The patterns of a ``.dockerignore`` file, normalised as Docker's ``ReadAll`` does."""
    out: list[str] = []
    for line in text.splitlines():
        if line.startswith("#"):
            continue
        pattern = line.strip()
        if not pattern:
            continue
        invert = pattern.startswith("!")
        if invert:
            pattern = pattern[1:].strip()
        if pattern:
            pattern = posixpath.normpath(pattern)
            if len(pattern) > 1 and pattern.startswith("/"):
                pattern = pattern[1:]
        out.append(("!" if invert else "") + pattern)
    return out


def _regex(pattern: str) -> re.Pattern[str]:
    out = ["^"]
    pos = 0
    while pos < len(pattern):
        ch = pattern[pos]
        pos += 1
        if ch == "*":
            if pos < len(pattern) and pattern[pos] == "*":
                pos += 1
                if pos < len(pattern) and pattern[pos] == "/":
                    pos += 1
                out.append(".*" if pos >= len(pattern) else "(.*/)?")
            else:
                out.append("[^/]*")
        elif ch == "?":
            out.append("[^/]")
        elif ch == "[":
            end = pattern.find("]", pos + 1)
            if end < 0:
                out.append(re.escape(ch))
            else:
                body = pattern[pos:end]
                if body.startswith("!"):
                    body = "^" + body[1:]
                out.append("[" + body.replace("\\", "\\\\") + "]")
                pos = end + 1
        elif ch == "\\" and pos < len(pattern):
            out.append(re.escape(pattern[pos]))
            pos += 1
        else:
            out.append(re.escape(ch))
    out.append("$")
    return re.compile("".join(out), re.S)


def compile_patterns(patterns: list[str]) -> list[Pattern]:
    compiled = []
    for text in patterns:
        exclusion = text.startswith("!")
        body = text[1:] if exclusion else text
        if not body:
            continue
        compiled.append(Pattern(text, exclusion, _regex(body), body.count("/") + 1))
    return compiled


class Matcher:
    """Decides whether a context path (``/``-separated, relative, no leading ``./``) is excluded."""

    def __init__(self, patterns: list[str]) -> None:
        self.patterns = compile_patterns(patterns)
        self.has_exclusions = any(p.exclusion for p in self.patterns)

    def excluded(self, path: str) -> bool:
        path = posixpath.normpath(path).lstrip("/")
        parents = path.split("/")
        matched = False
        for pattern in self.patterns:
            if pattern.exclusion != matched:
                continue  # cannot change the verdict
            hit = bool(pattern.regex.match(path))
            if not hit:
                # A pattern matching a parent directory covers everything below it.
                for depth in range(1, len(parents)):
                    if pattern.regex.match("/".join(parents[:depth])):
                        hit = True
                        break
            if hit:
                matched = not pattern.exclusion
        return matched

    def may_include_below(self, directory: str) -> bool:
        """Whether an exception could re-include something under an excluded ``directory``, so a walk
        must still descend into it (Docker's walk does the same check)."""
        if not self.has_exclusions:
            return False
        prefix = directory.rstrip("/") + "/"
        for pattern in self.patterns:
            if not pattern.exclusion:
                continue
            body = pattern.text[1:]
            if "*" in body or "?" in body or "[" in body or body.startswith(prefix) or \
                    prefix.startswith(body + "/"):
                return True
        return False
