"""Running a build on the engine: stages in order, each step from the cache or executed, then the tag.

The loop per step (see docs/build.md): plan it (pure), compute its cache key from the parent's result
id and its text (for COPY/ADD with the copied content's hash), look the key up unless ``--no-cache``;
on a hit take the recorded result, on a miss execute it (config-only steps execute nothing) and record
the result. The final image (config, manifest) is written to the content store and registered with
its tags in one step of the image store, so a build killed at any point registers nothing partial.

Progress is one line per step, as Docker's classic builder prints it::

    Step 2/5 : COPY app.js /app.js
     ---> Using cache
     ---> 3f1c2a9b8e7d
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TextIO

from kubelite.build import cachekey
from kubelite.build import instructions as ins
from kubelite.build.cache import BuildCache, CacheRecord, LayerRef
from kubelite.build.context import Entry, Source, StatCache, hash_sources, resolve_sources
from kubelite.build.dockerignore import Matcher
from kubelite.build.dockerignore import parse as parse_dockerignore
from kubelite.build.errors import BuildError, DockerfileError
from kubelite.build.memo import MemoRecorder
from kubelite.build.parser import parse
from kubelite.build.planner import (
    CopySpec,
    StageState,
    Step,
    initial_state,
    plan_step,
    unused_build_args,
    with_content_hash,
)
from kubelite.build.stages import Stage, StagePlan, split_stages
from kubelite.build.state import ImageState, extend, from_image, image_config
from kubelite.oci import mediatypes as mt
from kubelite.oci.descriptor import Descriptor
from kubelite.oci.manifest import Manifest

if TYPE_CHECKING:
    from kubelite.build.workspace import Workspace


@dataclass
class BuildRequest:
    """``kubelite build`` flags, parsed once at the edge."""

    context: str
    dockerfile: str | None = None          # path; default CONTEXT/Dockerfile
    tags: list[str] = field(default_factory=list)
    build_args: dict[str, str] = field(default_factory=dict)
    target: str | None = None
    no_cache: bool = False


@dataclass(frozen=True)
class BuildResult:
    image_id: str
    manifest_digest: str
    tags: tuple[str, ...]
    cached_steps: int
    executed_steps: int


def _now() -> str:
    """RFC 3339 with nanoseconds, as Docker writes ``created``."""
    seconds, nanos = divmod(time.time_ns(), 1_000_000_000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)) + f".{nanos:09d}Z"


class Builder:
    """One build. ``root`` is the engine root; the engine parts are created lazily from it."""

    def __init__(self, root: str, request: BuildRequest, out: TextIO) -> None:
        from kubelite.runtime.content import ContentStore
        from kubelite.runtime.images import ImageStore

        self.root = root
        self.request = request
        self.out = out
        self.content = ContentStore(root)
        self.images = ImageStore(root)
        self.cache = BuildCache(root, self.content.path)
        self.context = os.path.realpath(request.context)
        self.dockerfile_path = os.path.abspath(request.dockerfile) if request.dockerfile else \
            os.path.join(self.context, "Dockerfile")
        self.dockerfile_name = os.path.basename(self.dockerfile_path) if request.dockerfile else "Dockerfile"
        self._workspace: Workspace | None = None
        self._matcher: Matcher | None = None
        self._stat_cache: StatCache | None = None
        self.results: dict[int, tuple[ImageState, dict[str, object]]] = {}
        self.memo = MemoRecorder(self.context)
        self.step_no = 0
        self.cached = 0
        self.executed = 0

    # -- edges --------------------------------------------------------------------------------------

    def say(self, line: str, *, replay: bool = True) -> None:
        if replay:
            self.memo.lines.append(line)
        self.out.write(line + "\n")
        self.out.flush()

    @property
    def matcher(self) -> Matcher:
        if self._matcher is None:
            try:
                with open(os.path.join(self.context, ".dockerignore")) as fh:
                    self._matcher = Matcher(parse_dockerignore(fh.read()))
            except FileNotFoundError:
                self._matcher = Matcher([])
        return self._matcher

    @property
    def stat_cache(self) -> StatCache:
        if self._stat_cache is None:
            name = hashlib.sha256(self.context.encode()).hexdigest()[:32]
            self._stat_cache = StatCache(os.path.join(self.root, "build", "stat", f"{name}.json"))
        return self._stat_cache

    @property
    def workspace(self) -> Workspace:
        """Snapshots and mounts, set up on the first step that needs a filesystem (a fully cached
        build never pays for it)."""
        from kubelite.build.workspace import Workspace
        from kubelite.runtime.snapshots import Snapshotter

        if self._workspace is None:
            self._workspace = Workspace(self.root, Snapshotter(self.root))
            self._workspace.reap_stale()
        return self._workspace

    def _read_dockerfile(self) -> StagePlan:
        if not os.path.isdir(self.context):
            raise BuildError(f"unable to prepare context: path {self.request.context!r} not found")
        try:
            with open(self.dockerfile_path, encoding="utf-8") as fh:
                text = fh.read()
        except FileNotFoundError:
            raise BuildError(f"cannot read {self.dockerfile_path}: no such file") from None
        except (OSError, UnicodeDecodeError) as err:
            raise BuildError(f"cannot read {self.dockerfile_path}: {err}") from None
        try:
            return split_stages(parse(text, self.dockerfile_name), self.request.build_args,
                                self.request.target)
        except DockerfileError as err:
            raise err.with_filename(self.dockerfile_name) from None

    # -- the build ----------------------------------------------------------------------------------

    def _check_tags(self) -> None:
        """Refuse a bad ``-t`` before building, not after (Docker does the same)."""
        from kubelite.oci.errors import OCIError
        from kubelite.oci.reference import parse_reference

        for tag in self.request.tags:
            try:
                ref = parse_reference(tag)
            except OCIError as err:
                raise BuildError(f"invalid tag {tag!r}: {err}") from None
            if ref.digest:
                raise BuildError(f"invalid tag {tag!r}: a tag cannot contain a digest")

    def build(self) -> BuildResult:
        self._check_tags()
        plan = self._read_dockerfile()
        total = plan.step_count()
        consumed: set[str] = set()
        with self.images.ingest():
            for index in plan.order:
                stage = plan.stages[index]
                consumed |= self._build_stage(plan, stage, total)
            final, config = self.results[plan.order[-1]]
            result = self._register(final, config)
        if self._stat_cache is not None:
            self._stat_cache.save()
        unused = unused_build_args(self.request.build_args, consumed, plan.meta_args)
        if unused:
            self.say(f"[Warning] One or more build-args [{' '.join(unused)}] were not consumed")
        short = result.image_id.partition(":")[2][:12]
        self.say(f"Successfully built {short}")
        for tag in result.tags:
            self.say(f"Successfully tagged {tag}")
        self._remember(result)
        return result

    def _remember(self, result: BuildResult) -> None:
        """Write the whole-build memo (:mod:`kubelite.build.replay`)."""
        from kubelite.build.replay import Request

        req = self.request
        self.memo.write(self.root, Request(self.context, self.dockerfile_path, req.tags, req.build_args,
                                           req.target),
                        image_id=result.image_id, manifest=result.manifest_digest,
                        resolve_id=lambda tag: self.images.resolve(tag).id, tags=req.tags)

    def _step_header(self, total: int, original: str) -> None:
        self.step_no += 1
        self.say(f"Step {self.step_no}/{total} : {original}")

    def _base(self, plan: StagePlan, stage: Stage) -> tuple[ImageState, dict[str, object] | None]:
        if stage.base_stage is not None:
            state, config = self.results[stage.base_stage]
            return state, config
        if stage.base.lower() == "scratch":
            return ImageState(cachekey.SCRATCH), None
        from kubelite.oci.errors import OCIError
        from kubelite.runtime.images import ImageError

        try:
            image = self.images.resolve(stage.base)
        except (ImageError, OCIError) as err:
            raise DockerfileError(f"FROM {stage.base}: {err} (kubelite has no registry pull here: "
                                  "bootstrap or load the image first)", stage.from_instruction.line,
                                  self.dockerfile_name) from None
        self.memo.image(stage.base, image.digest)
        return from_image(image.id, image.image_config, image.layers), dict(image.config)

    def _build_stage(self, plan: StagePlan, stage: Stage, total: int) -> set[str]:
        self._step_header(total, stage.from_instruction.raw.original)
        state, base_config = self._base(plan, stage)
        self.say(f" ---> {state.short_id}" if state.id != cachekey.SCRATCH else " ---> scratch")
        planning = initial_state(base_config, self.request.build_args, plan.meta_args)
        names = {s.name: s.index for s in plan.stages[:stage.index] if s.name}
        names.update({str(s.index): s.index for s in plan.stages[:stage.index]})
        triggers = self._triggers(base_config, stage)
        if triggers:
            self.say(f"# Executing {len(triggers)} build trigger{'s' if len(triggers) > 1 else ''}")
        for trigger in triggers:
            state = self._step(state, self._plan(planning, trigger, names))
        for instruction in stage.instructions:
            self._step_header(total, instruction.raw.original)
            state = self._step(state, self._plan(planning, instruction, names))
        self.results[stage.index] = (state, planning.config)
        return planning.used_args

    def _plan(self, planning: StageState, instruction: ins.Instruction, names: dict[str, int]) -> Step:
        try:
            return plan_step(planning, instruction, names)
        except DockerfileError as err:
            raise err.with_filename(self.dockerfile_name) from None

    def _triggers(self, base_config: dict[str, object] | None, stage: Stage) -> list[ins.Instruction]:
        """The base image's ONBUILD triggers as instructions, attributed to the FROM line."""
        import dataclasses

        raw_triggers = (base_config or {}).get("OnBuild") or []
        line = stage.from_instruction.line
        out = []
        for text in raw_triggers if isinstance(raw_triggers, list) else []:
            try:
                [raw] = parse(str(text)).instructions
                out.append(ins.build(dataclasses.replace(raw, line=line, end_line=line)))
            except (DockerfileError, ValueError) as err:
                raise DockerfileError(f"ONBUILD trigger {text!r} of {stage.base}: {err}", line,
                                      self.dockerfile_name) from None
        return out

    def _step(self, state: ImageState, step: Step) -> ImageState:
        extra: dict[str, str] = {}
        sources: list[Source] = []
        if step.copy is not None:
            spec = step.copy
            content, sources = self._copy_content(spec, step.instruction)
            step = with_content_hash(step, content)
            extra = {"chmod": str(spec.chmod), "chown": str(spec.chown)}
        if step.run is not None:
            extra = {"user": step.run.user, "cwd": step.run.cwd}
        key = cachekey.step_key(state.id, step.created_by, extra)
        record = None if self.request.no_cache else self.cache.get(key)
        if record is not None:
            self.cached += 1
            self.say(" ---> Using cache")
        else:
            self.memo.lines.append(" ---> Using cache")
            self.executed += 1
            record = self._execute(state, step, key, sources)
            self.cache.put(key, record)
        new = extend(state, record.result, created=record.created, created_by=step.created_by,
                     layer=record.layer, author=step.author)
        self.say(f" ---> {new.short_id}")
        return new

    def _execute(self, state: ImageState, step: Step, key: str, sources: list[Source]) -> CacheRecord:
        created = _now()
        layer: LayerRef | None = None
        if step.run is not None or step.copy is not None:
            layer = self._filesystem_step(state, step, sources)
        return CacheRecord(created, "sha256:" + cachekey.result_id(key, layer.diff_id if layer else None,
                                                                   created), layer)

    # -- COPY/ADD content ---------------------------------------------------------------------------

    def _copy_content(self, spec: CopySpec, instruction: ins.Instruction) -> tuple[str, list[Source]]:
        """The content part of a COPY/ADD key, and the resolved context sources (when from context)."""
        if spec.from_stage is not None or spec.from_image is not None:
            origin = self._from_state(spec, instruction).id
            digest = hashlib.sha256(json.dumps([origin, spec.sources]).encode()).hexdigest()
            return f"from:{digest}", []
        try:
            sources = resolve_sources(self.context, [s for s in spec.sources if not s.startswith("<<")],
                                      self.matcher)
        except BuildError as err:
            raise DockerfileError(str(err), instruction.line, self.dockerfile_name) from None
        digest, sources = hash_sources(sources, self.stat_cache)
        self.memo.sources(sources, wildcards=any(c in s for s in spec.sources for c in "*?["))
        if spec.inline:
            digest = hashlib.sha256(json.dumps([digest, spec.inline]).encode()).hexdigest()
        kind = "multi"
        if len(sources) + len(spec.inline) == 1:
            kind = "dir" if sources and sources[0].is_dir else "file"
        return f"{kind}:{digest}", sources

    def _from_state(self, spec: CopySpec, instruction: ins.Instruction) -> ImageState:
        if spec.from_stage is not None:
            return self.results[spec.from_stage][0]
        from kubelite.oci.errors import OCIError
        from kubelite.runtime.images import ImageError

        try:
            image = self.images.resolve(str(spec.from_image))
        except (ImageError, OCIError) as err:
            raise DockerfileError(f"COPY --from={spec.from_image}: {err}", instruction.line,
                                  self.dockerfile_name) from None
        self.memo.image(str(spec.from_image), image.digest)
        return from_image(image.id, image.image_config, image.layers)

    # -- filesystem steps ---------------------------------------------------------------------------

    def _filesystem_step(self, state: ImageState, step: Step, sources: list[Source]) -> LayerRef:
        """Run the step on a snapshot; any engine failure becomes one line naming the step's line."""
        try:
            return self._snapshot_step(state, step, sources)
        except DockerfileError:
            raise
        except _engine_errors() as err:
            raise DockerfileError(str(err), step.instruction.line, self.dockerfile_name) from None

    def _snapshot_step(self, state: ImageState, step: Step, sources: list[Source]) -> LayerRef:
        from kubelite.build import runstep

        line = step.instruction.line
        with self.workspace.rootfs(state) as snap:
            if step.run is not None:
                self.say(f" ---> Running in {snap.key}", replay=False)
                result, created = runstep.run(snap, step.run, state_root=self.workspace.runc_root,
                                              cache_dir=os.path.join(self.root, "cache"))
                text = result.output.decode(errors="replace")
                if text:
                    self.say(text.removesuffix("\n"), replay=False)
                self.say(f" ---> Removing intermediate container {snap.key}", replay=False)
                if result.exit_code != 0:
                    command = " ".join(step.run.argv)
                    raise DockerfileError(f"The command '{command}' returned a non-zero code: "
                                          f"{result.exit_code}", line, self.dockerfile_name)
                snap.unmount()
                runstep.drop_mount_points(snap.upper, created)
            else:
                assert step.copy is not None
                self._copy(snap.path, step.copy, sources, step.instruction)
            committed = snap.commit()
        desc = committed.descriptor
        return LayerRef(desc.digest, desc.size, desc.media_type, committed.diff_id)

    def _copy(self, rootfs: str, spec: CopySpec, sources: list[Source], instruction: ins.Instruction) -> None:
        from kubelite.build.copier import copy_sources
        from kubelite.runtime.container_errors import ContainerError
        from kubelite.runtime.users import resolve_user

        try:
            owner = None
            if spec.chown:
                user = resolve_user(rootfs, spec.chown)
                owner = (user.uid, user.gid)
            with ExitStack() as stack:
                if spec.from_stage is not None or spec.from_image is not None:
                    origin = stack.enter_context(self.workspace.rootfs(self._from_state(spec, instruction)))
                    sources = resolve_sources(origin.path, list(spec.sources), Matcher([]), clamp=True)
                sources = sources + list(self._inline_sources(stack, spec))
                copy_sources(rootfs, sources, spec, owner)
        except (BuildError, ContainerError, OSError) as err:
            raise DockerfileError(str(err), instruction.line, self.dockerfile_name) from None

    @staticmethod
    def _inline_sources(stack: ExitStack, spec: CopySpec) -> Iterator[Source]:
        if not spec.inline:
            return
        tmp = stack.enter_context(tempfile.TemporaryDirectory(prefix="kubelite-heredoc-"))
        for name, content in spec.inline:
            path = os.path.join(tmp, name)
            with open(path, "w") as fh:
                fh.write(content)
            yield Source(name, (Entry(path, "", "f", 0o644, 0, 0, len(content.encode())),))

    # -- the image ----------------------------------------------------------------------------------

    def _register(self, state: ImageState, config: dict[str, object]) -> BuildResult:
        try:
            return self._write_image(state, config)
        except _engine_errors() as err:
            raise BuildError(f"cannot register the image: {err}") from None

    def _write_image(self, state: ImageState, config: dict[str, object]) -> BuildResult:
        image = image_config(state, dict(config))
        blob = self.content.write(image.to_bytes())
        manifest = Manifest(config=Descriptor(media_type=mt.OCI_CONFIG, digest=blob.digest, size=blob.size),
                            layers=state.layers)
        data = manifest.to_bytes()
        mblob = self.content.write(data)
        registered = self.images.add(mblob.digest, list(self.request.tags))
        from kubelite.oci.reference import parse_reference

        tags = tuple(parse_reference(t).familiar() for t in self.request.tags)
        return BuildResult(registered.id, mblob.digest, tags, self.cached, self.executed)



def _engine_errors() -> tuple[type[Exception], ...]:
    """The engine's error vocabularies (each a closed set with one-line messages), imported lazily."""
    from kubelite.runtime.container_errors import ContainerError
    from kubelite.runtime.content import ContentError
    from kubelite.runtime.images import ImageError
    from kubelite.runtime.snapshots import SnapshotError

    return (BuildError, ContainerError, ContentError, ImageError, SnapshotError, OSError, ValueError)
