// The Python bytecode kept between visits (worker.py, bytecode.py): once the page is ready it
// asks the Python worker for its bytecode, which answers with every current .pyc file when
// the start still had to compile modules (a first visit, a new build's), and the page keeps
// them in Cache Storage; the next start hands them back, and Python skips compiling NumPy,
// Pillow and the recognizer again. Only a speed-up: when Cache Storage is missing or
// refuses, every start compiles, as it would anyway.
//
// <html data-bytecode> says what happened: "kept" (saved by this visit) or "used" (this
// start compiled nothing: every module came from an earlier visit's copy).

import { errorText } from "./error-text.js";

const CACHE = "digit-recognizer-bytecode"; // sw.js leaves it: a start replaces what no longer fits
const KEY = new URL("./python-bytecode.zip", import.meta.url).href; // a cache key, not a served file

/** The kept bytecode zip, or null when there is none (or no Cache Storage). Never rejects. */
export async function keptBytecode() {
  try {
    const response = await (await caches.open(CACHE)).match(KEY);
    return response ? new Uint8Array(await response.arrayBuffer()) : null;
  } catch {
    return null;
  }
}

/**
 * After a start: keep what the worker compiled, when it had to compile anything.
 * @param {import("./python.js").PythonWorker} worker the started worker.
 * @returns {Promise<void>} never rejects.
 */
export async function keepBytecode(worker) {
  const root = document.documentElement;
  try {
    const zip = await worker.bytecode();
    if (!zip) {
      root.dataset.bytecode = "used";
      return;
    }
    await (await caches.open(CACHE)).put(KEY, new Response(zip, { headers: { "Content-Type": "application/zip" } }));
    root.dataset.bytecode = "kept";
  } catch (error) {
    console.warn("Python's bytecode was not kept for the next visit:", errorText(error));
  }
}
