"""Bad input to the CLI verbs ends in one ``Error:`` line and exit code 1, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.distribution.conftest import RegistryProcess, free_port, kubelite

pytestmark = pytest.mark.e2e


def test_cli_errors_are_one_line(registry: RegistryProcess, tmp_path: Path) -> None:
    root = str(tmp_path / "engine")
    dead = f"127.0.0.1:{free_port()}"
    cases = [
        (["pull", f"{registry.host}/nothing:here"], f"Error: manifest for {registry.host}/nothing:here not found"),
        (["pull", "Not/A Valid:ref"], "Error: invalid reference format"),
        (["pull", f"{dead}/x:v1"], f"Error: cannot reach registry {dead}"),
        (["push", f"{registry.host}/absent:v1"], f"Error: No such image: {registry.host}/absent:v1"),
        (["pull", "--platform", "linux", f"{registry.host}/x:v1"], "Error: --platform must be os/arch"),
        (["registry", "gc", "--root", str(tmp_path / "nope")], "Error: "),
    ]
    for args, expected in cases:
        result = kubelite("--root", root, *args, check=False)
        assert result.returncode == 1, (args, result.stderr)
        errors = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
        assert len(errors) == 1 and errors[0].startswith(expected), (args, result.stderr)
        assert "Traceback" not in result.stderr
