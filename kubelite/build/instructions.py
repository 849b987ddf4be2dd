"""Raw instructions to typed ones: argument forms, flags and their validation, still unexpanded.

Pure. Words here are as written (quotes and ``$VAR`` intact); the planner expands them with the
ARG/ENV in scope at that point of the stage. Each typed instruction keeps its :class:`RawInstruction`
(``raw``) for its line number and the progress line.

Argument forms follow BuildKit: RUN/CMD/ENTRYPOINT take a JSON array (exec form) or a string (shell
form, a JSON-looking string that does not parse is shell form too); COPY/ADD/VOLUME take a JSON
array or blank-separated words; SHELL requires JSON; ENV/LABEL take ``k=v`` pairs (ENV also the old
``ENV k v``); ARG takes ``name[=default]`` words.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from kubelite.build.errors import DockerfileError
from kubelite.build.parser import RawInstruction


@dataclass(frozen=True)
class Instruction:
    """Base of the typed instructions. Subclasses that add no field are left undecorated: they inherit
    the dataclass methods, and decorating them again would only cost start-up time."""

    raw: RawInstruction

    @property
    def line(self) -> int:
        return self.raw.line


@dataclass(frozen=True)
class From(Instruction):
    image: str
    alias: str | None = None
    platform: str | None = None


@dataclass(frozen=True)
class CommandForm(Instruction):
    """RUN/CMD/ENTRYPOINT: ``exec_form`` is the JSON argv, else ``shell`` is the command string."""

    exec_form: tuple[str, ...] | None = None
    shell: str = ""


@dataclass(frozen=True)
class Run(CommandForm):
    network: str | None = None


class Cmd(CommandForm):
    pass


class Entrypoint(CommandForm):
    pass


@dataclass(frozen=True)
class Copy(Instruction):
    """COPY and ADD (``add`` true). ``sources``/``dest`` unexpanded; heredoc sources are in ``raw``."""

    sources: tuple[str, ...] = ()
    dest: str = ""
    source_stage: str | None = None
    chown: str | None = None
    chmod: str | None = None
    add: bool = False


@dataclass(frozen=True)
class KeyValues(Instruction):
    """ENV and LABEL: ordered (key, value) word pairs."""

    pairs: tuple[tuple[str, str], ...] = ()


class Env(KeyValues):
    pass


class Label(KeyValues):
    pass


@dataclass(frozen=True)
class Arg(Instruction):
    """``ARG name[=default]`` (several allowed); ``None`` marks no default."""

    args: tuple[tuple[str, str | None], ...] = ()


@dataclass(frozen=True)
class Words(Instruction):
    """EXPOSE and VOLUME: a list of words (VOLUME may be JSON)."""

    words: tuple[str, ...] = ()


class Expose(Words):
    pass


class Volume(Words):
    pass


@dataclass(frozen=True)
class Single(Instruction):
    """WORKDIR, USER, STOPSIGNAL, MAINTAINER, ONBUILD: one string argument."""

    value: str = ""


class Workdir(Single):
    pass


class User(Single):
    pass


class StopSignal(Single):
    pass


class Maintainer(Single):
    pass


class Onbuild(Single):
    pass


@dataclass(frozen=True)
class Shell(Instruction):
    argv: tuple[str, ...] = ()


@dataclass(frozen=True)
class Healthcheck(Instruction):
    """``test`` as Docker stores it: ``["NONE"]``, ``["CMD", ...]`` or ``["CMD-SHELL", cmd]``;
    durations in nanoseconds (0 means the default)."""

    test: tuple[str, ...] = ()
    interval: int = 0
    timeout: int = 0
    start_period: int = 0
    start_interval: int = 0
    retries: int = 0


def _error(raw: RawInstruction, message: str) -> DockerfileError:
    return DockerfileError(message, raw.line)


def _flags(raw: RawInstruction, allowed: tuple[str, ...]) -> dict[str, str]:
    out: dict[str, str] = {}
    for flag in raw.flags:
        name, eq, value = flag[2:].partition("=")
        if name not in allowed:
            raise _error(raw, f"unknown flag: {name}")
        if not eq and name != "link":
            raise _error(raw, f"missing a value on flag: {name}")
        out[name] = value if eq else "true"
    return out


def _json_list(text: str) -> tuple[str, ...] | None:
    """A JSON array of strings, or ``None`` when ``text`` is not one (then it is shell form)."""
    if not text.startswith("["):
        return None
    try:
        value = json.loads(text)
    except ValueError:
        return None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        return None
    return tuple(value)


def split_words(text: str, escape: str) -> list[str]:
    """Blank-separated words, keeping quotes and escapes (BuildKit's ``parseWords``): blanks inside
    quotes or after the escape character do not split."""
    words: list[str] = []
    current: list[str] = []
    quote = ""
    pos = 0
    while pos < len(text):
        ch = text[pos]
        if ch == escape and pos + 1 < len(text):
            current += [ch, text[pos + 1]]
            pos += 2
            continue
        if quote:
            if ch == quote:
                quote = ""
        elif ch in "\"'":
            quote = ch
        elif ch in " \t":
            if current:
                words.append("".join(current))
                current = []
            pos += 1
            continue
        current.append(ch)
        pos += 1
    if current:
        words.append("".join(current))
    return words


def _command_form(raw: RawInstruction, name: str) -> tuple[tuple[str, ...] | None, str]:
    exec_form = _json_list(raw.args)
    if exec_form is not None:
        return exec_form, ""
    if not raw.args.strip() and name == "RUN" and not raw.heredocs:
        raise _error(raw, f"{name} requires at least one argument")
    return None, raw.args


def _pairs(raw: RawInstruction, name: str, escape: str, allow_legacy: bool) -> tuple[tuple[str, str], ...]:
    words = split_words(raw.args, escape)
    if not words:
        raise _error(raw, f"{name} requires at least one argument")
    if "=" not in words[0]:
        if not allow_legacy:
            raise _error(raw, f"{name} names can not be blank" if words[0].startswith("=")
                         else f"{name} must have two arguments: key=value")
        # Legacy ``ENV key value with spaces``: the rest of the line, as written, is the value.
        parts = raw.args.strip().split(None, 1)
        if len(parts) < 2:
            raise _error(raw, f"{name} must have two arguments")
        return ((parts[0], parts[1]),)
    pairs = []
    for word in words:
        key, eq, value = word.partition("=")
        if not eq:
            raise _error(raw, f"syntax error - can't find = in {word!r}. Must be of the form: name=value")
        if not key:
            raise _error(raw, f"{name} names can not be blank")
        pairs.append((key, value))
    return tuple(pairs)


_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)")
_UNITS = {"ns": 1, "us": 1_000, "µs": 1_000, "ms": 1_000_000, "s": 1_000_000_000, "m": 60_000_000_000,
          "h": 3_600_000_000_000}


def parse_duration(text: str) -> int:
    """A Go duration (``30s``, ``1m30s``, ``500ms``) in nanoseconds; ``ValueError`` if malformed."""
    if text == "0":
        return 0
    pos, total = 0, 0.0
    for match in _DURATION.finditer(text):
        if match.start() != pos:
            break
        total += float(match.group(1)) * _UNITS[match.group(2)]
        pos = match.end()
    if pos != len(text) or not text:
        raise ValueError(f"time: invalid duration {text!r}")
    return int(total)


def _healthcheck(raw: RawInstruction, escape: str) -> Healthcheck:
    flags = _flags(raw, ("interval", "timeout", "start-period", "start-interval", "retries"))
    parts = raw.args.strip().split(None, 1)
    kind = parts[0].upper() if parts else ""
    if kind == "NONE":
        if flags or len(parts) > 1:
            raise _error(raw, "HEALTHCHECK NONE takes no arguments")
        return Healthcheck(raw, test=("NONE",))
    if kind != "CMD" or len(parts) < 2:
        raise _error(raw, "HEALTHCHECK requires CMD <command> or NONE")
    exec_form = _json_list(parts[1])
    test = ("CMD", *exec_form) if exec_form is not None else ("CMD-SHELL", parts[1])
    values: dict[str, int] = {}
    for name in ("interval", "timeout", "start-period", "start-interval"):
        if name in flags:
            try:
                values[name] = parse_duration(flags[name])
            except ValueError as err:
                raise _error(raw, f"--{name}: {err}") from None
            if values[name] < 0:
                raise _error(raw, f"--{name} cannot be negative")
    retries = 0
    if "retries" in flags:
        if not flags["retries"].isdigit():
            raise _error(raw, f"--retries: invalid number {flags['retries']!r}")
        retries = int(flags["retries"])
    return Healthcheck(raw, test=test, interval=values.get("interval", 0), timeout=values.get("timeout", 0),
                       start_period=values.get("start-period", 0),
                       start_interval=values.get("start-interval", 0), retries=retries)


def _copy(raw: RawInstruction, escape: str, add: bool) -> Copy:
    allowed = ("chown", "chmod", "link", "checksum", "keep-git-dir") if add else \
        ("from", "chown", "chmod", "link")
    flags = _flags(raw, allowed)
    words = _json_list(raw.args)
    if words is None:
        words = tuple(split_words(raw.args, escape))
    if len(words) < 2:
        name = "ADD" if add else "COPY"
        raise _error(raw, f"{name} requires at least two arguments, but only one was provided. "
                          "Destination could not be determined")
    return Copy(raw, sources=words[:-1], dest=words[-1], source_stage=flags.get("from"),
                chown=flags.get("chown"), chmod=flags.get("chmod"), add=add)


def build(raw: RawInstruction, escape: str = "\\") -> Instruction:
    """The typed instruction for ``raw``. Raises :class:`DockerfileError` naming its line."""
    cmd = raw.command
    upper = cmd.upper()
    if cmd in ("run", "cmd", "entrypoint"):
        flags = _flags(raw, ("network", "mount", "security") if cmd == "run" else ())
        if "mount" in flags or "security" in flags:
            raise _error(raw, f"RUN --{'mount' if 'mount' in flags else 'security'} is not supported "
                              "by this builder")
        exec_form, shell = _command_form(raw, upper)
        if cmd == "run":
            network = flags.get("network")
            if network not in (None, "default", "host", "none"):
                raise _error(raw, f"unsupported network mode {network!r} (default, host or none)")
            return Run(raw, exec_form=exec_form, shell=shell, network=network)
        return (Cmd if cmd == "cmd" else Entrypoint)(raw, exec_form=exec_form, shell=shell)
    if cmd == "from":
        flags = _flags(raw, ("platform",))
        words = split_words(raw.args, escape)
        if len(words) == 3 and words[1].lower() == "as":
            if not re.fullmatch(r"[a-zA-Z][a-zA-Z0-9_.-]*", words[2]):
                raise _error(raw, f"invalid name for build stage: {words[2]!r}, name can't start with a "
                                  "number or contain symbols")
            return From(raw, image=words[0], alias=words[2].lower(), platform=flags.get("platform"))
        if len(words) != 1:
            raise _error(raw, "FROM requires either one or three arguments")
        return From(raw, image=words[0], platform=flags.get("platform"))
    if cmd not in ("copy", "add", "healthcheck"):  # those check their own flags
        _flags(raw, ())
    return _simple(raw, escape, upper)


def _simple(raw: RawInstruction, escape: str, upper: str) -> Instruction:
    cmd = raw.command
    if cmd in ("copy", "add"):
        return _copy(raw, escape, cmd == "add")
    if cmd == "healthcheck":
        return _healthcheck(raw, escape)
    if cmd in ("env", "label"):
        return (Env if cmd == "env" else Label)(raw, pairs=_pairs(raw, upper, escape, cmd == "env"))
    if cmd == "arg":
        words = split_words(raw.args, escape)
        if not words:
            raise _error(raw, "ARG requires at least one argument")
        args = []
        for word in words:
            key, eq, value = word.partition("=")
            if not key:
                raise _error(raw, "ARG names can not be blank")
            args.append((key, value if eq else None))
        return Arg(raw, args=tuple(args))
    if cmd in ("expose", "volume"):
        as_json = _json_list(raw.args) if cmd == "volume" else None
        found = list(as_json) if as_json is not None else split_words(raw.args, escape)
        if not found or any(not w.strip() for w in found):
            raise _error(raw, f"{upper} requires at least one argument")
        return (Expose if cmd == "expose" else Volume)(raw, words=tuple(found))
    if cmd == "shell":
        argv = _json_list(raw.args)
        if not argv:
            raise _error(raw, "SHELL requires the arguments to be in JSON form")
        return Shell(raw, argv=argv)
    singles: dict[str, type[Single]] = {"workdir": Workdir, "user": User, "stopsignal": StopSignal,
                                        "maintainer": Maintainer, "onbuild": Onbuild}
    if cmd in singles:
        value = raw.args.strip()
        if not value:
            raise _error(raw, f"{upper} requires exactly one argument")
        return singles[cmd](raw, value=value)
    raise _error(raw, f"unknown instruction: {raw.original.split(None, 1)[0]}")
