// Run a Python script under Pyodide in Node.js, with the in-page modules importable.
//
//   node tools/pyodide/run_python.mjs [--mount HOST:GUEST]... SCRIPT.py [ARG]...
//
// web/recognizer is importable as `recognizer` and weights/ is at /app/weights. Each
// --mount makes a host folder visible at an absolute guest path (e.g. a temp folder
// holding inputs and receiving outputs). sys.argv is [SCRIPT.py, ARG...]. The script's
// output goes to stdout; an uncaught Python exception prints its traceback to stderr and
// the process exits with status 1.

import { readFileSync } from "node:fs";
import { startPyodide } from "./pyodide_env.mjs";

function parseArgs(argv) {
  const mounts = [];
  let i = 0;
  while (argv[i] === "--mount") {
    const spec = argv[i + 1] ?? "";
    const cut = spec.lastIndexOf(":");
    if (cut <= 0 || !spec.slice(cut + 1).startsWith("/")) {
      throw new Error(`--mount needs HOST:/GUEST, got ${JSON.stringify(spec)}`);
    }
    mounts.push([spec.slice(0, cut), spec.slice(cut + 1)]);
    i += 2;
  }
  if (i >= argv.length) throw new Error("usage: run_python.mjs [--mount HOST:GUEST]... SCRIPT.py [ARG]...");
  return { mounts, script: argv[i], args: argv.slice(i + 1) };
}

const { mounts, script, args } = parseArgs(process.argv.slice(2));
const pyodide = await startPyodide({ mounts });
pyodide.globals.get("sys").argv = pyodide.toPy([script, ...args]);
try {
  await pyodide.runPythonAsync(readFileSync(script, "utf8"), { filename: script });
} catch (error) {
  process.stderr.write(String(error.message ?? error) + "\n");
  process.exitCode = 1;
}
