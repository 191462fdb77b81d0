// The page's entry module: puts the parts together and is the page's side of main.py, which
// imports it (pyscript.toml [js_modules.main]) and calls the exported functions below.
//
//   loading.js        loading steps and the error banner
//   startup-watch.js  turns any start-up failure into the banner, with its cause
//   site.js           site.json and the model file, fetched from page start
//   pad.js, view.js   the drawing and the result panel
//   recognition.js    when and what to recognise
//   controls.js       buttons, keys, upload, drop and paste
//   offline.js        the service worker, and clearing what it kept

import { Controls } from "./controls.js";
import { LoadingScreen } from "./loading.js";
import { showModelFacts } from "./model-facts.js";
import { clearAppCaches, registerServiceWorker } from "./offline.js";
import { DrawingPad } from "./pad.js";
import { Recognition } from "./recognition.js";
import { SiteFiles } from "./site.js";
import { StartupWatch } from "./startup-watch.js";
import { ResultView } from "./view.js";

const START_TIMEOUT_MS = 180_000; // a start-up that has shown no failure but hangs

const screen = new LoadingScreen(document, () => clearAppCaches().then(() => location.reload()));
const watch = new StartupWatch((message) => screen.fail(message), START_TIMEOUT_MS);
watch.start(); // before the first download, so that every failure is seen
screen.followProgress();
const site = new SiteFiles();

/** The drawing, result panel, recognition and controls, built with site.json's settings. */
const workspace = site.siteJson.then(({ page }) => {
  const pad = new DrawingPad(document.getElementById("pad"), page.brushFraction);
  const recognition = new Recognition(pad, new ResultView(document), page.maxUploadBytes);
  return { recognition, controls: new Controls(document, pad, recognition) };
});

/** The parsed site.json (model path, size and sha256; runtime versions; page settings). */
export const siteInfo = () => site.siteJson;

/** The model file's bytes (fetched from page start, in parallel with the runtime). */
export const modelBytes = () => site.modelBytes;

/**
 * Mark a loading step as the current one.
 * @param {"runtime"|"packages"|"model"} step
 */
export const setStep = (step) => screen.setStep(step);

/**
 * Start-up failed: show the banner with this message instead of the progress.
 * @param {string} message
 */
export function fail(message) {
  watch.stop();
  screen.fail(message);
}

/**
 * main.py hands over its recognition functions; the page becomes ready.
 * @param {(canvas: HTMLCanvasElement) => object} recognizeCanvas
 * @param {(bytes: Uint8Array) => object} recognizeImage
 */
export async function connect(recognizeCanvas, recognizeImage) {
  const { recognition, controls } = await workspace;
  if (!screen.loading) return; // start-up has already failed
  watch.stop();
  screen.finish();
  controls.enableUpload();
  recognition.start({ canvas: recognizeCanvas, image: recognizeImage });
  showModelFacts(document.getElementById("model-facts"), (await site.siteJson).model);
  registerServiceWorker();
}
