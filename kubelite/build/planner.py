"""Planning one stage: each instruction, expanded with the ARG/ENV in scope, becomes a :class:`Step`.

Pure: given the base image's config, the build args and the stage's instructions, :func:`plan_step`
computes the image config after each instruction, the history text (``created_by``, Docker's classic
wording, which is also the instruction's part of the cache key) and, for the steps that change the
filesystem, what to run (:class:`RunSpec`) or copy (:class:`CopySpec`). No I/O: COPY's content hash
and RUN's execution are the executor's.

Scoping, as Docker has it: an ARG is visible from its line to the end of its stage; its value is the
``--build-arg`` if given, else its default, else (for a name declared before the first FROM) the
global value. ENV wins over ARG of the same name. RUN sees the ARGs as environment variables (not
persisted), and its cache key carries the ARGs it sees (``|2 A=1 B=2 /bin/sh -c ...``), so changing a
build arg invalidates the RUN steps that could observe it.
"""

from __future__ import annotations

import copy
import json
import posixpath
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from kubelite.build import instructions as ins
from kubelite.build.errors import DockerfileError
from kubelite.build.stages import PLATFORM_ARGS, PREDEFINED_ARGS
from kubelite.build.substitution import SubstitutionError, process_word, process_words

DEFAULT_SHELL = ("/bin/sh", "-c")
NOP = "/bin/sh -c #(nop) "
_HEREDOC_ONLY = re.compile(r"^<<(-?)([\"']?)([A-Za-z_][A-Za-z0-9_]*)\2$")


@dataclass(frozen=True)
class RunSpec:
    argv: tuple[str, ...]
    env: tuple[str, ...]
    user: str
    cwd: str
    network: str          # "host" (Docker's default for builds here, so package installs work) or "none"


@dataclass(frozen=True)
class CopySpec:
    """COPY/ADD after expansion. ``dest`` is absolute; ``dest_is_dir`` when it ended with ``/``.
    ``inline`` maps heredoc source names to their content."""

    sources: tuple[str, ...]
    dest: str
    dest_is_dir: bool
    chown: str | None
    chmod: int | None
    from_stage: int | None
    from_image: str | None
    add: bool
    inline: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Step:
    instruction: ins.Instruction
    created_by: str                    # history text; for COPY/ADD completed with the content hash
    config: dict[str, Any]             # the image config ("config" section) after this step
    run: RunSpec | None = None
    copy: CopySpec | None = None
    author: str | None = None

    @property
    def empty_layer(self) -> bool:
        return self.run is None and self.copy is None


@dataclass
class StageState:
    """What flows from one instruction to the next within a stage."""

    config: dict[str, Any]
    build_args: Mapping[str, str]
    meta_args: Mapping[str, str | None]
    escape: str = "\\"
    args: dict[str, str] = field(default_factory=dict)      # declared ARGs with a value, in order
    used_args: set[str] = field(default_factory=set)        # build args consumed (for the warning)
    cmd_set: bool = False

    def env(self) -> dict[str, str]:
        """The config's ENV as a dict (last one wins)."""
        out: dict[str, str] = {}
        for item in self.config.get("Env") or []:
            key, _, value = str(item).partition("=")
            out[key] = value
        return out

    def expansion_env(self) -> dict[str, str]:
        """What ``$VAR`` sees: declared ARGs and predefined args, overridden by ENV."""
        out = {k: v for k, v in self.build_args.items() if k in PREDEFINED_ARGS}
        out.update(self.args)
        out.update(self.env())
        return out


def initial_state(base_config: Mapping[str, Any] | None, build_args: Mapping[str, str],
                  meta_args: Mapping[str, str | None], escape: str = "\\") -> StageState:
    """The state at a stage's FROM: the base image's config (deep-copied: it is the caller's). Its
    ONBUILD triggers are not inherited (the executor runs them first, as Docker does)."""
    config = copy.deepcopy(dict(base_config or {}))
    config.pop("OnBuild", None)
    if not config.get("Env"):
        config["Env"] = ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]
    return StageState(config=config, build_args=build_args, meta_args=meta_args, escape=escape)


def _expand(state: StageState, text: str, line: int, env: Mapping[str, str] | None = None) -> str:
    try:
        return process_word(text, env if env is not None else state.expansion_env(), state.escape)
    except SubstitutionError as err:
        raise DockerfileError(str(err), line) from None


def _expand_words(state: StageState, text: str, line: int) -> list[str]:
    try:
        return process_words(text, state.expansion_env(), state.escape)
    except SubstitutionError as err:
        raise DockerfileError(str(err), line) from None


def _shell(config: Mapping[str, Any]) -> tuple[str, ...]:
    return tuple(config.get("Shell") or DEFAULT_SHELL)


def _command(config: Mapping[str, Any], form: ins.CommandForm) -> list[str]:
    if form.exec_form is not None:
        return list(form.exec_form)
    return [*_shell(config), form.shell]


def _set_env(config: dict[str, Any], key: str, value: str) -> None:
    env = list(config.get("Env") or [])
    for i, item in enumerate(env):
        if str(item).partition("=")[0] == key:
            env[i] = f"{key}={value}"
            break
    else:
        env.append(f"{key}={value}")
    config["Env"] = env


def _run_args(state: StageState) -> list[str]:
    """``K=V`` for the ARGs a RUN sees as environment (not shadowed by ENV), in declaration order."""
    env = state.env()
    out = [f"{k}={v}" for k, v in state.args.items() if k not in env]
    out += [f"{k}={v}" for k, v in state.build_args.items()
            if k in PREDEFINED_ARGS and k not in state.args and k not in env]
    return out


def _keyed_args(state: StageState) -> list[str]:
    """The ARGs in a RUN's cache key and history: declared ones only (proxy args stay out, as Docker)."""
    env = state.env()
    return [f"{k}={v}" for k, v in state.args.items() if k not in env]


def _arg(state: StageState, instruction: ins.Arg) -> str:
    parts = []
    for name, default in instruction.args:
        if name in state.build_args:
            value: str | None = state.build_args[name]
            state.used_args.add(name)
        elif default is not None:
            value = _expand(state, default, instruction.line)
        elif name in state.meta_args:
            value = state.meta_args[name]
        else:
            value = PLATFORM_ARGS.get(name)
        if value is not None:
            state.args[name] = value
        else:
            state.args.pop(name, None)
        parts.append(name if default is None else f"{name}={default}")
    return f"{NOP}ARG {' '.join(parts)}"


def _workdir(state: StageState, instruction: ins.Workdir) -> str:
    path = _expand(state, instruction.value, instruction.line)
    if not path.startswith("/"):
        path = posixpath.join(state.config.get("WorkingDir") or "/", path)
    state.config["WorkingDir"] = posixpath.normpath(path).replace("//", "/")
    return f"{NOP}WORKDIR {state.config['WorkingDir']}"


_PORT = re.compile(r"^(\d+)(?:-(\d+))?(?:/(tcp|udp|sctp))?$")


def _expose(state: StageState, instruction: ins.Expose) -> str:
    ports: list[str] = []
    for word in instruction.words:
        for expanded in _expand_words(state, word, instruction.line):
            match = _PORT.match(expanded.lower())
            if not match:
                raise DockerfileError(f"invalid containerPort: {expanded}", instruction.line)
            low = int(match.group(1))
            high = int(match.group(2) or low)
            if not 0 < low <= high <= 65535:
                raise DockerfileError(f"invalid port range: {expanded}", instruction.line)
            ports += [f"{p}/{match.group(3) or 'tcp'}" for p in range(low, high + 1)]
    exposed = dict(state.config.get("ExposedPorts") or {})
    for port in ports:
        exposed[port] = {}
    state.config["ExposedPorts"] = exposed
    return f"{NOP}EXPOSE {' '.join(sorted(set(ports)))}"


def _healthcheck(state: StageState, instruction: ins.Healthcheck) -> str:
    check: dict[str, Any] = {"Test": list(instruction.test)}
    for key, value in (("Interval", instruction.interval), ("Timeout", instruction.timeout),
                       ("StartPeriod", instruction.start_period),
                       ("StartInterval", instruction.start_interval), ("Retries", instruction.retries)):
        if value:
            check[key] = value
    state.config["Healthcheck"] = check
    return f"{NOP}HEALTHCHECK &{{{json.dumps(check, sort_keys=True)}}}"


def _config_only(state: StageState, instruction: ins.Instruction) -> str:
    """Apply a config-only instruction to ``state``; returns its history text."""
    config = state.config
    line = instruction.line
    if isinstance(instruction, ins.Env):
        env = state.expansion_env()  # every pair sees the environment from before this line
        done = []
        for key, value in instruction.pairs:
            k, v = _expand(state, key, line, env), _expand(state, value, line, env)
            _set_env(config, k, v)
            done.append(f"{k}={v}")
        return f"{NOP}ENV {' '.join(done)}"
    if isinstance(instruction, ins.Label):
        labels = dict(config.get("Labels") or {})
        done = []
        for key, value in instruction.pairs:
            k, v = _expand(state, key, line), _expand(state, value, line)
            labels[k] = v
            done.append(f"{k}={v}")
        config["Labels"] = labels
        return f"{NOP}LABEL {' '.join(done)}"
    if isinstance(instruction, ins.Arg):
        return _arg(state, instruction)
    if isinstance(instruction, ins.Cmd):
        config["Cmd"] = _command(config, instruction)
        state.cmd_set = True
        return f"{NOP}CMD {json.dumps(config['Cmd'])}"
    if isinstance(instruction, ins.Entrypoint):
        config["Entrypoint"] = _command(config, instruction)
        if not state.cmd_set:
            config["Cmd"] = None  # an inherited CMD does not survive a new ENTRYPOINT (Docker)
        return f"{NOP}ENTRYPOINT {json.dumps(config['Entrypoint'])}"
    if isinstance(instruction, ins.Workdir):
        return _workdir(state, instruction)
    if isinstance(instruction, ins.User):
        config["User"] = _expand(state, instruction.value, line)
        return f"{NOP}USER {config['User']}"
    if isinstance(instruction, ins.Expose):
        return _expose(state, instruction)
    if isinstance(instruction, ins.Volume):
        volumes = dict(config.get("Volumes") or {})
        paths = [p for w in instruction.words for p in _expand_words(state, w, line)]
        if not paths:
            raise DockerfileError("VOLUME specified can not be an empty string", line)
        for path in paths:
            volumes[path] = {}
        config["Volumes"] = volumes
        return f"{NOP}VOLUME {json.dumps(paths)}"
    if isinstance(instruction, ins.StopSignal):
        signal = _expand(state, instruction.value, line)
        if not re.fullmatch(r"(SIG)?[A-Z0-9+-]+|\d+", signal):
            raise DockerfileError(f"invalid signal: {signal}", line)
        config["StopSignal"] = signal
        return f"{NOP}STOPSIGNAL {signal}"
    if isinstance(instruction, ins.Healthcheck):
        return _healthcheck(state, instruction)
    if isinstance(instruction, ins.Shell):
        config["Shell"] = list(instruction.argv)
        return f"{NOP}SHELL {json.dumps(config['Shell'])}"
    if isinstance(instruction, ins.Onbuild):
        trigger = instruction.value.strip()
        word = trigger.split(None, 1)[0].upper()
        if word in ("ONBUILD", "FROM", "MAINTAINER"):
            raise DockerfileError(f"{word} isn't allowed as an ONBUILD trigger", line)
        config["OnBuild"] = [*(config.get("OnBuild") or []), trigger]
        return f"{NOP}ONBUILD {trigger}"
    raise DockerfileError(f"unsupported instruction: {instruction.raw.command.upper()}", line)


def _run(state: StageState, instruction: ins.Run) -> tuple[str, RunSpec]:
    config = state.config
    raw = instruction.raw
    if instruction.exec_form is not None:
        argv = list(instruction.exec_form)
    else:
        script = instruction.shell
        only = _HEREDOC_ONLY.match(script.strip())
        if raw.heredocs and only:
            script = raw.heredocs[0].content
        elif raw.heredocs:
            # sh understands heredocs itself: hand it the whole text, bodies and terminators included.
            script = script + "\n" + "".join(h.content + h.name + "\n" for h in raw.heredocs)
        argv = [*_shell(config), script]
    keyed = _keyed_args(state)
    prefix = f"|{len(keyed)} {' '.join(keyed)} " if keyed else ""
    network = "none" if instruction.network == "none" else "host"
    env = [str(e) for e in config.get("Env") or []] + _run_args(state)
    spec = RunSpec(tuple(argv), tuple(env), str(config.get("User") or ""),
                   str(config.get("WorkingDir") or "/"), network)
    suffix = " # network=none" if network == "none" else ""
    return prefix + " ".join(argv) + suffix, spec


def _chmod(text: str, line: int) -> int:
    if not re.fullmatch(r"[0-7]{3,4}", text):
        raise DockerfileError(f"invalid chmod {text!r}: use octal digits like 755", line)
    return int(text, 8)


def _copy(state: StageState, instruction: ins.Copy, stages_before: Mapping[str, int]) -> tuple[str, CopySpec]:
    line = instruction.line
    name = "ADD" if instruction.add else "COPY"
    heredocs = {h.name: h for h in instruction.raw.heredocs}
    inline: list[tuple[str, str]] = []
    sources: list[str] = []
    for word in instruction.sources:
        match = _HEREDOC_ONLY.match(word)
        if match and match.group(3) in heredocs:
            doc = heredocs[match.group(3)]
            content = _expand(state, doc.content, line) if doc.expand else doc.content
            inline.append((doc.name, content))
            sources.append("<<" + doc.name)
            continue
        expanded = _expand(state, word, line)
        if instruction.add and re.match(r"^[a-z][a-z0-9+.-]*://|^git@", expanded):
            raise DockerfileError(f"ADD from a URL is not supported by this builder: {expanded}", line)
        sources.append(expanded)
    dest_raw = _expand(state, instruction.dest, line)
    if not dest_raw:
        raise DockerfileError(f"{name}: the destination can not be empty", line)
    dest_is_dir = dest_raw.endswith("/") or dest_raw in (".", "..")
    dest = dest_raw if dest_raw.startswith("/") else posixpath.join(state.config.get("WorkingDir") or "/",
                                                                   dest_raw)
    dest = posixpath.normpath(dest).replace("//", "/")
    if len(sources) > 1 and not dest_is_dir:
        raise DockerfileError(f"When using {name} with more than one source file, the destination "
                              "must be a directory and end with a /", line)
    from_stage, from_image = None, None
    if instruction.source_stage:
        ref = _expand(state, instruction.source_stage, line)
        if ref.lower() in stages_before:
            from_stage = stages_before[ref.lower()]
        else:
            from_image = ref
    chown = _expand(state, instruction.chown, line) if instruction.chown else None
    chmod = _chmod(_expand(state, instruction.chmod, line), line) if instruction.chmod else None
    spec = CopySpec(tuple(sources), dest, dest_is_dir, chown, chmod, from_stage, from_image,
                    instruction.add, tuple(inline))
    flags = "".join(f"--{k}={v} " for k, v in (("from", instruction.source_stage), ("chown", chown),
                                                 ("chmod", instruction.chmod)) if v)
    return f"{NOP}{name} {flags}{{hash}} in {dest_raw} ", spec


def plan_step(state: StageState, instruction: ins.Instruction,
              stages_before: Mapping[str, int] | None = None) -> Step:
    """Apply ``instruction`` to ``state`` (mutated) and return its :class:`Step`.

    ``stages_before`` maps the names (and numbers) of the earlier stages to their index, for
    ``COPY --from``. Raises :class:`DockerfileError` naming the instruction's line.
    """
    if isinstance(instruction, ins.Run):
        created_by, run = _run(state, instruction)
        return Step(instruction, created_by, copy.deepcopy(state.config), run=run)
    if isinstance(instruction, ins.Copy):
        created_by, spec = _copy(state, instruction, stages_before or {})
        return Step(instruction, created_by, copy.deepcopy(state.config), copy=spec)
    if isinstance(instruction, ins.Maintainer):
        author = _expand(state, instruction.value, instruction.line)
        return Step(instruction, f"{NOP}MAINTAINER {author}", copy.deepcopy(state.config), author=author)
    created_by = _config_only(state, instruction)
    return Step(instruction, created_by, copy.deepcopy(state.config))


def with_content_hash(step: Step, content: str) -> Step:
    """A COPY/ADD step whose history text names the copied content (``file:<sha256>``)."""
    return replace(step, created_by=step.created_by.replace("{hash}", content, 1))


def unused_build_args(build_args: Mapping[str, str], consumed: set[str],
                      meta_args: Mapping[str, str | None]) -> list[str]:
    """Build args no ARG consumed (Docker warns about them); predefined proxy args never count."""
    return sorted(k for k in build_args if k not in consumed and k not in meta_args
                  and k not in PREDEFINED_ARGS)
