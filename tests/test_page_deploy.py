"""A deploy that reaches the server in two steps never locks returning visitors out.

v1 is served and visited (its service worker saves a copy). Then only v3's sw.js and
site.json are copied over v1, and the visitor comes back; then all of v3 is deployed, and
the visitor keeps coming back. The service worker stores a file only when its bytes match
the hash it was built with, so the half-deployed server cannot poison the saved copy: every
visit starts, first on v1, then on v3.
"""

import json
import shutil
from pathlib import Path

import pytest
from support import READY_TIMEOUT_MS, PageLog

from tools.build_site import build_site
from tools.serve import start_server

pytestmark = pytest.mark.browser

# Checks for a newer service worker and waits until its installation has ended; returns the
# new worker's state ("installed": waiting for the old one's pages to close; "redundant": its
# installation failed), or "none" when sw.js has not changed.
SETTLE_UPDATE = """async () => {
  const registration = await navigator.serviceWorker.ready;
  await registration.update();
  const worker = registration.installing ?? registration.waiting;
  if (worker === null) return "none";
  while (worker.state === "installing") {
    await new Promise((resolve) => worker.addEventListener("statechange", resolve, {once: true}));
  }
  return worker.state;
}"""
# The model sha256 in the site.json the page gets (from the service worker, once it has one).
SERVED_MODEL_SHA256 = "fetch('./site.json').then((r) => r.json()).then((info) => info.model.sha256)"


def files_under(folder: Path) -> set[str]:
    return {path.relative_to(folder).as_posix() for path in folder.rglob("*") if path.is_file()}


@pytest.fixture
def releases(tmp_path, pyodide_wheels, weights_dir):
    """Two builds whose networks differ: v1 with the seed network, v3 with the default one."""
    if not {"seed.npz", "seed.json"} <= {path.name for path in weights_dir.iterdir()}:
        pytest.skip(f"the seed network or its model card is missing from {weights_dir}")
    seed = tmp_path / "seed-weights"  # the seed network under the default's name: same files
    seed.mkdir()
    for suffix in (".npz", ".json"):
        shutil.copyfile(weights_dir / f"seed{suffix}", seed / f"default{suffix}")
    shutil.copyfile(weights_dir / "seed.npz", seed / "seed.npz")  # and the one to compare with
    v1 = build_site(tmp_path / "v1", wheels=pyodide_wheels, weights_dir=seed)
    v3 = build_site(tmp_path / "v3", wheels=pyodide_wheels, weights_dir=weights_dir)
    assert v1.manifest["model"]["sha256"] != v3.manifest["model"]["sha256"]
    assert files_under(v1.out) == files_under(v3.out)
    return v1, v3


def test_a_two_step_deploy_keeps_returning_visitors_working(browser, releases, tmp_path):
    v1, v3 = releases
    served = tmp_path / "served"
    shutil.copytree(v1.out, served)
    server = start_server(served)
    url = f"http://127.0.0.1:{server.server_port}/"
    log = PageLog(url.rstrip("/"))
    context = browser.new_context()

    def visit() -> tuple[str, str]:
        """Open the app in a new tab; return (model sha256 it started with, update state)."""
        page = context.new_page()
        log.watch(page)
        page.goto(url)
        page.wait_for_function(
            "document.documentElement.dataset.appState !== 'loading'", timeout=READY_TIMEOUT_MS
        )
        assert page.evaluate("document.documentElement.dataset.appState") == "ready", (
            page.inner_text("#banner-text")
        )
        # The start's last work, as a visitor stays that long: the Python worker hands over
        # its bytecode (bytecode.js), and only then ends with the page.
        page.wait_for_function("document.documentElement.dataset.bytecode !== undefined")
        model = page.evaluate(SERVED_MODEL_SHA256)
        update = page.evaluate(SETTLE_UPDATE)
        page.close()  # a waiting worker takes over once no page uses the old one
        return model, update

    try:
        v1_model, v3_model = (release.manifest["model"]["sha256"] for release in (v1, v3))
        assert visit() == (v1_model, "none")

        for name in ("sw.js", "site.json"):  # the first half of the deploy
            shutil.copyfile(v3.out / name, served / name)
        assert visit() == (v1_model, "redundant")  # v3's worker refuses v1's files

        shutil.rmtree(served)  # the rest of the deploy
        shutil.copytree(v3.out, served)
        assert visit() == (v1_model, "installed")  # v3's worker waits for v1's page to close
        assert visit() == (v3_model, "none")
        assert json.loads((served / "site.json").read_text())["model"]["sha256"] == v3_model
    finally:
        context.close()
        server.shutdown()
        server.server_close()
    assert log.problems() == []  # no failed request, console error or page error on any visit
