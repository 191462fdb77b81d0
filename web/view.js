// The answer (the digit or number, its confidence) and its details (ten probability bars,
// the 28x28 input and an uploaded image). A number of several digits also gets a "Copy"
// button, a box around each digit on the pad, and one button per digit in the details,
// which shows that digit's bars and input.
//
// Testing hooks on #result: data-state="empty|result|number|error", data-verdict="digit|
// unsure|not_digit", data-number (the digits read, "?" for one that is not a digit),
// data-digit and data-confidence (absent for not_digit), data-seq (incremented on every
// shown prediction), data-version (the drawing version the shown state belongs to) and
// data-ms (time the recognition took, milliseconds).

const IMAGE_SIDE = 28;

const percent = (p) => `${Math.round(p * 100)} %`;
const article = (digit) => (digit === 8 ? "an" : "a"); // "an 8", "a 7"

/** 1 -> "1st", 2 -> "2nd", 11 -> "11th", 23 -> "23rd". */
function ordinal(n) {
  const teen = n % 100 >= 11 && n % 100 <= 13;
  return `${n}${teen ? "th" : (["th", "st", "nd", "rd"][n % 10] ?? "th")}`;
}

/**
 * Place an absolutely positioned element over part of its container.
 * @param {HTMLElement} element
 * @param {ArrayLike<number>} box [left, top, right, bottom] as fractions of the container.
 */
function placeOver(element, box) {
  const [left, top, right, bottom] = Array.from(box, (f) => f * 100);
  const css = (value) => `${value.toFixed(2)}%`;
  Object.assign(element.style, {
    left: css(left),
    top: css(top),
    width: css(right - left),
    height: css(bottom - top),
  });
}

/** A <span> of ``className`` holding ``text``. */
function span(doc, className, text) {
  const element = doc.createElement("span");
  element.className = className;
  element.textContent = text;
  return element;
}

/** The sentence for a verdict of recognizer.decision (Python decides; the view only words it). */
function sentence({ verdict, digit, runnerUp }) {
  if (verdict === "not_digit") return "That doesn't look like one digit. Try drawing a single digit.";
  if (verdict === "unsure") return `Not sure — maybe ${digit} or ${runnerUp}.`;
  return `That looks like ${article(digit)} ${digit}.`;
}

/** The sentence for a number (shown beside it): its weakest digits are named. */
function numberSentence({ number, verdict, digits }) {
  if (verdict === "digit") return `That looks like ${number}.`;
  const weak = digits.filter((digit) => digit.verdict === verdict);
  const places = digits.flatMap((digit, i) => (digit.verdict === verdict ? [ordinal(i + 1)] : []));
  const named = places.join(" and ");
  if (verdict === "not_digit") {
    return weak.length === 1 ? `The ${named} doesn't look like a digit.` : `The ${named} don't look like digits.`;
  }
  if (weak.length > 1) return `Not sure of the ${named} digits.`;
  return `Not sure of the ${named} digit: ${weak[0].digit} or ${weak[0].runnerUp}.`;
}

export class ResultView {
  constructor(doc) {
    this.panel = doc.getElementById("result");
    this.digit = doc.getElementById("digit");
    this.message = doc.getElementById("message");
    this.confidence = doc.getElementById("confidence");
    this.copyButton = doc.getElementById("copy");
    this.announcer = doc.getElementById("announce");
    this.seen = doc.getElementById("seen").getContext("2d");
    this.digitList = doc.getElementById("number-digits");
    this.padBoxes = doc.getElementById("pad-boxes");
    this.previewBoxes = doc.getElementById("preview-boxes");
    this.boxes = this.padBoxes; // where the shown number's boxes are: the pad or the upload
    this.previewFigure = doc.getElementById("upload-preview");
    this.previewImage = doc.getElementById("preview-image");
    this.previewRegion = doc.getElementById("preview-region");
    this.previewUrl = null;
    this.seq = 0;
    this.number = null; // the number shown ({number, digits, ...}), if several digits
    this.chosen = 0; // which of its digits the details show
    this.shown = null; // the single-digit result the details show, if any
    this.onChoose = () => {}; // called when another digit of a number is chosen
    // The ten rows are in the page from the start, so that nothing moves when they fill.
    this.bars = [...doc.querySelectorAll("#bars li")].map((row) => ({
      row,
      fill: row.querySelector(".bar-fill"),
      value: row.querySelector(".bar-value"),
    }));
    this.copyButton.addEventListener("click", () => this.#copy());
    this.empty(0);
  }

  /** The single digit whose details are shown: a result (see main.py), or null. */
  get shownDigit() {
    return this.shown;
  }

  /** The canvas is blank: show the prompt, no guess. */
  empty(version, prompt = "Draw a digit, or a number, in the box.") {
    this.#showText("empty", version, prompt);
  }

  /**
   * Show a prediction: one digit, or a number of several.
   * @param {object} result a result of main.py: ``{state: "result", verdict, digit,
   *   runnerUp, confidence, probs, image}`` (the verdict, the two best digits, the calibrated
   *   confidence, ten calibrated probabilities and the 28*28 uint8 network input) or
   *   ``{state: "number", number, verdict, confidence, digits}`` (each digit as a result,
   *   with its ``box`` on the pad).
   * @param {number} version drawing version the prediction was computed from.
   * @param {boolean} announce also announce it to screen readers (final predictions).
   * @param {number} ms time the recognition took (preprocessing and network).
   */
  show(result, version, announce, ms) {
    const isNumber = result.state === "number";
    const { verdict, confidence } = result;
    const isDigit = verdict !== "not_digit";
    this.#set(isNumber ? "number" : "result", version);
    const { dataset } = this.panel;
    dataset.verdict = verdict;
    dataset.number = isNumber ? result.number : isDigit ? String(result.digit) : "?";
    if (!isNumber && isDigit) {
      dataset.digit = String(result.digit);
      dataset.confidence = confidence.toFixed(4);
    }
    dataset.ms = ms.toFixed(1);
    this.panel.classList.toggle("unsure", verdict !== "digit");
    this.panel.classList.toggle("number", isNumber);
    this.digit.textContent = dataset.number;
    this.digit.style.setProperty("--length", String(dataset.number.length));
    this.message.textContent = isNumber ? numberSentence(result) : sentence(result);
    const shown = isDigit ? `Confidence ${percent(confidence)} · ` : "";
    this.confidence.textContent = `${shown}${Math.round(ms)} ms`;
    this.copyButton.hidden = !isNumber || !isDigit;
    if (isNumber) {
      if (this.number === null || this.chosen >= result.digits.length) this.chosen = 0;
      this.number = result;
      this.boxes = result.region ? this.previewBoxes : this.padBoxes; // an upload's, or the pad's
      this.#listDigits(result.digits);
      this.#choose(this.chosen);
    } else {
      this.#forgetNumber();
      this.shown = result;
      this.#drawDetails(result);
    }
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
      placeOver(this.previewRegion, region);
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
    this.copyButton.hidden = true;
    this.#forgetNumber();
    this.shown = null;
    this.#drawDetails(null);
  }

  /** Drop a number's digit list and boxes. */
  #forgetNumber() {
    this.number = null;
    this.digitList.hidden = true;
    this.digitList.replaceChildren();
    this.padBoxes.replaceChildren();
    this.previewBoxes.replaceChildren();
  }

  /** One button per digit in the details, and one box per digit on the pad (or on the
   * uploaded image). */
  #listDigits(digits) {
    const doc = this.panel.ownerDocument;
    this.digitList.replaceChildren(
      ...digits.map((digit, index) => {
        const item = doc.createElement("li");
        const button = doc.createElement("button");
        button.type = "button";
        const read = digit.verdict === "not_digit" ? "?" : String(digit.digit);
        const sure = digit.verdict === "not_digit" ? "not a digit" : percent(digit.confidence);
        button.append(span(doc, "chip-digit", read), span(doc, "chip-confidence", sure));
        button.setAttribute("aria-label", `${ordinal(index + 1)} digit: ${read}, ${sure}`);
        button.classList.toggle("unsure", digit.verdict !== "digit");
        button.addEventListener("click", () => {
          this.#choose(index);
          this.onChoose();
        });
        item.append(button);
        return item;
      }),
    );
    this.digitList.hidden = false;
    this.boxes.replaceChildren(
      ...digits.map((digit) => {
        const box = doc.createElement("span");
        box.className = "pad-box";
        box.classList.toggle("unsure", digit.verdict !== "digit");
        placeOver(box, digit.box);
        box.dataset.digit = digit.verdict === "not_digit" ? "?" : String(digit.digit);
        return box;
      }),
    );
  }

  /** Show the details (bars, input) of the number's digit ``index``. */
  #choose(index) {
    this.chosen = index;
    const digits = this.number.digits;
    this.shown = { state: "result", ...digits[index] };
    [...this.digitList.querySelectorAll("button")].forEach((button, i) => {
      button.setAttribute("aria-pressed", String(i === index));
    });
    [...this.boxes.children].forEach((box, i) => box.classList.toggle("chosen", i === index));
    this.#drawDetails(this.shown);
  }

  /** The bars and the 28x28 input of a single-digit result, or blank ones (null). */
  #drawDetails(result) {
    if (result === null) {
      this.#drawBars(null);
      this.#drawImage(null);
      return;
    }
    this.#drawBars(Array.from(result.probs), result.verdict === "not_digit" ? -1 : result.digit);
    this.#drawImage(result.image);
  }

  /** Put the number on the clipboard, and say so. */
  async #copy() {
    const text = this.panel.dataset.number;
    try {
      await navigator.clipboard.writeText(text);
      this.announcer.textContent = `Copied ${text}.`;
    } catch {
      this.announcer.textContent = "The browser did not allow copying.";
    }
  }

  #set(state, version) {
    this.seq += 1;
    this.panel.removeAttribute("aria-busy");
    const { dataset } = this.panel;
    dataset.state = state;
    dataset.version = String(version);
    dataset.seq = String(this.seq);
    for (const key of ["verdict", "number", "digit", "confidence", "ms"]) delete dataset[key];
    this.panel.classList.remove("unsure", "number");
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
