// Page controller: loading progress, error banner, input (drawing, upload, drop, paste,
// keys) and scheduling of recognition. Python (main.py) imports this module through
// pyscript.toml [js_modules.main] and calls the exported functions below.
//
// Readiness hook: <html data-app-state="loading|ready|error">.

import { DrawingPad } from "./pad.js";
import { ResultView } from "./view.js";

const STEPS = {
  runtime: "Downloading the Python runtime…",
  packages: "Loading NumPy and Pillow…",
  model: "Loading the network…",
};
const THROTTLE_MS = 120; // live predictions while drawing: at most one per interval
const START_TIMEOUT_MS = 180_000; // give up waiting for start-up after this long
// Larger files are refused unread; mirrors recognizer.preprocess.MAX_IMAGE_BYTES.
export const MAX_UPLOAD_BYTES = 20 * 1024 * 1024;

const $ = (id) => document.getElementById(id);
const root = document.documentElement;
const view = new ResultView(document);
const pad = new DrawingPad($("pad"), (kind) => schedule(kind !== "move"));
const upload = $("upload");
upload.disabled = true;

let engine = null; // {canvas, image}: recognition functions handed over by main.py
let timer = null;
let lastRun = -Infinity;
let pendingFinal = false;

// ---- start-up ---------------------------------------------------------------------

const manifest = fetch("./site.json").then((response) => {
  if (!response.ok) throw new Error(`site.json: HTTP ${response.status}`);
  return response.json();
});
const model = manifest.then(async (info) => {
  const response = await fetch(info.model.path);
  if (!response.ok) throw new Error(`${info.model.path}: HTTP ${response.status}`);
  return new Uint8Array(await response.arrayBuffer());
});
model.catch(() => {}); // reported when main.py awaits it

/** Site manifest written by the build (model path, size, sha256; runtime versions). */
export const siteInfo = () => manifest;

/** The model file's bytes (fetched from page start, in parallel with the runtime). */
export const modelBytes = () => model;

/** Mark a loading step ("runtime", "packages", "model") as the current one. */
export function setStep(step) {
  if (root.dataset.appState !== "loading") return;
  const names = Object.keys(STEPS);
  const index = names.indexOf(step);
  $("loading-text").textContent = STEPS[step];
  $("loading-progress").value = index;
  for (const item of document.querySelectorAll(".steps li")) {
    const at = names.indexOf(item.dataset.step);
    item.classList.toggle("done", at < index);
    item.classList.toggle("active", at === index);
  }
}

/** Start-up failed: show the banner instead of the progress. */
export function fail(message) {
  globalThis.fetch = nativeFetch;
  root.dataset.appState = "error";
  $("loading").hidden = true;
  $("banner-text").textContent = message;
  $("banner").hidden = false;
}

/**
 * main.py hands over its recognition functions; the page becomes ready.
 * @param {(canvas: HTMLCanvasElement) => object} recognizeCanvas
 * @param {(bytes: Uint8Array) => object} recognizeImage
 */
export function connect(recognizeCanvas, recognizeImage) {
  engine = { canvas: recognizeCanvas, image: recognizeImage };
  globalThis.fetch = nativeFetch;
  $("banner").hidden = true;
  $("loading").hidden = true;
  upload.disabled = false;
  root.dataset.appState = "ready";
  schedule(true);
  showModelFacts();
  registerServiceWorker();
}

/** Cache the app for offline use and faster later visits (once it has started). */
function registerServiceWorker() {
  if (!("serviceWorker" in navigator)) return;
  navigator.serviceWorker
    .register("./sw.js")
    .catch((error) => console.warn("offline support unavailable:", reason(error)));
}

/** Fill "How it works" with the model card's size and accuracies, when there is one. */
async function showModelFacts() {
  const { model: info } = await manifest;
  if (!info.card) return;
  const response = await fetch(info.card);
  if (!response.ok) return;
  const card = await response.json();
  const facts = $("model-facts");
  const percent = (fraction) => `${(fraction * 100).toFixed(2)} %`;
  const { mnist_test: mnist, writer_independent: writers } = card.evaluation;
  const unseen = writers
    ? ` and ${percent(writers.accuracy_mean_over_folds)} of pen digits by writers it had never ` +
      `seen (mean over ${writers.folds} writer folds)`
    : "";
  facts.textContent =
    `This network has ${card.parameters.toLocaleString("en")} weights in ` +
    `${Math.round(info.bytes / 1024)} KB and recognises ` +
    `${percent(mnist.accuracy)} of the 10,000 MNIST test digits${unseen}.`;
  facts.hidden = false;
}

setStep("runtime");
new PerformanceObserver((list) => {
  if (list.getEntries().some((entry) => entry.name.endsWith("/pyodide.asm.wasm"))) {
    setStep("packages");
  }
}).observe({ type: "resource", buffered: true });
addEventListener("py:progress", ({ detail }) => {
  if (detail === "Loading files") setStep("model");
});

// ---- start-up failures: never an endless spinner ----------------------------------

const loading = () => root.dataset.appState === "loading";
// The last line of an error message: for a Python error, its type and text, no traceback.
const reason = (error) => String(error?.message ?? error).trim().split("\n").at(-1).slice(0, 200);

// Every runtime asset (wasm, stdlib, wheels, config, modules) is fetched with fetch():
// while loading, a failed or refused request ends the start-up with a message.
const nativeFetch = globalThis.fetch;
globalThis.fetch = async (resource, ...rest) => {
  const url = resource instanceof Request ? resource.url : String(resource);
  let response;
  try {
    response = await nativeFetch(resource, ...rest);
  } catch (error) {
    if (loading()) fail(`Could not load ${new URL(url, location.href).pathname}: ${reason(error)}`);
    throw error;
  }
  if (!response.ok && loading()) {
    fail(`Could not load ${new URL(url, location.href).pathname} (HTTP ${response.status}).`);
  }
  return response;
};
addEventListener("unhandledrejection", (event) => {
  if (loading()) fail(`The recognizer failed to start: ${reason(event.reason)}`);
});
setTimeout(() => {
  if (loading()) fail("The recognizer is taking too long to load. Check the connection and reload.");
}, START_TIMEOUT_MS);

// PyScript is loaded from here, after the listeners above, so that its failure is seen
// too; Python errors during start-up (reported on the interpreter's stderr) end it as well.
import("./pyscript/core.js").then(
  ({ hooks }) => {
    hooks.main.onReady.add((wrap) => {
      const { stderr } = wrap.io;
      wrap.io.stderr = (error, ...rest) => {
        if (loading()) fail(`The recognizer failed to start: ${reason(error)}`);
        return stderr(error, ...rest);
      };
    });
  },
  (error) => fail(`Could not load PyScript: ${reason(error)}`),
);
$("reload").addEventListener("click", () => location.reload());

// ---- recognition ------------------------------------------------------------------

/** Run recognition soon: right away for a final state, else throttled while drawing. */
function schedule(final) {
  if (engine === null) return;
  pendingFinal ||= final;
  if (final) {
    clearTimeout(timer);
    timer = setTimeout(recognizeDrawing, 0);
  } else if (timer === null) {
    timer = setTimeout(recognizeDrawing, Math.max(0, lastRun + THROTTLE_MS - performance.now()));
  }
}

function cancelScheduled() {
  clearTimeout(timer);
  timer = null;
  pendingFinal = false;
}

function recognizeDrawing() {
  const final = pendingFinal;
  cancelScheduled();
  lastRun = performance.now();
  if (pad.isEmpty) {
    view.empty(pad.version);
    return;
  }
  pad.flush();
  display(() => engine.canvas(pad.canvas), final);
}

/** Run a recognition and show its result; ``preview`` is the uploaded image's URL, if any. */
function display(call, final, preview = null) {
  const version = pad.version;
  let result;
  const started = performance.now();
  try {
    result = call();
  } catch (error) {
    console.warn("recognition failed", error);
    view.error("Something went wrong while recognising. Please try again.", version);
    view.preview(null, null);
    return;
  }
  if (result.state === "empty") view.empty(version);
  else if (result.state === "error") view.error(result.message, version);
  else view.show(result, version, final, performance.now() - started);
  view.preview(preview, result.region ?? null);
}

async function recognizeFile(file) {
  if (engine === null || !file) return;
  if (file.size > MAX_UPLOAD_BYTES) {
    const mb = (file.size / 1024 / 1024).toFixed(1);
    const limit = MAX_UPLOAD_BYTES / 1024 / 1024;
    view.error(`That file is too large (${mb} MB). Please use an image under ${limit} MB.`, pad.version);
    return;
  }
  let bytes;
  try {
    bytes = new Uint8Array(await file.arrayBuffer());
  } catch (error) {
    view.error(`The file could not be read (${reason(error)}).`, pad.version);
    return;
  }
  pad.clear(); // the result now describes the image; Undo brings the drawing back
  cancelScheduled();
  view.busy("Reading the image…", pad.version);
  await nextPaint(); // Python holds the main thread: let the busy sign show first
  const preview = URL.createObjectURL(file);
  display(() => engine.image(bytes), true, preview);
}

/** Resolve after the browser has painted the current state. */
const nextPaint = () => new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0)));

// ---- controls ---------------------------------------------------------------------

function clearAll() {
  pad.clear();
  schedule(true);
}

function undo() {
  pad.undo();
  schedule(true);
}

$("clear").addEventListener("click", clearAll);
$("undo").addEventListener("click", undo);
addEventListener("keydown", (event) => {
  if (event.key === "Escape") {
    clearAll();
  } else if ((event.ctrlKey || event.metaKey) && !event.shiftKey && event.key.toLowerCase() === "z") {
    event.preventDefault();
    undo();
  }
});
upload.addEventListener("change", () => {
  recognizeFile(upload.files[0]);
  upload.value = ""; // choosing the same file again fires "change" again
});

// Files can be dropped anywhere on the page (which never navigates to a dropped file).
addEventListener("dragover", (event) => {
  event.preventDefault();
  event.dataTransfer.dropEffect = "copy";
  root.classList.add("dragging");
});
addEventListener("dragleave", (event) => {
  if (event.relatedTarget === null) root.classList.remove("dragging"); // left the window
});
addEventListener("drop", (event) => {
  event.preventDefault();
  root.classList.remove("dragging");
  recognizeFile(event.dataTransfer.files[0]);
});
addEventListener("paste", (event) => {
  const item = [...event.clipboardData.items].find((entry) => entry.kind === "file");
  if (item) {
    event.preventDefault();
    recognizeFile(item.getAsFile());
  }
});
