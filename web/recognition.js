// Recognition: runs the Python worker's recognizers on the drawing as it changes (live while
// drawing, throttled; read as a number of one or more digits) and on image files, and shows
// each result in the result view.
//
// Recognitions never queue up: at most one drawing is with the worker at a time, and when it
// answers, the newest drawing goes next (if it changed meanwhile). A result is shown only if
// no later recognition has been asked for since it was.
//
// Followers (the "look inside" panel, the original network's answer) get the digit whose
// details are shown (the only one, or the one chosen of a number) after the result view;
// their work with the worker is awaited before the next drawing goes, so it never queues up
// behind recognitions either.

import { errorText } from "./error-text.js";

const THROTTLE_MS = 120; // live predictions while drawing: at most one per interval

export class Recognition {
  /**
   * @param {import("./pad.js").DrawingPad} pad the drawing.
   * @param {import("./view.js").ResultView} view where results are shown.
   * @param {number} maxUploadBytes larger files are refused unread (site.json page.maxUploadBytes).
   */
  constructor(pad, view, maxUploadBytes) {
    pad.canvas.addEventListener("drawingchange", ({ detail }) => {
      this.schedule(detail !== "move");
    });
    this.pad = pad;
    this.view = view;
    this.maxUploadBytes = maxUploadBytes;
    this.python = null; // set by start(): the PythonWorker
    this.timer = null;
    this.lastRun = -Infinity;
    this.pendingFinal = false;
    this.drawingInFlight = false; // a drawing is with the worker
    this.changedInFlight = false; // and the drawing has changed since it was sent
    this.asked = 0; // recognitions asked for so far; a result is shown only if it is the last
    this.followers = [];
    view.onChoose = () => this.#tellFollowers(view.shownDigit, pad.version);
  }

  /**
   * Also hand each shown result to ``follower``, after the result view.
   * @param {(result: object|null, version: number) => Promise<void>} follower gets the
   *   single digit's result (see main.py; null when there is none: a blank pad, an error)
   *   and the drawing version it belongs to.
   */
  follow(follower) {
    this.followers.push(follower);
  }

  /**
   * Begin recognising.
   * @param {import("./python.js").PythonWorker} python the recognizers (results: see main.py).
   */
  start(python) {
    this.python = python;
    this.schedule(true);
  }

  /**
   * Recognise the drawing soon: right away for a final state, else throttled while drawing.
   * @param {boolean} final the drawing is finished (pen up, clear, undo), not still growing.
   */
  schedule(final) {
    if (this.python === null) return;
    this.pendingFinal ||= final;
    if (this.drawingInFlight) {
      this.changedInFlight = true; // the answer's arrival schedules the newest drawing
      return;
    }
    if (final) {
      clearTimeout(this.timer);
      this.timer = setTimeout(() => this.#recognizeDrawing(), 0);
    } else if (this.timer === null) {
      const wait = Math.max(0, this.lastRun + THROTTLE_MS - performance.now());
      this.timer = setTimeout(() => this.#recognizeDrawing(), wait);
    }
  }

  /**
   * Recognise an image file (uploaded, dropped or pasted); the drawing is cleared first.
   * @param {File|null|undefined} file
   */
  async recognizeFile(file) {
    const { pad, view } = this;
    if (this.python === null || !file) return;
    if (file.size > this.maxUploadBytes) {
      const megabytes = (bytes) => (bytes / 1024 / 1024).toFixed(1).replace(/\.0$/, "");
      view.error(
        `That file is too large (${megabytes(file.size)} MB). ` +
          `Please use an image under ${megabytes(this.maxUploadBytes)} MB.`,
        pad.version,
      );
      return;
    }
    let bytes;
    try {
      bytes = new Uint8Array(await file.arrayBuffer());
    } catch (error) {
      view.error(`The file could not be read (${errorText(error)}).`, pad.version);
      return;
    }
    pad.clear(); // the result now describes the image; Undo brings the drawing back
    pad.flush(); // and the pad shows it cleared now, not at the next frame
    this.#cancelScheduled();
    view.busy("Reading the image…", pad.version);
    await this.#display(this.python.recognizeImage(bytes), true, URL.createObjectURL(file));
  }

  #cancelScheduled() {
    clearTimeout(this.timer);
    this.timer = null;
    this.pendingFinal = false;
    this.changedInFlight = false;
  }

  async #recognizeDrawing() {
    const final = this.pendingFinal;
    this.#cancelScheduled();
    this.lastRun = performance.now();
    const region = this.pad.inkRegion(); // the reader is handed the pixels with ink alone
    if (region === null) {
      this.asked += 1; // an answer still on its way is out of date
      this.view.empty(this.pad.version);
      this.#tellFollowers(null, this.pad.version);
      return;
    }
    this.pad.flush();
    const { canvas } = this.pad;
    const started = performance.now(); // the recognition's time counts from the canvas read
    const pixels = this.pad.ctx.getImageData(region.x, region.y, region.width, region.height);
    const answer = this.python.recognizeNumber(pixels, this.pad.strokePoints(region));
    this.drawingInFlight = true;
    await this.#display(answer.then((result) => onPad(result, region, canvas)), final, null, started);
    this.drawingInFlight = false;
    if (this.changedInFlight) this.schedule(this.pendingFinal);
  }

  /**
   * Show a recognition's result when it arrives, unless a later one was asked for.
   * @param {Promise<object>} answer the worker's result (see main.py).
   * @param {boolean} final announce it (pen up, clear, undo, an upload).
   * @param {string|null} preview the uploaded image's URL, if any.
   * @param {number} started when the recognition began (performance.now()).
   */
  async #display(answer, final, preview = null, started = performance.now()) {
    const { view } = this;
    const version = this.pad.version;
    const ticket = ++this.asked;
    let result;
    try {
      result = await answer;
    } catch (error) {
      console.warn("recognition failed:", errorText(error));
      result = { state: "error", message: "Something went wrong while recognising. Please try again." };
    }
    if (ticket !== this.asked) return; // a later recognition has been asked for
    if (result.state === "empty") view.empty(version);
    else if (result.state === "error") view.error(result.message, version);
    else view.show(result, version, final, performance.now() - started);
    view.preview(preview, result.region ?? null);
    await this.#tellFollowers(view.shownDigit, version);
  }

  /** Hand a result to every follower; a follower's failure is logged, never passed on. */
  async #tellFollowers(result, version) {
    await Promise.all(
      this.followers.map((follower) =>
        follower(result, version).catch((error) => console.warn("after recognition:", errorText(error))),
      ),
    );
  }
}

/**
 * A drawing's result with each digit's box as fractions of the whole pad: the worker gives
 * them as fractions of the region of the pad it was handed.
 * @param {object} result the worker's result (see main.py).
 * @param {{x: number, y: number, width: number, height: number}} region canvas pixels.
 * @param {HTMLCanvasElement} canvas the pad.
 */
function onPad(result, region, canvas) {
  if (!result.digits) return result;
  const toPad = ([left, top, right, bottom]) => [
    (region.x + left * region.width) / canvas.width,
    (region.y + top * region.height) / canvas.height,
    (region.x + right * region.width) / canvas.width,
    (region.y + bottom * region.height) / canvas.height,
  ];
  return { ...result, digits: result.digits.map((digit) => ({ ...digit, box: toPad(digit.box) })) };
}
