"""Stages of a Dockerfile: ARG before FROM, ``FROM x AS y``, ``--target`` and which stages to build.

Pure. Global ARGs (before the first FROM) are the "meta args": they, the ``--build-arg`` overrides and
BuildKit's automatic platform args are what a FROM line can expand. A stage is built only when the
target needs it (as its base or through ``COPY --from``), as BuildKit does; the classic builder would
build every stage before the target.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from kubelite.build import instructions as ins
from kubelite.build.errors import DockerfileError
from kubelite.build.parser import Dockerfile
from kubelite.build.substitution import SubstitutionError, process_word

# Usable without an ARG line, and left out of the cache key and history unless declared (Docker).
PREDEFINED_ARGS = ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "FTP_PROXY", "ftp_proxy",
                   "NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy")

# BuildKit's automatic platform args: in the global scope always, in a stage once declared by ARG.
PLATFORM_ARGS = {
    "TARGETPLATFORM": "linux/amd64", "TARGETOS": "linux", "TARGETARCH": "amd64", "TARGETVARIANT": "",
    "BUILDPLATFORM": "linux/amd64", "BUILDOS": "linux", "BUILDARCH": "amd64", "BUILDVARIANT": "",
}


@dataclass(frozen=True)
class Stage:
    index: int
    name: str | None
    base: str                      # FROM's image, expanded; "scratch", an image ref or a stage name
    base_stage: int | None         # the stage index when ``base`` names an earlier stage
    from_instruction: ins.From
    instructions: tuple[ins.Instruction, ...]

    @property
    def label(self) -> str:
        return self.name or str(self.index)


@dataclass(frozen=True)
class StagePlan:
    meta_args: dict[str, str | None]  # the global ARGs, their values (overrides applied), None if unset
    stages: tuple[Stage, ...]
    order: tuple[int, ...]         # the stages to build, dependencies first, target last

    @property
    def target(self) -> Stage:
        return self.stages[self.order[-1]]

    def step_count(self) -> int:
        """Steps numbered across the stages built: each FROM and each instruction is one step."""
        return sum(1 + len(self.stages[i].instructions) for i in self.order)


def find_stage(stages: tuple[Stage, ...] | list[Stage], ref: str, before: int) -> int | None:
    """The index of the stage ``ref`` names (an alias, case-insensitive, or a number) among the
    stages before ``before``; ``None`` when it names no stage (then it is an image)."""
    lowered = ref.lower()
    for stage in stages[:before]:
        if stage.name == lowered:
            return stage.index
    if ref.isdigit() and int(ref) < before:
        return int(ref)
    return None


def _expand(text: str, env: Mapping[str, str], escape: str, line: int) -> str:
    try:
        return process_word(text, env, escape)
    except SubstitutionError as err:
        raise DockerfileError(str(err), line) from None


def split_stages(dockerfile: Dockerfile, build_args: Mapping[str, str], target: str | None = None
                 ) -> StagePlan:
    """The stages of ``dockerfile`` and the order to build them for ``target`` (default: the last)."""
    escape = dockerfile.escape
    meta: dict[str, str] = dict(PLATFORM_ARGS)
    declared_meta: dict[str, str | None] = {}
    stages: list[Stage] = []
    current: ins.From | None = None
    body: list[ins.Instruction] = []

    def close() -> None:
        if current is None:
            return
        index = len(stages)
        base = _expand(current.image, meta, escape, current.line)
        if not base:
            raise DockerfileError("base name (" + current.image + ") should not be blank", current.line)
        base_stage = find_stage(stages, base, index) if not base.isdigit() else None
        stages.append(Stage(index, current.alias, base, base_stage, current, tuple(body)))

    for raw in dockerfile.instructions:
        instruction = ins.build(raw, escape)
        if isinstance(instruction, ins.From):
            close()
            if instruction.alias and any(s.name == instruction.alias for s in stages):
                raise DockerfileError(f"duplicate stage name {instruction.alias!r}", instruction.line)
            current, body = instruction, []
        elif current is None:
            if not isinstance(instruction, ins.Arg):
                raise DockerfileError(f"no build stage in current context ({raw.command.upper()} before "
                                      "the first FROM)", raw.line)
            for name, default in instruction.args:
                value = build_args[name] if name in build_args else \
                    (_expand(default, meta, escape, raw.line) if default is not None else None)
                if value is not None:
                    meta[name] = value
                declared_meta[name] = value
        else:
            body.append(instruction)
    close()
    if not stages:
        raise DockerfileError("the Dockerfile has no FROM instruction", 0)
    return StagePlan(declared_meta, tuple(stages), _order(stages, target, meta, escape))


def _order(stages: list[Stage], target: str | None, meta: Mapping[str, str], escape: str) -> tuple[int, ...]:
    if target:
        index = find_stage(stages, target, len(stages))
        if index is None:
            raise DockerfileError(f"target stage {target!r} could not be found", 0)
    else:
        index = len(stages) - 1
    order: list[int] = []

    def visit(i: int, trail: tuple[int, ...]) -> None:
        if i in order:
            return
        if i in trail:
            raise DockerfileError("circular dependency between stages", stages[i].from_instruction.line)
        stage = stages[i]
        if stage.base_stage is not None:
            visit(stage.base_stage, (*trail, i))
        for instruction in stage.instructions:
            if isinstance(instruction, ins.Copy) and instruction.source_stage:
                ref = _expand(instruction.source_stage, meta, escape, instruction.line)
                dep = find_stage(stages, ref, i)
                if dep is None and find_stage(stages, ref, len(stages)) is not None:
                    raise DockerfileError(f"COPY --from={ref}: stage {ref!r} is defined after this one",
                                          instruction.line)
                if dep is not None:
                    visit(dep, (*trail, i))
        order.append(i)

    visit(index, ())
    return tuple(order)
