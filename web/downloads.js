// The start-up downloads: every file the Python worker needs (site.json "downloads": the
// runtime, the NumPy and Pillow wheels, the network weights), fetched by the page so that it
// can count bytes as they arrive, notice a download that has stopped, and check each file
// against the sha256 the site build recorded. They run in a worker of their own
// (download-worker.js, started by downloadInWorker): hashing 18 MB would hold the main thread
// for a few hundred milliseconds on a phone.
//
// The downloads go through the service worker (app.js starts them once it controls the page):
// it answers from its saved copy, or, on a first visit, hands the bytes arriving from the
// network both to this download and to the Python worker's request for the same file
// (sw.js), so that the bytes cross the network once.
//
// There is no time limit on the whole download, only on silence: the start-up fails when a
// file is still unfinished and no byte of any file has arrived for stallMs.

import { errorText } from "./error-text.js";

const REPORT_EVERY_MS = 250; // progress reports while bytes arrive
const CHECK_EVERY_MS = 1000; // how often silence is checked for
const NAMED_FILES = 3; // a stall message names at most this many unfinished files
const COUNTED = "X-Counted-Download"; // sw.js's name for these requests
const SITE_ROOT = new URL("./", import.meta.url); // the folder of the site's files

/** Megabytes, one decimal: "4.2". */
export const megabytes = (bytes) => (bytes / 1e6).toFixed(1);

/** Hex sha256 of some bytes. */
async function sha256(bytes) {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return Array.from(digest, (byte) => byte.toString(16).padStart(2, "0")).join("");
}

/** The last part of a path, for messages. */
const nameOf = (path) => path.split("/").at(-1);

export class Downloads {
  /**
   * @param {Object<string, Object<string, {bytes: number, sha256: string}>>} groups site.json
   *   "downloads": {step: {path: {bytes, sha256}}}, paths relative to the site root.
   * @param {number} stallMs silence, in milliseconds, after which the downloads have failed.
   * @param {{onProgress: (progress: Object<string, {received: number, total: number}>) =>
   *   void, onFailure: (message: string) => void}} handlers bytes received so far and in
   *   all, per step; a download failed, stalled or brought the wrong bytes (the message
   *   says which file and why; only the first failure is reported).
   */
  constructor(groups, stallMs, handlers) {
    this.stallMs = stallMs;
    this.handlers = handlers;
    this.files = Object.entries(groups).flatMap(([group, entries]) =>
      Object.entries(entries).map(([path, { bytes, sha256: digest }]) => ({
        path,
        group,
        total: bytes,
        sha256: digest,
        received: 0,
        done: false,
      })),
    );
    this.failed = false;
    this.lastByteAt = 0;
    this.lastReportAt = 0;
    this.contents = new Map(); // path -> bytes, for the files kept (see keep)
    this.abort = new AbortController(); // a failure abandons the other downloads
  }

  /** Bytes received so far and in all, per step. */
  get progress() {
    const progress = {};
    for (const { group, received, total } of this.files) {
      progress[group] ??= { received: 0, total: 0 };
      progress[group].received += received;
      progress[group].total += total;
    }
    return progress;
  }

  /**
   * Download every file; resolves when all have arrived and matched their sha256 (or when
   * one has failed, which onFailure reports). Never rejects.
   * @param {string[]} keep paths whose bytes the caller wants (see bytesOf).
   */
  async run(keep = []) {
    this.lastByteAt = performance.now();
    this.handlers.onProgress(this.progress); // the totals, at once
    const watch = setInterval(() => this.#checkSilence(), CHECK_EVERY_MS);
    try {
      await Promise.all(this.files.map((file) => this.#download(file, keep.includes(file.path))));
    } finally {
      clearInterval(watch);
    }
    if (!this.failed) this.handlers.onProgress(this.progress);
    return !this.failed;
  }

  /** The bytes of a file named in run(keep). */
  bytesOf(path) {
    return this.contents.get(path);
  }

  async #download(file, keep) {
    const chunks = [];
    try {
      // The header asks the service worker for the bytes as they arrive (sw.js).
      const headers = { [COUNTED]: "1" };
      const response = await fetch(new URL(file.path, SITE_ROOT), { headers, signal: this.abort.signal });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const reader = response.body.getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done || this.failed) break;
        chunks.push(value);
        file.received += value.byteLength;
        this.#arrived();
      }
    } catch (error) {
      this.#fail(`Could not download ${nameOf(file.path)}: ${errorText(error)}. Check the connection and reload.`);
      return;
    }
    if (this.failed) return;
    const bytes = new Uint8Array(await new Blob(chunks).arrayBuffer());
    if ((await sha256(bytes)) !== file.sha256) {
      this.#fail(
        `${nameOf(file.path)} arrived damaged (checksum mismatch: these are not the bytes of ` +
          "this version of the site). Clear the saved copy and reload.",
      );
      return;
    }
    file.done = true;
    if (keep) this.contents.set(file.path, bytes);
  }

  #arrived() {
    const now = performance.now();
    this.lastByteAt = now;
    if (now - this.lastReportAt >= REPORT_EVERY_MS) {
      this.lastReportAt = now;
      this.handlers.onProgress(this.progress);
    }
  }

  #checkSilence() {
    const silent = performance.now() - this.lastByteAt;
    if (silent < this.stallMs) return;
    const waiting = this.files.filter((file) => !file.done);
    if (waiting.length === 0) return;
    const named = waiting
      .slice(0, NAMED_FILES)
      .map(({ path, received, total }) => `${nameOf(path)}: ${megabytes(received)} of ${megabytes(total)} MB`);
    if (waiting.length > NAMED_FILES) named.push(`${waiting.length - NAMED_FILES} more`);
    this.#fail(
      `The download stopped: nothing has arrived for ${Math.floor(silent / 1000)} s ` +
        `(${named.join("; ")}). Check the connection and reload.`,
    );
  }

  #fail(message) {
    if (this.failed) return;
    this.failed = true;
    this.abort.abort();
    this.handlers.onFailure(message);
  }
}

/**
 * Run the downloads in their worker; the handlers are called on this thread.
 * @param {object} groups site.json "downloads" (see Downloads).
 * @param {number} stallMs silence, in milliseconds, after which the downloads have failed.
 * @param {string[]} keep paths whose bytes are wanted here.
 * @param {{onProgress: function, onFailure: function}} handlers (see Downloads).
 * @returns {Promise<Map<string, Uint8Array>|null>} the kept files' bytes once every file has
 *   arrived and matched its sha256; null after a failure (reported by onFailure).
 */
export function downloadInWorker(groups, stallMs, keep, handlers) {
  const url = new URL("./download-worker.js", import.meta.url);
  const worker = new Worker(url, { type: "module" });
  return new Promise((resolve) => {
    const failed = (message) => {
      worker.terminate();
      handlers.onFailure(message);
      resolve(null);
    };
    const silence = setTimeout(() => {
      failed(`The downloads could not start: ${nameOf(url.pathname)} did not load within ${Math.round(stallMs / 1000)} s. Check the connection and reload.`);
    }, stallMs);
    worker.addEventListener("message", ({ data }) => {
      clearTimeout(silence); // the worker runs: it watches the downloads from now on
      if (data.type === "progress") handlers.onProgress(data.progress);
      else if (data.type === "failed") failed(data.message);
      else {
        worker.terminate();
        resolve(data.files);
      }
    });
    worker.addEventListener("error", () => {
      clearTimeout(silence);
      failed(`The downloads could not start (${nameOf(url.pathname)} could not be loaded).`);
    });
    worker.postMessage({ groups, stallMs, keep });
  });
}
