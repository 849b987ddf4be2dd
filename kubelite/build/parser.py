"""Dockerfile text to raw instructions with line numbers (BuildKit's parser rules).

Pure. The rules, as BuildKit's ``frontend/dockerfile/parser`` applies them:

- Parser directives (``# escape=``` ``, ``# syntax=``, ``# check=``) only at the very top: the first
  comment that is not a directive, empty line or instruction ends them. A repeated directive is an
  error; an unknown one is an ordinary comment.
- A line whose first non-blank character is ``#`` is a comment, also inside a continuation.
- A line ending in the escape character (trailing blanks allowed) continues onto the next; the
  continued text keeps the next line's leading blanks. Empty lines inside a continuation are skipped.
- The first word is the instruction (case-insensitive); leading ``--name[=value]`` words are its flags.
- Heredocs (``RUN <<EOF``, ``COPY <<EOF /dst``): the lines after the instruction up to the terminator
  are the heredoc's body; ``<<-`` strips leading tabs and a quoted terminator disables expansion.

Typed parsing of each instruction's arguments happens in :mod:`kubelite.build.instructions`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from kubelite.build.errors import DockerfileError

_DIRECTIVE = re.compile(r"^#\s*([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$")
_KNOWN_DIRECTIVES = ("escape", "syntax", "check")
_HEREDOC = re.compile(r"<<(-?)\s*(\"?|'?)([A-Za-z_][A-Za-z0-9_]*)\2")
_HEREDOC_COMMANDS = ("run", "copy", "add")


@dataclass(frozen=True)
class Heredoc:
    """One ``<<NAME`` body. ``expand`` is false when the terminator was quoted (``<<'EOF'``)."""

    name: str
    content: str
    expand: bool = True


@dataclass(frozen=True)
class RawInstruction:
    """One instruction as written: ``command`` lower-cased, ``flags`` the leading ``--x=y`` words,
    ``args`` the rest of the text (continuations joined), ``original`` the whole joined line (what
    progress lines print), ``line``/``end_line`` 1-based."""

    command: str
    args: str
    original: str
    line: int
    end_line: int
    flags: tuple[str, ...] = ()
    heredocs: tuple[Heredoc, ...] = ()


@dataclass(frozen=True)
class Dockerfile:
    """The parsed file: its directives (``escape`` always set) and instructions in order."""

    instructions: tuple[RawInstruction, ...]
    directives: dict[str, str] = field(default_factory=dict)

    @property
    def escape(self) -> str:
        return self.directives.get("escape", "\\")


def _continuation(escape: str) -> re.Pattern[str]:
    return re.compile(re.escape(escape) + r"[ \t]*$")


def _is_comment(line: str) -> bool:
    return line.lstrip().startswith("#")


def _read_directives(lines: list[str]) -> tuple[dict[str, str], int]:
    """The directives at the top and the index of the first line after them."""
    found: dict[str, str] = {}
    for index, line in enumerate(lines):
        match = _DIRECTIVE.match(line.strip())
        if not match:
            return found, index
        key, value = match.group(1).lower(), match.group(2)
        if key not in _KNOWN_DIRECTIVES:
            return found, index
        if key in found:
            raise DockerfileError(f"only one {key} parser directive can be used", index + 1)
        if key == "escape" and value not in ("\\", "`"):
            raise DockerfileError(f"invalid escape token '{value}' does not match ` or \\", index + 1)
        found[key] = value
    return found, len(lines)


def split_flags(text: str) -> tuple[tuple[str, ...], str]:
    """Leading ``--name[=value]`` words and the rest, as BuildKit's ``extractBuilderFlags``: a bare
    ``--`` ends the flags; a flag value may be quoted (``--chown="a b"``)."""
    flags: list[str] = []
    pos = 0
    while True:
        while pos < len(text) and text[pos] in " \t":
            pos += 1
        if not text.startswith("--", pos):
            break
        start = pos
        quote = ""
        while pos < len(text) and (quote or text[pos] not in " \t"):
            ch = text[pos]
            if quote and ch == quote:
                quote = ""
            elif not quote and ch in "\"'":
                quote = ch
            pos += 1
        word = text[start:pos]
        if word == "--":
            break
        flags.append(_unquote_flag(word))
    return tuple(flags), text[pos:].lstrip(" \t")


def _unquote_flag(word: str) -> str:
    name, eq, value = word.partition("=")
    if eq and len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        value = value[1:-1]
    return f"{name}{eq}{value}"


def _heredoc_names(command: str, args: str) -> list[tuple[str, bool, bool]]:
    """(name, strip_tabs, expand) for each ``<<NAME`` of a RUN/COPY/ADD, in order."""
    if command not in _HEREDOC_COMMANDS or args.lstrip().startswith("["):
        return []
    return [(m.group(3), m.group(1) == "-", m.group(2) == "") for m in _HEREDOC.finditer(args)]


def parse(text: str, filename: str = "Dockerfile") -> Dockerfile:
    """Parse Dockerfile ``text``. Raises :class:`DockerfileError` naming ``filename`` and the line."""
    try:
        return _parse(text)
    except DockerfileError as err:
        raise err.with_filename(filename) from None


def _parse(text: str) -> Dockerfile:
    if text.startswith("\ufeff"):
        text = text[1:]
    lines = text.splitlines()
    directives, index = _read_directives(lines)
    escape = directives.get("escape", "\\")
    cont = _continuation(escape)
    out: list[RawInstruction] = []
    while index < len(lines):
        start = index + 1
        first = lines[index].lstrip()
        index += 1
        if not first.strip() or _is_comment(first):
            continue
        joined, ended = cont.subn("", first.rstrip("\r"))
        logical = joined
        while ended and index < len(lines):
            nxt = lines[index].rstrip("\r")
            index += 1
            if _is_comment(nxt) or not nxt.strip():
                continue
            piece, ended = cont.subn("", nxt)
            logical += piece
        instruction, index = _instruction(logical.rstrip(), start, index, lines)
        out.append(instruction)
    return Dockerfile(tuple(out), directives)


def _instruction(logical: str, start: int, index: int, lines: list[str]) -> tuple[RawInstruction, int]:
    parts = logical.strip().split(None, 1)
    word = parts[0]
    rest = parts[1] if len(parts) > 1 else ""
    command = word.lower()
    flags, args = split_flags(rest)
    heredocs: list[Heredoc] = []
    for name, strip_tabs, expand in _heredoc_names(command, args):
        body: list[str] = []
        while True:
            if index >= len(lines):
                raise DockerfileError(f"unterminated heredoc {name}", start)
            line = lines[index].rstrip("\r")
            index += 1
            if (line.lstrip("\t") if strip_tabs else line) == name:
                break
            body.append(line.lstrip("\t") if strip_tabs else line)
        heredocs.append(Heredoc(name, "".join(b + "\n" for b in body), expand))
    end = index if heredocs else _end_line(start, index, lines)
    return RawInstruction(command, args, logical.strip(), start, end, flags, tuple(heredocs)), index


def _end_line(start: int, index: int, lines: list[str]) -> int:
    """The last line that contributed text (trailing skipped comments/blank lines do not count)."""
    end = index
    while end > start and (not lines[end - 1].strip() or _is_comment(lines[end - 1])):
        end -= 1
    return end
