"""Variable substitution in Dockerfile words, as BuildKit's ``shell.Lex`` does it.

Pure. What a word goes through (ADD, COPY, ENV, EXPOSE, FROM, LABEL, STOPSIGNAL, USER, VOLUME, WORKDIR
and ARG defaults; RUN/CMD/ENTRYPOINT are left to the shell):

- ``$VAR`` and ``${VAR}``; an unset variable is empty. ``$`` not followed by a name stays literal.
- ``${VAR:-word}`` / ``${VAR-word}``: ``word`` if unset or empty / if unset;
  ``${VAR:+word}`` / ``${VAR+word}``: ``word`` if set and non-empty / if set, else empty;
  ``${VAR:?msg}`` / ``${VAR?msg}``: an error if unset or empty / unset;
  ``${VAR#pat}``, ``${VAR##pat}``, ``${VAR%pat}``, ``${VAR%%pat}``: shortest/longest prefix/suffix
  removal by a glob; ``${VAR/pat/repl}``, ``${VAR//pat/repl}``: first/all replacement.
- Quotes: single quotes take everything literally; double quotes allow ``$`` and let the escape
  character escape only ``"``, ``$`` and itself; outside quotes the escape character makes the next
  character literal. Quotes are removed from the result.
- :func:`process_words` also splits into words at unquoted blanks (an unquoted expansion splits too,
  as in a shell); ``""`` is an empty word.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from kubelite.build.errors import BuildError


class SubstitutionError(BuildError):
    """A malformed word (unterminated quote or ``${``, unsupported modifier, ``${X:?msg}``)."""


class _Words:
    """Accumulates output characters, splitting at unquoted blanks when asked to."""

    def __init__(self, split: bool) -> None:
        self.split = split
        self.words: list[str] = []
        self.current: list[str] = []
        self.in_word = False

    def add_char(self, ch: str) -> None:
        if self.split and ch in " \t\n":
            self.end_word()
        else:
            self.current.append(ch)
            self.in_word = True

    def add_raw(self, text: str) -> None:
        self.current.append(text)
        self.in_word = True

    def add_string(self, text: str) -> None:
        for ch in text:
            self.add_char(ch)

    def end_word(self) -> None:
        if self.in_word:
            self.words.append("".join(self.current))
        self.current = []
        self.in_word = False

    def result(self) -> list[str]:
        self.end_word()
        return self.words


class _Lexer:
    def __init__(self, text: str, env: Mapping[str, str], escape: str) -> None:
        self.text = text
        self.pos = 0
        self.env = env
        self.escape = escape

    def peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def next(self) -> str:
        ch = self.peek()
        self.pos += 1 if ch else 0
        return ch

    def run(self, words: _Words, stops: str = "", *, escapes: str = "drop") -> str:
        """Process up to one of ``stops`` (consumed and returned) or the end; unquoted chars go
        through ``words``. ``escapes``: ``"drop"`` the escape character (a word), ``"glob"`` keep
        the character escaped for a pattern (``${V#\\*}`` removes a literal star), ``"keep"`` it as
        written (the replacement of ``${V/pat/repl}``, as BuildKit does)."""
        while True:
            ch = self.peek()
            if not ch:
                if stops:
                    raise SubstitutionError(f"missing '}}' in {self.text!r}")
                return ""
            if ch in stops:
                return self.next()
            if ch == "'":
                self.next()
                words.add_raw(self._single_quoted())
            elif ch == '"':
                self.next()
                words.add_raw(self._double_quoted())
            elif ch == "$":
                self.next()
                value = self._dollar()
                if value is not None:
                    words.add_string(value)
                else:
                    words.add_char("$")
            elif ch == self.escape:
                self.next()
                escaped = self.next()
                if escaped and escapes != "drop":
                    words.add_raw(("\\" if escapes == "glob" else self.escape) + escaped)
                elif escaped:
                    words.add_raw(escaped)
            else:
                words.add_char(self.next())

    def _single_quoted(self) -> str:
        end = self.text.find("'", self.pos)
        if end < 0:
            raise SubstitutionError(f"unexpected end of statement while looking for matching single-quote "
                                    f"in {self.text!r}")
        out = self.text[self.pos:end]
        self.pos = end + 1
        return out

    def _double_quoted(self) -> str:
        out: list[str] = []
        while True:
            ch = self.next()
            if not ch:
                raise SubstitutionError(f"unexpected end of statement while looking for matching "
                                        f"double-quote in {self.text!r}")
            if ch == '"':
                return "".join(out)
            if ch == "$":
                value = self._dollar()
                out.append("$" if value is None else value)
            elif ch == self.escape and self.peek() in ('"', "$", self.escape) and self.peek():
                out.append(self.next())
            else:
                out.append(ch)

    def _name(self) -> str:
        start = self.pos
        if self.peek().isdigit():
            while self.peek().isdigit():
                self.next()
            return self.text[start:self.pos]
        while self.peek() and (self.peek().isalnum() or self.peek() == "_"):
            self.next()
        return self.text[start:self.pos]

    def _lookup(self, name: str) -> str | None:
        return self.env.get(name)

    def _dollar(self) -> str | None:
        """After a ``$``: the expansion, or ``None`` when the ``$`` is literal."""
        if self.peek() != "{":
            name = self._name()
            if not name:
                return None
            return self._lookup(name) or ""
        self.next()
        name = self._name()
        if not name:
            raise SubstitutionError(f"bad substitution in {self.text!r}")
        ch = self.next()
        value = self._lookup(name)
        if ch == "}":
            return value or ""
        colon = ch == ":"
        if colon:
            ch = self.next()
        if ch in ("-", "+", "?"):
            word = self._sub_word()
            unset = value is None or (colon and value == "")
            if ch == "-":
                return word if unset else value
            if ch == "+":
                return "" if unset else word
            if unset:
                raise SubstitutionError(f"{name}: {word or 'is not allowed to be unset'}")
            return value
        if colon:
            raise SubstitutionError(f"unsupported modifier (:{ch}) in substitution of {self.text!r}")
        if ch in ("#", "%"):
            longest = self.peek() == ch
            if longest:
                self.next()
            return _trim(value or "", self._sub_word(escapes="glob"), prefix=ch == "#", longest=longest)
        if ch == "/":
            every = self.peek() == "/"
            if every:
                self.next()
            pattern = self._sub_word(stops="/}", escapes="glob")
            repl = self._sub_word(escapes="keep")
            return _replace(value or "", pattern, repl, every)
        raise SubstitutionError(f"unsupported modifier ({ch}) in substitution of {self.text!r}")

    def _sub_word(self, stops: str = "}", *, escapes: str = "drop") -> str:
        """The word of a modifier, itself expanded, up to ``}``; with ``stops="/}"`` (a replacement's
        pattern) the ``}`` is left for the caller to see."""
        words = _Words(split=False)
        if self.run(words, stops, escapes=escapes) == "}" and stops != "}":
            self.pos -= 1
        return "".join(words.result())


def _glob_regex(pattern: str) -> re.Pattern[str]:
    """A shell pattern as a regex: ``*`` any run (``/`` included), ``?`` one character, ``[...]`` a
    class, ``\\x`` a literal ``x``."""
    out: list[str] = []
    pos = 0
    while pos < len(pattern):
        ch = pattern[pos]
        pos += 1
        if ch == "\\" and pos < len(pattern):
            out.append(re.escape(pattern[pos]))
            pos += 1
        elif ch == "*":
            out.append(".*")
        elif ch == "?":
            out.append(".")
        elif ch == "[" and "]" in pattern[pos + 1:]:
            end = pattern.index("]", pos + 1)
            body = pattern[pos:end]
            out.append("[" + ("^" + body[1:] if body.startswith("!") else body).replace("\\", "\\\\") + "]")
            pos = end + 1
        else:
            out.append(re.escape(ch))
    return re.compile("".join(out), re.S)


def _trim(value: str, pattern: str, *, prefix: bool, longest: bool) -> str:
    regex = _glob_regex(pattern)
    sizes = range(len(value), -1, -1) if longest else range(len(value) + 1)
    for size in sizes:
        part = value[:size] if prefix else value[len(value) - size:]
        if regex.fullmatch(part):
            return value[size:] if prefix else value[:len(value) - size]
    return value


def _replace(value: str, pattern: str, repl: str, every: bool) -> str:
    if not pattern:
        return value
    return _glob_regex(pattern).sub(lambda _m: repl, value, count=0 if every else 1)


def process_word(text: str, env: Mapping[str, str], escape: str = "\\") -> str:
    """Expand ``text`` into one word: quotes removed, blanks kept."""
    lexer = _Lexer(text, env, escape)
    words = _Words(split=False)
    lexer.run(words)
    return "".join(words.result())


def process_words(text: str, env: Mapping[str, str], escape: str = "\\") -> list[str]:
    """Expand ``text`` and split it into words at unquoted blanks."""
    lexer = _Lexer(text, env, escape)
    words = _Words(split=True)
    lexer.run(words)
    return words.result()

