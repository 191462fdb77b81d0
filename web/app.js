// The page's entry module: puts the parts together and runs the start-up.
//
//   loading.js        loading steps, bytes downloaded, and the error banner
//   downloads.js      the start-up downloads, in a worker: counted, watched for silence, checked
//   python.js         main.py in a PyScript worker: Python never runs on this thread
//   bytecode.js       Python's compiled modules, kept for the next visit
//   startup-watch.js  failures nothing else reports
//   pad.js, view.js   the drawing and the result panel
//   recognition.js    when and what to recognise
//   inside.js         the "look inside" panel: every layer, and why it chose
//   original.js       the original network's answer beside ours, loaded when asked for
//   controls.js       buttons, keys, upload, drop and paste
//   offline.js        the service worker, and clearing what it kept
//
// Start-up: the page downloads the Python worker's files with progress and checks them; the
// network is loaded in the worker from the downloaded weights; then the page is ready. The
// Python worker starts meanwhile, and both go through the service worker: a later visit's
// requests are answered from its saved copy. On a first visit the service worker is installed
// first (it takes control at once); it hands each file's bytes, as they arrive, to both the
// page's download and the Python worker's request, so that Python starts while the files
// arrive and no byte is downloaded twice, and saves each file whose bytes match. Once ready,
// the page has it save the rest of the site, and keeps the Python bytecode of the start for
// the next one, which spares compiling Python.

import { keepBytecode, keptBytecode } from "./bytecode.js";
import { Controls } from "./controls.js";
import { downloadInWorker } from "./downloads.js";
import { errorText } from "./error-text.js";
import { InsidePanel } from "./inside.js";
import { LoadingScreen } from "./loading.js";
import { showModelFacts } from "./model-facts.js";
import { clearAppCaches, registerServiceWorker, saveOffline, uncontrolled } from "./offline.js";
import { OriginalNetwork } from "./original.js";
import { DrawingPad } from "./pad.js";
import { PythonWorker } from "./python.js";
import { Recognition } from "./recognition.js";
import { fetchSiteJson } from "./site.js";
import { StartupWatch } from "./startup-watch.js";
import { ResultView } from "./view.js";

const screen = new LoadingScreen(document, () => clearAppCaches().then(() => location.reload()));
const watch = new StartupWatch((message) => screen.fail(message));
watch.start(); // before anything can fail

/** Start-up failed: show why, once. */
function fail(message) {
  watch.stop();
  screen.fail(message);
}

async function start() {
  const firstVisit = uncontrolled();
  const installing = firstVisit ? registerServiceWorker() : null;
  let installed; // given the installation, with a time limit, once site.json has arrived
  const controlled = new Promise((resolve) => (installed = resolve));
  const python = PythonWorker.start(controlled);
  python.catch(() => {}); // awaited below, after the downloads
  const bytecode = keptBytecode();
  let site;
  try {
    site = await fetchSiteJson();
  } catch (error) {
    fail(`${errorText(error)} Check the connection and reload.`);
    return;
  }
  const { page, model } = site;
  const limit = new Promise((resolve) => setTimeout(resolve, page.stallSeconds * 1000));
  installed(installing && Promise.race([installing, limit]));
  const pad = new DrawingPad(document.getElementById("pad"), page.brushFraction);
  const recognition = new Recognition(pad, new ResultView(document), page.maxUploadBytes);
  const controls = new Controls(document, pad, recognition);
  const inside = new InsidePanel(document);
  const original = new OriginalNetwork(document, site.seed ?? null, (text) => controls.status.say(text));
  recognition.follow((result, version) => inside.update(result, version));
  recognition.follow((result, version) => original.update(result, version));

  await controlled; // the downloads go through the service worker, when there is one
  const files = await downloadInWorker(site.downloads, page.stallSeconds * 1000, [model.path], {
    onProgress: (progress) => screen.showDownloads(progress),
    onFailure: fail,
  });
  if (files === null) return;
  screen.showStarting();
  watch.afterDownloads(page.pythonStartSeconds * 1000);
  let worker;
  try {
    worker = await python;
  } catch (error) {
    fail(error.message);
    return;
  }
  const loaded = await worker.loadModel(files.get(model.path), model.sha256, await bytecode);
  if (loaded.state !== "ready") {
    fail(loaded.message);
    return;
  }
  if (!screen.loading) return; // start-up has already failed
  watch.stop();
  screen.finish();
  controls.enableUpload();
  inside.start(worker);
  original.start(worker);
  recognition.start(worker);
  showModelFacts(document.getElementById("model-facts"), model);
  keepBytecode(worker);
  saveOffline();
  if (!firstVisit) registerServiceWorker(); // an update, if there is one
}

start();
