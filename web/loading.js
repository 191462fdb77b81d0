// The start-up screen: the loading steps, then either the app or the error banner.
//
// Readiness hook for tests and tools: <html data-app-state="loading|ready|error">.

const STEPS = {
  runtime: "Downloading the Python runtime…",
  packages: "Loading NumPy and Pillow…",
  model: "Loading the network…",
};

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
    this.steps = [...doc.querySelectorAll(".steps li")];
    this.banner = doc.getElementById("banner");
    this.bannerText = doc.getElementById("banner-text");
    doc.getElementById("retry").addEventListener("click", onRetry);
    this.setStep("runtime");
  }

  /** True until start-up has ended, either way. */
  get loading() {
    return this.root.dataset.appState === "loading";
  }

  /**
   * Mark a loading step as the current one (ignored once start-up has ended).
   * @param {"runtime"|"packages"|"model"} step
   */
  setStep(step) {
    if (!this.loading) return;
    const names = Object.keys(STEPS);
    const index = names.indexOf(step);
    this.text.textContent = STEPS[step];
    this.progress.value = index;
    for (const item of this.steps) {
      const at = names.indexOf(item.dataset.step);
      item.classList.toggle("done", at < index);
      item.classList.toggle("active", at === index);
    }
  }

  /** Move the steps along as the runtime's files arrive (PyScript's and the browser's events). */
  followProgress() {
    new PerformanceObserver((list) => {
      if (list.getEntries().some((entry) => entry.name.endsWith("/pyodide.asm.wasm"))) {
        this.setStep("packages");
      }
    }).observe({ type: "resource", buffered: true });
    addEventListener("py:progress", ({ detail }) => {
      if (detail === "Loading files") this.setStep("model");
    });
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
