// The original network beside the page's own: a switch that, when first turned on, fetches
// the original network's file (site.json "seed"; never a start-up download), has the Python
// worker check it against its sha256 and load it, and from then on shows its answer for each
// drawing. That answer is the original network's plain softmax on the upright image: it knows
// the ten digits only (nothing is "not a digit" to it) and was never calibrated.
//
// Testing hooks on #original: data-state="off|loading|empty|result|error", data-version (the
// drawing version shown), data-digit, and data-load-ms (switch to loaded, milliseconds).

import { errorText } from "./error-text.js";

const percent = (p) => `${Math.round(p * 100)} %`;

export class OriginalNetwork {
  /**
   * @param {Document} doc the page.
   * @param {{path: string, bytes: number, sha256: string}|null} entry site.json "seed"; null
   *   hides the switch (a build without the original network).
   * @param {(text: string) => void} announce tells screen readers how loading went (the
   *   answers themselves change with every stroke, and are not announced).
   */
  constructor(doc, entry, announce) {
    this.box = doc.getElementById("original");
    this.switch = doc.getElementById("original-switch");
    this.answer = doc.getElementById("original-answer");
    this.note = doc.getElementById("original-note");
    this.entry = entry;
    this.announce = announce;
    this.python = null;
    this.loading = null; // the load in progress or done: a promise of success
    this.loaded = false;
    this.image = null; // the latest result's 28x28 image (null: none)
    this.version = 0;
    this.asked = 0; // an answer is shown only if no later one was asked for
    this.box.hidden = entry === null;
    if (entry) {
      doc.getElementById("original-size").textContent = `${(entry.bytes / 1e6).toFixed(1)} MB`;
    }
    this.switch.addEventListener("click", () => this.#turn(!this.on));
    this.box.dataset.state = "off";
  }

  /** @param {import("./python.js").PythonWorker} python the worker (load_seed, recognize_with_seed). */
  start(python) {
    this.python = python;
    this.switch.disabled = false;
  }

  get on() {
    return this.switch.getAttribute("aria-checked") === "true";
  }

  /**
   * A new result (a recognition follower, see recognition.js): read by the original network
   * too while the switch is on.
   * @param {object|null} result the recognition's result (its ``image``), null for none.
   * @param {number} version the drawing version it belongs to.
   */
  async update(result, version) {
    this.image = result ? result.image : null;
    this.version = version;
    if (this.on && this.loaded) await this.#read(); // never waits for a download
  }

  async #turn(on) {
    this.switch.setAttribute("aria-checked", String(on));
    this.note.hidden = !on;
    this.asked += 1; // an answer on its way is out of date
    if (!on) {
      this.answer.textContent = "";
      this.box.dataset.state = "off";
      return;
    }
    this.loading ??= this.#load();
    if ((await this.loading) && this.on) await this.#read();
  }

  /** Fetch and load the original network; resolves to whether it worked (else it says why
   * and turns the switch off, so that the next turn tries again). */
  async #load() {
    const { path, sha256 } = this.entry;
    const started = performance.now();
    this.#say("loading", `Loading the original network (${(this.entry.bytes / 1e6).toFixed(1)} MB)…`);
    let answer;
    try {
      const response = await fetch(path);
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      answer = await this.python.loadSeed(new Uint8Array(await response.arrayBuffer()), sha256);
    } catch (error) {
      answer = { state: "error", message: `Could not download it (${errorText(error)}).` };
    }
    if (answer.state !== "ready") {
      this.loading = null;
      this.switch.setAttribute("aria-checked", "false");
      this.note.hidden = true;
      this.#say("error", `The original network could not be loaded: ${answer.message}`);
      this.announce(this.answer.textContent);
      return false;
    }
    this.loaded = true;
    this.box.dataset.loadMs = (performance.now() - started).toFixed(1);
    this.announce("The original network is loaded; its answer appears below the probability bars.");
    return true;
  }

  async #read() {
    const ticket = ++this.asked;
    const { image, version } = this;
    if (image === null) {
      this.#say("empty", "Original network: waiting for a digit.", version);
      return;
    }
    let reading;
    try {
      reading = await this.python.recognizeWithSeed(image);
    } catch (error) {
      reading = { state: "error", message: errorText(error) };
    }
    if (ticket !== this.asked) return; // switched off, or a newer drawing was asked for
    if (reading.state !== "result") {
      this.#say("error", `The original network failed: ${reading.message}`, version);
      return;
    }
    this.#say("result", `Original network: ${reading.digit} (${percent(reading.confidence)})`, version);
    this.box.dataset.digit = String(reading.digit);
  }

  #say(state, text, version = this.version) {
    this.answer.textContent = text;
    Object.assign(this.box.dataset, { state, version: String(version) });
    if (state !== "result") delete this.box.dataset.digit;
  }
}
