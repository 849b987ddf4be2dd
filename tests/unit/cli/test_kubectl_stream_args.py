"""The built-in kubectl's exec argument rules (flags between the pod and ``--``) and port-forward's
selectors, parsed as ``kubelite kubectl`` parses them, without a server."""

from __future__ import annotations

import argparse

import pytest

from kubelite.cli.errors import CLIError
from kubelite.cli.kubectl import main, remote
from kubelite.cli.kubectl.portforward import selector_string

pytestmark = pytest.mark.unit


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    main.add_arguments(parser)
    args = parser.parse_args(argv)
    if args.verb == "exec":
        remote.split_command(args)
    return args


def test_exec_flags_before_and_after_the_pod() -> None:
    args = parse("exec", "-it", "web", "--", "sh", "-c", "echo -- x")
    assert (args.pod, args.stdin, args.tty, args.command) == ("web", True, True, ["sh", "-c", "echo -- x"])
    args = parse("exec", "web", "-c", "app", "-n", "prod", "-i", "--", "cat")
    assert (args.container, args.namespace, args.stdin, args.tty, args.command) == ("app", "prod", True, False,
                                                                                   ["cat"])
    args = parse("exec", "web", "ls", "-l")  # no --: everything after the pod is the command
    assert args.command == ["ls", "-l"]


def test_exec_unknown_flags_before_the_command_are_one_line() -> None:
    with pytest.raises(CLIError, match="--frobnicate"):
        parse("exec", "web", "--frobnicate", "--", "ls")


def test_port_forward_selectors() -> None:
    assert selector_string({"app": "web", "tier": "fe"}) == "app=web,tier=fe"
    assert selector_string({"matchLabels": {"app": "web"}}) == "app=web"
    with pytest.raises(CLIError, match="matchExpressions"):
        selector_string({"matchExpressions": [{"key": "a", "operator": "Exists"}]})
