import pytest

from kubelite.build import instructions as ins
from kubelite.build.errors import DockerfileError
from kubelite.build.parser import parse, split_flags

pytestmark = pytest.mark.unit


def test_lines_continuations_and_comments_keep_line_numbers() -> None:
    text = (
        "# a comment\n"
        "FROM busybox\n"
        "\n"
        "RUN echo a \\\n"
        "# comment inside a continuation\n"
        "\n"
        "    && echo b\n"
        "  copy  a.txt /a.txt\n"
    )
    df = parse(text)
    assert [(i.command, i.line, i.end_line) for i in df.instructions] == [
        ("from", 2, 2), ("run", 4, 7), ("copy", 8, 8)]
    run = df.instructions[1]
    assert run.args == "echo a     && echo b"
    assert run.original == "RUN echo a     && echo b"
    assert df.instructions[2].original == "copy  a.txt /a.txt"


def test_escape_directive_changes_continuation_character() -> None:
    df = parse("# escape=`\nFROM scratch\nRUN dir c:\\ `\n  /w\n")
    assert df.escape == "`"
    assert df.instructions[1].args == "dir c:\\   /w"


def test_directives_only_at_the_top() -> None:
    df = parse("FROM scratch\n# escape=`\nRUN a \\\n b\n")
    assert df.escape == "\\"
    assert df.instructions[1].args == "a  b"
    # A non-directive comment ends the directives, too.
    assert parse("# hello\n# escape=`\nFROM scratch\n").escape == "\\"


def test_directive_errors_name_their_line() -> None:
    with pytest.raises(DockerfileError, match=r"^Dockerfile:2: only one escape parser directive"):
        parse("# escape=`\n# escape=\\\nFROM scratch\n")
    with pytest.raises(DockerfileError, match=r"^Dockerfile:1: invalid escape token"):
        parse("# escape=x\nFROM scratch\n")


def test_flags_are_split_from_arguments() -> None:
    assert split_flags('--from=build --chown="1 2" a b') == (("--from=build", "--chown=1 2"), "a b")
    assert split_flags("-- --x a") == ((), "--x a")
    df = parse("FROM busybox\nCOPY --from=0 --chown=1:2 /a /b\n")
    assert df.instructions[1].flags == ("--from=0", "--chown=1:2")


def test_heredocs() -> None:
    df = parse("FROM busybox\nRUN <<EOF\necho hi\necho there\nEOF\nCOPY <<-'X' /f\n\tbody $A\n\tX\nCMD x\n")
    run, cp, cmd = df.instructions[1:]
    assert run.heredocs[0].content == "echo hi\necho there\n"
    assert (run.line, run.end_line) == (2, 5)
    assert cp.heredocs[0].content == "body $A\n" and not cp.heredocs[0].expand
    assert cmd.line == 9
    with pytest.raises(DockerfileError, match="Dockerfile:2: unterminated heredoc EOF"):
        parse("FROM busybox\nRUN <<EOF\necho\n")


def test_unknown_instruction_names_its_line_and_the_word_as_written() -> None:
    df = parse("FROM busybox\n\n\n\n\n\nRUNN echo\n", filename="x/Dockerfile")
    with pytest.raises(DockerfileError) as err:
        ins.build(df.instructions[1])
    assert str(err.value) == "Dockerfile:7: unknown instruction: RUNN"


def test_exec_and_shell_forms() -> None:
    df = parse('FROM b\nRUN ["echo", "a b"]\nRUN echo "a b"\nCMD ["bad json\nENTRYPOINT [1]\n')
    run_exec, run_shell, cmd, entry = (ins.build(r) for r in df.instructions[1:])
    assert isinstance(run_exec, ins.Run) and run_exec.exec_form == ("echo", "a b")
    assert isinstance(run_shell, ins.Run) and run_shell.exec_form is None and run_shell.shell == 'echo "a b"'
    assert isinstance(cmd, ins.Cmd) and cmd.exec_form is None and cmd.shell == '["bad json'
    assert isinstance(entry, ins.Entrypoint) and entry.exec_form is None


@pytest.mark.parametrize(("line", "message"), [
    ("COPY onlyone", "COPY requires at least two arguments"),
    ("COPY --frm=x a b", "unknown flag: frm"),
    ("ENV", "ENV requires at least one argument"),
    ("ENV a=1 b", "can't find = in 'b'"),
    ("LABEL x", "LABEL must have two arguments"),
    ("SHELL /bin/bash -c", "SHELL requires the arguments to be in JSON form"),
    ("FROM a b", "FROM requires either one or three arguments"),
    ("HEALTHCHECK --interval=xs CMD true", "--interval: time: invalid duration"),
    ("RUN --mount=type=cache,target=/x true", "RUN --mount is not supported"),
    ("WORKDIR", "WORKDIR requires exactly one argument"),
])
def test_bad_arguments_name_the_line(line: str, message: str) -> None:
    df = parse(f"FROM busybox\n{line}\n")
    with pytest.raises(DockerfileError) as err:
        for raw in df.instructions:
            ins.build(raw)
    assert str(err.value).startswith("Dockerfile:")
    assert message in str(err.value)
    assert err.value.line == 2


def test_typed_arguments() -> None:
    df = parse(
        "FROM --platform=linux/amd64 busybox AS Build\n"
        "ENV A=1 B=\"two words\" C\\ D=x\n"
        "ENV OLD value with spaces\n"
        "ARG X Y=2\n"
        "COPY [\"a b\", \"/dst/\"]\n"
        "HEALTHCHECK --interval=1m30s --retries=3 CMD curl -f http://x/\n"
        "VOLUME [\"/data\", \"/logs\"]\n"
        "EXPOSE 80 53/udp\n"
    )
    built = [ins.build(r) for r in df.instructions]
    frm, env, old, arg, cp, hc, vol, expose = built
    assert isinstance(frm, ins.From)
    assert (frm.image, frm.alias, frm.platform) == ("busybox", "build", "linux/amd64")
    assert isinstance(env, ins.Env) and env.pairs == (("A", "1"), ("B", '"two words"'), ("C\\ D", "x"))
    assert isinstance(old, ins.Env) and old.pairs == (("OLD", "value with spaces"),)
    assert isinstance(arg, ins.Arg) and arg.args == (("X", None), ("Y", "2"))
    assert isinstance(cp, ins.Copy) and (cp.sources, cp.dest) == (("a b",), "/dst/")
    assert isinstance(hc, ins.Healthcheck) and hc.test == ("CMD-SHELL", "curl -f http://x/")
    assert hc.interval == 90_000_000_000 and hc.retries == 3
    assert isinstance(vol, ins.Volume) and vol.words == ("/data", "/logs")
    assert isinstance(expose, ins.Expose) and expose.words == ("80", "53/udp")
