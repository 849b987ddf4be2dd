import argparse
import sys
import types

import pytest

from kubelite import __version__
from kubelite.cli import main as cli_main
from kubelite.cli.errors import CLIError

pytestmark = pytest.mark.unit


def test_version_flag(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli_main.main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"kubelite version {__version__}"


def test_help_lists_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli_main.main(["--help"]) == 0
    out = capsys.readouterr().out
    for name in cli_main.COMMANDS:
        assert f"  {name}" in out


def test_unknown_command_and_option_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli_main.main(["frobnicate"]) == 2
    assert "unknown command 'frobnicate'" in capsys.readouterr().err
    assert cli_main.main(["--frob"]) == 2
    assert "unknown global option" in capsys.readouterr().err


def test_version_verb_and_root_option(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli_main.main(["--root", "/tmp/x", "version", "-o", "json"]) == 0
    assert f'"version": "{__version__}"' in capsys.readouterr().out


def test_cli_error_is_one_line_not_a_traceback(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    seen: dict[str, str] = {}
    module = types.ModuleType("kubelite_fake_verb")

    def add_arguments(parser: argparse.ArgumentParser) -> None:
        parser.add_argument("name")

    def run(args: argparse.Namespace) -> int:
        seen["root"] = args.root
        raise CLIError(f"No such container: {args.name}", exit_code=3)

    module.add_arguments = add_arguments  # type: ignore[attr-defined]
    module.run = run  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "kubelite_fake_verb", module)
    monkeypatch.setitem(cli_main.COMMANDS, "fake", cli_main.Command("kubelite_fake_verb", "test verb"))
    monkeypatch.setenv("KUBELITE_ROOT", "/srv/kl")
    assert cli_main.main(["fake", "web"]) == 3
    err = capsys.readouterr().err
    assert err == "Error: No such container: web\n"
    assert seen["root"] == "/srv/kl"
