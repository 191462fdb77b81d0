// Start Pyodide (the page's runtime) under Node.js with the in-page Python mounted.
//
// Package wheels come from the folder in $PYODIDE_WHEELS (default ../shared/pyodide
// relative to the repository root) when it exists: Pyodide loads a package from its
// packageCacheDir when the wheel is there, so nothing is fetched. Without that folder
// Pyodide downloads the wheels from its official distribution, as for any user.

import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { loadPyodide } from "pyodide";

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
export const APP_DIR = "/app"; // guest folder holding recognizer/ and weights/; on sys.path

/** The wheel folder to use, or undefined when none is present. */
export function wheelsDir() {
  const dir = path.resolve(
    REPO_ROOT,
    process.env.PYODIDE_WHEELS ?? path.join("..", "shared", "pyodide"),
  );
  return existsSync(dir) ? dir + path.sep : undefined;
}

/**
 * Load Pyodide with numpy and Pillow, mount host folders and put /app on sys.path.
 *
 * mounts: [hostDir, guestDir] pairs mounted read-write with NODEFS, in addition to
 * web/recognizer -> /app/recognizer and weights/ -> /app/weights (when present).
 * Python's stdout and stderr go to the process's stdout and stderr, one line at a time.
 */
export async function startPyodide({ mounts = [] } = {}) {
  const cacheDir = wheelsDir();
  const pyodide = await loadPyodide({
    ...(cacheDir ? { packageCacheDir: cacheDir } : {}),
    stdout: (line) => process.stdout.write(line + "\n"),
    stderr: (line) => process.stderr.write(line + "\n"),
  });
  await pyodide.loadPackage(["numpy", "pillow"], { messageCallback: () => {} });
  const all = [[path.join(REPO_ROOT, "web", "recognizer"), `${APP_DIR}/recognizer`]];
  const weights = path.join(REPO_ROOT, "weights");
  if (existsSync(weights)) all.push([weights, `${APP_DIR}/weights`]);
  for (const [host, guest] of [...all, ...mounts]) {
    pyodide.FS.mkdirTree(guest);
    pyodide.FS.mount(pyodide.FS.filesystems.NODEFS, { root: path.resolve(host) }, guest);
  }
  pyodide.runPython(`import sys; sys.path.insert(0, ${JSON.stringify(APP_DIR)})`);
  return pyodide;
}
