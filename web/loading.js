// The start-up screen: the loading steps, then either the app or the error banner.
//
// Readiness hook for tests and tools: <html data-app-state="loading|ready|error">, and while
// loading data-loading-step="runtime|packages|model|python" and, on #loading, data-received
// and data-total (bytes downloaded so far and in all).

import { megabytes } from "./downloads.js";

// The steps in order: three downloads (counted in bytes), then Python's start in its worker.
const DOWNLOADS = ["runtime", "packages", "model"];
const STARTING = "Starting Python…";

export class LoadingScreen {
  /**
   * @param {Document} doc the page.
   * @param {() => void} onRetry the error banner's button: start afresh.
   */
  constructor(doc, onRetry) {
    this.root = doc.documentElement;
    this.panel = doc.getElementById("loading");
    this.text = doc.getElementById("loading-text");
    this.progress = doc.getElementById("loading-progress");
    this.steps = Object.fromEntries(
      [...doc.querySelectorAll(".steps li")].map((item) => [item.dataset.step, item]),
    );
    this.banner = doc.getElementById("banner");
    this.bannerText = doc.getElementById("banner-text");
    doc.getElementById("retry").addEventListener("click", onRetry);
  }

  /** True until start-up has ended, either way. */
  get loading() {
    return this.root.dataset.appState === "loading";
  }

  /**
   * Show how far the downloads are: bytes in all and per step; the first unfinished step is
   * the current one.
   * @param {Object<string, {received: number, total: number}>} progress per download step.
   */
  showDownloads(progress) {
    if (!this.loading) return;
    let received = 0;
    let total = 0;
    const complete = []; // the steps download together: a later one may finish first
    for (const step of DOWNLOADS) {
      const { received: got, total: all } = progress[step] ?? { received: 0, total: 0 };
      received += got;
      total += all;
      this.steps[step].querySelector(".step-bytes").textContent =
        ` ${megabytes(got)} of ${megabytes(all)} MB`;
      if (got >= all) complete.push(step);
    }
    this.progress.max = total;
    this.progress.value = received;
    Object.assign(this.panel.dataset, { received, total });
    this.text.textContent = `Downloading… ${megabytes(received)} of ${megabytes(total)} MB`;
    this.#mark(DOWNLOADS.find((step) => !complete.includes(step)) ?? "python");
    for (const step of complete) this.steps[step].classList.add("done");
  }

  /** The downloads are in: Python is starting in its worker (no bytes to count). */
  showStarting() {
    if (!this.loading) return;
    this.text.textContent = STARTING;
    this.progress.removeAttribute("value"); // busy, for a moment of unknown length
    this.#mark("python");
  }

  #mark(current) {
    const order = [...DOWNLOADS, "python"];
    const index = order.indexOf(current);
    this.root.dataset.loadingStep = current;
    for (const [step, item] of Object.entries(this.steps)) {
      const at = order.indexOf(step);
      item.classList.toggle("done", at < index);
      item.classList.toggle("active", at === index);
    }
  }

  /**
   * Start-up failed: show the banner with the cause instead of the progress. Only the first
   * failure is shown; later ones are usually its consequences.
   * @param {string} message
   */
  fail(message) {
    if (!this.loading) return;
    this.root.dataset.appState = "error";
    this.panel.hidden = true;
    this.bannerText.textContent = message;
    this.banner.hidden = false;
  }

  /** Start-up succeeded: hide the progress; the app is ready. */
  finish() {
    if (!this.loading) return;
    this.panel.hidden = true;
    this.root.dataset.appState = "ready";
  }
}
