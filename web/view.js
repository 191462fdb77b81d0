// Result panel: the top digit, its confidence, ten probability bars and the 28x28 input.
//
// Testing hooks on #result: data-state="empty|result|error", data-digit, data-confidence,
// data-seq (incremented on every shown prediction), data-version (the drawing version
// the shown state belongs to) and data-ms (time the recognition took, milliseconds).

export const SURE_THRESHOLD = 0.6; // below this top probability the page says it is unsure
const IMAGE_SIDE = 28;

const percent = (p) => `${Math.round(p * 100)} %`;

export class ResultView {
  constructor(doc) {
    this.panel = doc.getElementById("result");
    this.digit = doc.getElementById("digit");
    this.message = doc.getElementById("message");
    this.confidence = doc.getElementById("confidence");
    this.announcer = doc.getElementById("announce");
    this.seen = doc.getElementById("seen").getContext("2d");
    this.seq = 0;
    this.bars = [];
    const list = doc.getElementById("bars");
    for (let d = 0; d <= 9; d++) {
      const row = doc.createElement("li");
      row.innerHTML = `<span class="bar-label">${d}</span><span class="bar"><span class="bar-fill"></span></span><span class="bar-value"></span>`;
      list.append(row);
      this.bars.push({ row, fill: row.querySelector(".bar-fill"), value: row.querySelector(".bar-value") });
    }
    this.empty(0);
  }

  /** The canvas is blank: show the prompt, no guess. */
  empty(version, prompt = "Draw a digit in the box.") {
    this.#showText("empty", version, prompt);
  }

  /**
   * Show a prediction.
   * @param {{probs: ArrayLike<number>, image: Uint8Array}} result ten probabilities and
   *   the 28*28 uint8 network input (white ink on black).
   * @param {number} version drawing version the prediction was computed from.
   * @param {boolean} announce also announce it to screen readers (final predictions).
   * @param {number} ms time the recognition took (preprocessing and network).
   */
  show(result, version, announce, ms) {
    const probs = Array.from(result.probs);
    const order = probs.map((p, d) => d).sort((a, b) => probs[b] - probs[a]);
    const [best, second] = order;
    const sure = probs[best] >= SURE_THRESHOLD;
    this.#set("result", version);
    this.panel.dataset.digit = String(best);
    this.panel.dataset.confidence = probs[best].toFixed(4);
    this.panel.classList.toggle("unsure", !sure);
    this.digit.textContent = String(best);
    this.message.textContent = sure ? `That looks like a ${best}.` : `Not sure — maybe ${best} or ${second}.`;
    this.panel.dataset.ms = ms.toFixed(1);
    this.confidence.textContent = `Confidence ${percent(probs[best])} · ${Math.round(ms)} ms`;
    this.#drawBars(probs, best);
    this.#drawImage(result.image);
    if (announce) {
      this.announcer.textContent = `${this.message.textContent} Confidence ${percent(probs[best])}.`;
    }
  }

  /** Show a user-facing error message (e.g. an unreadable uploaded file). */
  error(message, version) {
    this.#showText("error", version, message);
    this.announcer.textContent = message;
  }

  /** A state with a message and no digit, bars or image. */
  #showText(state, version, text) {
    this.#set(state, version);
    this.digit.textContent = "";
    this.message.textContent = text;
    this.confidence.textContent = "";
    this.#drawBars(null);
    this.#drawImage(null);
  }

  #set(state, version) {
    this.seq += 1;
    const { dataset } = this.panel;
    dataset.state = state;
    dataset.version = String(version);
    dataset.seq = String(this.seq);
    if (state !== "result") {
      delete dataset.digit;
      delete dataset.confidence;
      delete dataset.ms;
      this.panel.classList.remove("unsure");
    }
  }

  #drawBars(probs, best = -1) {
    this.bars.forEach(({ row, fill, value }, d) => {
      const p = probs ? probs[d] : 0;
      fill.style.width = `${(p * 100).toFixed(1)}%`;
      value.textContent = probs ? percent(p) : "";
      row.classList.toggle("best", d === best);
    });
  }

  #drawImage(image) {
    const pixels = new ImageData(IMAGE_SIDE, IMAGE_SIDE);
    if (image) {
      for (let i = 0; i < IMAGE_SIDE * IMAGE_SIDE; i++) {
        pixels.data.fill(image[i], 4 * i, 4 * i + 3); // grey: R = G = B
      }
    }
    for (let i = 3; i < pixels.data.length; i += 4) pixels.data[i] = 255;
    this.seen.putImageData(pixels, 0, 0);
  }
}
