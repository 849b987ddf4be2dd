import argparse

import pytest

from kubelite.cli import inspect as inspect_verb
from kubelite.cli import run as run_verb
from kubelite.cli.errors import CLIError

pytestmark = pytest.mark.unit


def _parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    run_verb.add_arguments(parser)
    return parser.parse_args(list(argv))


def test_run_flags_become_a_typed_request(tmp_path: object, monkeypatch: pytest.MonkeyPatch) -> None:
    env_file = f"{tmp_path}/env"
    with open(env_file, "w") as fh:
        fh.write("# comment\nA=1\nFROM_HOST\n\nB=two words\n")
    monkeypatch.setenv("FROM_HOST", "yes")
    req = run_verb.create_request(
        _parse(
            "-d",
            "--rm",
            "--name",
            "web",
            "--env-file",
            env_file,
            "-e",
            "C=3",
            "-p",
            "127.0.0.1:8080:80/udp",
            "-v",
            "/tmp:/data:ro",
            "-w",
            "/srv",
            "-u",
            "www",
            "--entrypoint",
            "/bin/sh",
            "--hostname",
            "h",
            "--network",
            "none",
            "--memory",
            "64m",
            "--cpus",
            "0.5",
            "--pids-limit",
            "10",
            "--security-opt",
            "no-new-privileges",
            "-l",
            "k=v",
            "busybox",
            "-c",
            "echo hi",
        )
    )
    assert req.env == ["A=1", "FROM_HOST=yes", "B=two words", "C=3"]
    assert (req.publish[0].host_ip, req.publish[0].host_port, req.publish[0].protocol) == ("127.0.0.1", 8080, "udp")
    assert req.entrypoint == ["/bin/sh"] and req.command == ["-c", "echo hi"]
    assert (req.memory, req.cpus, req.pids_limit) == (64 << 20, 0.5, 10)
    assert req.no_new_privileges and req.auto_remove and req.labels == {"k": "v"}
    assert (req.network, req.workdir, req.user, req.hostname) == ("none", "/srv", "www", "h")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (("--memory", "lots", "busybox"), "invalid memory size"),
        (("--cpus", "many", "busybox"), "--cpus"),
        (("--cpus", "999", "busybox"), "range of CPUs"),
        (("-p", "x:80", "busybox"), "invalid port"),
        (("--security-opt", "seccomp=unconfined", "busybox"), "unsupported --security-opt"),
        (("--env-file", "/nonexistent/env", "busybox"), "open /nonexistent/env"),
    ],
)
def test_run_flag_errors_are_cli_errors(argv: tuple[str, ...], message: str) -> None:
    from kubelite.runtime.container_errors import ContainerError

    with pytest.raises((CLIError, ContainerError), match=message):
        run_verb.create_request(_parse(*argv))


def test_inspect_format_templates() -> None:
    doc = {"State": {"Status": "running", "Running": True, "Pid": 7}, "Config": {"Env": ["A=1"]}}
    assert inspect_verb._format(doc, "{{.State.Status}}") == "running"
    assert inspect_verb._format(doc, "{{.State.Running}}") == "true"
    assert inspect_verb._format(doc, "{{json .Config.Env}}") == '["A=1"]'
    with pytest.raises(CLIError):
        inspect_verb._format(doc, "{{.Nope}}")
    with pytest.raises(CLIError):
        inspect_verb._format(doc, "State")
