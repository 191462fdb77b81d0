// Watches the start-up for failures that nothing else reports, so that it never ends in an
// endless spinner: an uncaught error or rejected promise on the page, something the page's
// Content Security Policy blocked (a worker, a script: the browser only logs that), and, as
// a last resort,
// a Python worker that has not become ready long after all its files arrived (the downloads
// themselves are watched for silence, not for time: downloads.js).

import { errorText } from "./error-text.js";

export class StartupWatch {
  /** @param {(message: string) => void} onFailure called with the first failure's cause. */
  constructor(onFailure) {
    this.onFailure = onFailure;
    this.watching = false;
    this.restorers = []; // undo what start() and afterDownloads() added
  }

  /** Start watching for uncaught errors and blocked content. */
  start() {
    this.watching = true;
    const failed = (cause) => this.#fail(`The recognizer failed to start: ${errorText(cause)}`);
    this.#listen("error", (event) => {
      // The Python worker's own errors arrive here too (from its blob: script); python.js
      // reports its failure with the Python error that caused it.
      if (!event.filename?.startsWith("blob:")) failed(event.error ?? event.message);
    });
    this.#listen("unhandledrejection", (event) => failed(event.reason));
    this.#listen("securitypolicyviolation", ({ effectiveDirective, blockedURI }) => {
      const what = blockedURI.startsWith("blob")
        ? "the Python worker"
        : URL.parse(blockedURI)?.pathname ?? blockedURI; // "eval", "inline": not URLs
      this.#fail(`The page's security policy (${effectiveDirective}) blocked ${what}.`);
    });
  }

  /**
   * Every file has arrived: Python must now start within ``limitMs``.
   * @param {number} limitMs
   */
  afterDownloads(limitMs) {
    const message =
      `Python did not start within ${Math.round(limitMs / 1000)} s of its files arriving. ` +
      "Reload the page; if it happens again, this browser may lack memory for it.";
    const timer = setTimeout(() => this.#fail(message), limitMs);
    this.restorers.push(() => clearTimeout(timer));
  }

  /** Stop watching (start-up is over). */
  stop() {
    this.watching = false;
    for (const restore of this.restorers.splice(0).reverse()) restore();
  }

  #fail(message) {
    if (!this.watching) return;
    this.stop();
    this.onFailure(message);
  }

  #listen(type, handler) {
    addEventListener(type, handler);
    this.restorers.push(() => removeEventListener(type, handler));
  }
}
