// The answer (the top digit, its confidence) and its details (ten probability bars, the
// 28x28 input and an uploaded image).
//
// Testing hooks on #result: data-state="empty|result|error", data-verdict="digit|unsure|
// not_digit", data-digit and data-confidence (absent for not_digit),
// data-seq (incremented on every shown prediction), data-version (the drawing version
// the shown state belongs to) and data-ms (time the recognition took, milliseconds).

const IMAGE_SIDE = 28;

const percent = (p) => `${Math.round(p * 100)} %`;
const article = (digit) => (digit === 8 ? "an" : "a"); // "an 8", "a 7"

/** The sentence for a verdict of recognizer.decision (Python decides; the view only words it). */
function sentence({ verdict, digit, runnerUp }) {
  if (verdict === "not_digit") return "That doesn't look like one digit. Try drawing a single digit.";
  if (verdict === "unsure") return `Not sure — maybe ${digit} or ${runnerUp}.`;
  return `That looks like ${article(digit)} ${digit}.`;
}

export class ResultView {
  constructor(doc) {
    this.panel = doc.getElementById("result");
    this.digit = doc.getElementById("digit");
    this.message = doc.getElementById("message");
    this.confidence = doc.getElementById("confidence");
    this.announcer = doc.getElementById("announce");
    this.seen = doc.getElementById("seen").getContext("2d");
    this.previewFigure = doc.getElementById("upload-preview");
    this.previewImage = doc.getElementById("preview-image");
    this.previewRegion = doc.getElementById("preview-region");
    this.previewUrl = null;
    this.seq = 0;
    // The ten rows are in the page from the start, so that nothing moves when they fill.
    this.bars = [...doc.querySelectorAll("#bars li")].map((row) => ({
      row,
      fill: row.querySelector(".bar-fill"),
      value: row.querySelector(".bar-value"),
    }));
    this.empty(0);
  }

  /** The canvas is blank: show the prompt, no guess. */
  empty(version, prompt = "Draw a digit in the box.") {
    this.#showText("empty", version, prompt);
  }

  /**
   * Show a prediction.
   * @param {{verdict: "digit"|"unsure"|"not_digit", digit: number, runnerUp: number,
   *   confidence: number, probs: ArrayLike<number>, image: Uint8Array}} result the verdict,
   *   the two best digits, the calibrated confidence, ten calibrated probabilities and the
   *   28*28 uint8 network input (white ink on black).
   * @param {number} version drawing version the prediction was computed from.
   * @param {boolean} announce also announce it to screen readers (final predictions).
   * @param {number} ms time the recognition took (preprocessing and network).
   */
  show(result, version, announce, ms) {
    const probs = Array.from(result.probs);
    const { verdict, digit, confidence } = result;
    const isDigit = verdict !== "not_digit";
    this.#set("result", version);
    this.panel.dataset.verdict = verdict;
    if (isDigit) {
      this.panel.dataset.digit = String(digit);
      this.panel.dataset.confidence = confidence.toFixed(4);
    } else {
      delete this.panel.dataset.digit;
      delete this.panel.dataset.confidence;
    }
    this.panel.classList.toggle("unsure", verdict !== "digit");
    this.digit.textContent = isDigit ? String(digit) : "?";
    this.message.textContent = sentence(result);
    this.panel.dataset.ms = ms.toFixed(1);
    const shown = isDigit ? `Confidence ${percent(confidence)} · ` : "";
    this.confidence.textContent = `${shown}${Math.round(ms)} ms`;
    this.#drawBars(probs, isDigit ? digit : -1);
    this.#drawImage(result.image);
    if (announce) {
      const said = isDigit ? ` Confidence ${percent(confidence)}.` : "";
      this.announcer.textContent = `${this.message.textContent}${said}`;
    }
  }

  /** Work is under way (an upload being read): a busy sign and a message, no result. */
  busy(text, version) {
    this.#showText("empty", version, text);
    this.panel.setAttribute("aria-busy", "true");
  }

  /**
   * Show the uploaded image beside the result, with the region the digit was read from,
   * or hide it (url null: the result is the drawing's).
   * @param {string|null} url object URL of the uploaded file (revoked when replaced).
   * @param {ArrayLike<number>|null} region [left, top, right, bottom] as fractions of the image.
   */
  preview(url, region) {
    if (this.previewUrl) URL.revokeObjectURL(this.previewUrl);
    this.previewUrl = url;
    this.previewFigure.hidden = url === null;
    if (url === null) {
      this.previewImage.removeAttribute("src");
      return;
    }
    this.previewImage.src = url;
    this.previewRegion.hidden = !region;
    if (region) {
      const [left, top, right, bottom] = Array.from(region, (f) => `${(f * 100).toFixed(2)}%`);
      Object.assign(this.previewRegion.style, {
        left,
        top,
        width: `calc(${right} - ${left})`,
        height: `calc(${bottom} - ${top})`,
      });
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
    this.panel.removeAttribute("aria-busy");
    const { dataset } = this.panel;
    dataset.state = state;
    dataset.version = String(version);
    dataset.seq = String(this.seq);
    if (state !== "result") {
      delete dataset.verdict;
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
