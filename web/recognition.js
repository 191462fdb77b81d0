// Recognition: runs the Python recognizers on the drawing as it changes (live while drawing,
// throttled) and on image files, and shows each result in the result view.

import { errorText } from "./error-text.js";

const THROTTLE_MS = 120; // live predictions while drawing: at most one per interval

/** Resolve after the browser has painted the current state. */
const nextPaint = () =>
  new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0)));

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
    this.recognizers = null; // set by start(): the Python functions
    this.timer = null;
    this.lastRun = -Infinity;
    this.pendingFinal = false;
  }

  /**
   * Begin recognising, with main.py's recognition functions.
   * @param {{canvas: (canvas: HTMLCanvasElement) => object, image: (bytes: Uint8Array) => object}}
   *   recognizers the drawing's and an image file's recogniser (results: see main.py).
   */
  start(recognizers) {
    this.recognizers = recognizers;
    this.schedule(true);
  }

  /**
   * Recognise the drawing soon: right away for a final state, else throttled while drawing.
   * @param {boolean} final the drawing is finished (pen up, clear, undo), not still growing.
   */
  schedule(final) {
    if (this.recognizers === null) return;
    this.pendingFinal ||= final;
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
    if (this.recognizers === null || !file) return;
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
    this.#cancelScheduled();
    view.busy("Reading the image…", pad.version);
    await nextPaint(); // Python holds the main thread: let the busy sign show first
    this.#display(() => this.recognizers.image(bytes), true, URL.createObjectURL(file));
  }

  #cancelScheduled() {
    clearTimeout(this.timer);
    this.timer = null;
    this.pendingFinal = false;
  }

  #recognizeDrawing() {
    const final = this.pendingFinal;
    this.#cancelScheduled();
    this.lastRun = performance.now();
    if (this.pad.isEmpty) {
      this.view.empty(this.pad.version);
      return;
    }
    this.pad.flush();
    this.#display(() => this.recognizers.canvas(this.pad.canvas), final);
  }

  /** Run a recognition and show its result; ``preview`` is the uploaded image's URL, if any. */
  #display(recognize, final, preview = null) {
    const { view } = this;
    const version = this.pad.version;
    const started = performance.now();
    let result;
    try {
      result = recognize();
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
}
