"""The import-linter contracts are enforced: a copy of the tree with a planted violation breaks them.

The copy is linted in a temporary directory so the planted module never touches the real tree.
"""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[3]
LINT = Path(sys.executable).with_name("lint-imports")


def _lint(tree: Path) -> subprocess.CompletedProcess[str]:
    if not LINT.exists():
        pytest.fail(f"lint-imports not found beside {sys.executable}: run `make test` to install dev deps")
    return subprocess.run(
        [str(LINT), "--config", str(tree / "pyproject.toml"), "--no-cache"],
        check=False, cwd=tree, capture_output=True, text=True, timeout=120,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(tree)},
    )


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    shutil.copytree(REPO / "kubelite", tmp_path / "kubelite",
                    ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(REPO / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def test_clean_tree_keeps_every_contract(tree: Path) -> None:
    result = _lint(tree)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_lower_layer_importing_a_higher_one_breaks_the_layers_contract(tree: Path) -> None:
    (tree / "kubelite" / "base" / "planted.py").write_text("import kubelite.cli.main\n")
    result = _lint(tree)
    assert result.returncode != 0
    assert "One-way layers" in result.stdout and "BROKEN" in result.stdout
    assert "kubelite.base.planted -> kubelite.cli.main" in result.stdout


def test_base_spawning_processes_breaks_the_purity_contract(tree: Path) -> None:
    (tree / "kubelite" / "base" / "planted.py").write_text("import subprocess\n")
    result = _lint(tree)
    assert result.returncode != 0
    assert "base holds no I/O of its own" in result.stdout and "BROKEN" in result.stdout
