from typing import Any

import pytest

from kubelite.build import instructions as ins
from kubelite.build.errors import DockerfileError
from kubelite.build.parser import parse
from kubelite.build.planner import Step, initial_state, plan_step, unused_build_args, with_content_hash
from kubelite.build.stages import split_stages

pytestmark = pytest.mark.unit


def plan(text: str, build_args: dict[str, str] | None = None, base: dict[str, Any] | None = None,
         target: str | None = None) -> list[Step]:
    """The steps of the target stage (the last by default)."""
    args = build_args or {}
    sp = split_stages(parse(text), args, target)
    stage = sp.target
    state = initial_state(base, args, sp.meta_args)
    before = {s.name: s.index for s in sp.stages[:stage.index] if s.name}
    return [plan_step(state, i, before) for i in stage.instructions]


def test_meta_args_expand_in_from_and_must_be_redeclared_in_a_stage() -> None:
    text = "ARG TAG=1.0\nARG BASE\nFROM img:${TAG}\nRUN echo $TAG\nARG TAG\nRUN echo $TAG\n"
    sp = split_stages(parse(text), {})
    assert sp.target.base == "img:1.0"
    steps = plan(text)
    first, _, second = steps
    assert first.run is not None and "TAG=1.0" not in first.run.env
    assert first.created_by == "/bin/sh -c echo $TAG"
    assert second.run is not None and "TAG=1.0" in second.run.env
    assert second.created_by == "|1 TAG=1.0 /bin/sh -c echo $TAG"
    assert split_stages(parse(text), {"TAG": "2.0"}).target.base == "img:2.0"


def test_build_arg_overrides_default_and_env_wins_over_arg() -> None:
    text = "FROM b\nARG V=def\nENV W=$V\nENV V=env\nLABEL l=$V\nRUN true\n"
    steps = plan(text, {"V": "cli"})
    assert steps[1].config["Env"][-1] == "W=cli"
    assert steps[3].config["Labels"] == {"l": "env"}
    run = steps[4].run
    assert run is not None and "V=cli" not in run.env and "V=env" in run.env
    assert steps[4].created_by == "/bin/sh -c true"   # V is shadowed by ENV: not in the key


def test_env_pairs_see_the_environment_from_before_the_line() -> None:
    steps = plan("FROM b\nENV abc=hello\nENV abc=bye def=$abc\nENV ghi=$abc\n")
    env = steps[-1].config["Env"]
    assert "abc=bye" in env and "def=hello" in env and "ghi=bye" in env


def test_base_image_env_is_visible() -> None:
    steps = plan("FROM b\nENV PATH=$PATH:/opt/bin\n", base={"Env": ["PATH=/bin"]})
    assert steps[0].config["Env"] == ["PATH=/bin:/opt/bin"]


def test_workdir_relative_and_copy_destination() -> None:
    steps = plan("FROM b\nWORKDIR /app\nWORKDIR sub\nCOPY a.txt ./\nCOPY b.txt c.txt dir/\nCOPY x y\n")
    assert steps[1].config["WorkingDir"] == "/app/sub"
    cp = steps[2].copy
    assert cp is not None and cp.dest == "/app/sub" and cp.dest_is_dir
    multi = steps[3].copy
    assert multi is not None and multi.sources == ("b.txt", "c.txt") and multi.dest == "/app/sub/dir"
    single = steps[4].copy
    assert single is not None and single.dest == "/app/sub/y" and not single.dest_is_dir
    assert with_content_hash(steps[4], "file:abc").created_by == "/bin/sh -c #(nop) COPY file:abc in y "


def test_copy_to_several_sources_needs_a_directory() -> None:
    with pytest.raises(DockerfileError, match="Dockerfile:2: When using COPY with more than one source"):
        plan("FROM b\nCOPY a b /dst\n")


def test_cmd_entrypoint_shell_and_inherited_cmd_reset() -> None:
    base = {"Cmd": ["sh"]}
    steps = plan('FROM b\nSHELL ["/bin/bash", "-c"]\nENTRYPOINT run.sh\n', base=base)
    assert steps[-1].config["Entrypoint"] == ["/bin/bash", "-c", "run.sh"]
    assert steps[-1].config["Cmd"] is None
    steps = plan('FROM b\nCMD ["x"]\nENTRYPOINT ["e"]\n', base=base)
    assert steps[-1].config["Cmd"] == ["x"]


def test_config_instructions() -> None:
    steps = plan(
        "FROM b\nEXPOSE 80 8000-8001/udp\nVOLUME /data\nUSER 1000:1000\nSTOPSIGNAL SIGQUIT\n"
        "HEALTHCHECK --interval=5s CMD true\nLABEL a=b\nONBUILD RUN x\nMAINTAINER me\n")
    config = steps[-1].config
    assert config["ExposedPorts"] == {"80/tcp": {}, "8000/udp": {}, "8001/udp": {}}
    assert config["Volumes"] == {"/data": {}}
    assert config["User"] == "1000:1000"
    assert config["StopSignal"] == "SIGQUIT"
    assert config["Healthcheck"] == {"Test": ["CMD-SHELL", "true"], "Interval": 5_000_000_000}
    assert config["OnBuild"] == ["RUN x"]
    assert steps[-1].author == "me"
    assert all(s.empty_layer for s in steps)


def test_run_forms_and_heredoc() -> None:
    steps = plan('FROM b\nRUN ["echo", "hi"]\nRUN --network=none <<EOF\necho a\nEOF\n')
    assert steps[0].run is not None and steps[0].run.argv == ("echo", "hi")
    assert steps[0].run.network == "host"
    assert steps[1].run is not None and steps[1].run.argv == ("/bin/sh", "-c", "echo a\n")
    assert steps[1].run.network == "none"
    assert not steps[0].empty_layer


def test_copy_from_stage_and_image() -> None:
    text = "FROM b AS build\nRUN x\nFROM b\nCOPY --from=build /out /out\nCOPY --from=other:1 /a /a\n"
    steps = plan(text)
    assert steps[0].copy is not None and steps[0].copy.from_stage == 0
    assert steps[1].copy is not None and steps[1].copy.from_image == "other:1"


def test_target_and_stage_order_skip_unneeded_stages() -> None:
    text = ("FROM b AS a\nRUN 1\nFROM b AS unused\nRUN 2\nFROM a AS c\nCOPY --from=0 /x /x\n"
            "FROM b AS last\n")
    sp = split_stages(parse(text), {})
    assert sp.order == (3,)
    sp = split_stages(parse(text), {}, target="c")
    assert sp.order == (0, 2)
    assert sp.stages[2].base_stage == 0
    assert sp.step_count() == 4
    with pytest.raises(DockerfileError, match="target stage 'nope' could not be found"):
        split_stages(parse(text), {}, target="nope")


def test_errors_name_lines() -> None:
    with pytest.raises(DockerfileError, match="Dockerfile:1: no build stage in current context"):
        split_stages(parse("RUN x\nFROM b\n"), {})
    with pytest.raises(DockerfileError, match="Dockerfile:3: duplicate stage name 'a'"):
        split_stages(parse("FROM b AS a\n\nFROM b AS a\n"), {})
    with pytest.raises(DockerfileError, match="Dockerfile:2: invalid containerPort: http"):
        plan("FROM b\nEXPOSE http\n")
    with pytest.raises(DockerfileError, match="Dockerfile:2: V: is required"):
        plan("FROM b\nWORKDIR ${V:?is required}\n")
    with pytest.raises(DockerfileError, match="Dockerfile:2: ADD from a URL is not supported"):
        plan("FROM b\nADD https://example.com/x /x\n")


def test_unused_build_args() -> None:
    text = "ARG G\nFROM b\nARG USED\n"
    args = {"USED": "1", "G": "2", "EXTRA": "3", "HTTP_PROXY": "p"}
    sp = split_stages(parse(text), args)
    state = initial_state(None, args, sp.meta_args)
    for i in sp.target.instructions:
        plan_step(state, i)
    assert unused_build_args(args, state.used_args, sp.meta_args) == ["EXTRA"]
    assert isinstance(sp.target.instructions[0], ins.Arg)
