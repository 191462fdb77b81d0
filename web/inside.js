// The "look inside" panel: every layer of the page's network for the current drawing (the
// maps of each convolution and pooling stage, the final scores, the first layer's kernels)
// and why it chose: the sensitivity of its top class and of the runner-up to each pixel.
//
// Nothing is computed while the panel is closed: it only remembers the latest result's 28x28
// image, and asks the Python worker (look_inside) once it is opened and then for every new
// result while it stays open.
//
// Testing hooks on #inside: data-state="closed|empty|result|error", data-version (the
// drawing version shown), data-requests (look_inside calls made), data-updates (answers
// shown) and data-ms (the last call's time, milliseconds).

import { errorText } from "./error-text.js";
import { DIVERGING, SEQUENTIAL, paintOverInk } from "./heatmap.js";
import { Lens } from "./lens.js";
import { MapGrid } from "./map-grid.js";

const IMAGE_SIDE = 28;
const KINDS = { conv2d: "convolution", max_pool2d: "2 × 2 max pooling", dense: "dense" };
const VECTOR_COLUMNS = 32; // a hidden dense layer's values, one square each, per row

const percent = (p) => `${Math.round(p * 100)} %`;
const columnsFor = (width) => (width >= 8 ? 10 : 20); // maps per row: small maps, more
const asBytes = (values) => (values instanceof Uint8Array ? values : Uint8Array.from(values));

/** An element with a class and, optionally, text. */
function element(doc, tag, className, text = "") {
  const made = doc.createElement(tag);
  made.className = className;
  made.textContent = text;
  return made;
}

export class InsidePanel {
  /** @param {Document} doc the page. */
  constructor(doc) {
    this.doc = doc;
    this.toggle = doc.getElementById("inside-toggle");
    this.panel = doc.getElementById("inside");
    this.summary = doc.getElementById("inside-summary");
    this.content = doc.getElementById("inside-content");
    this.layers = doc.getElementById("inside-layers");
    this.why = ["top", "runnerUp"].map((key) => ({
      key,
      canvas: doc.getElementById(`why-${key}`),
      caption: doc.getElementById(`why-${key}-caption`),
    }));
    this.lens = new Lens(this.panel, doc.getElementById("inside-lens"), doc.getElementById("inside-live"));
    this.python = null;
    this.image = null; // the latest result's 28x28 image (null: none)
    this.version = 0;
    this.asked = 0; // a look_inside answer is shown only if no later one was asked for
    this.requests = 0;
    this.updates = 0;
    this.built = ""; // the layers the figures were built for
    this.grids = []; // every MapGrid
    this.parts = []; // per layer: draws its output
    this.kernelGrid = null;
    this.scoreList = null;
    this.scoreRows = [];
    this.toggle.addEventListener("click", () => this.#setOpen(!this.open));
    // A tap beside the maps puts away a map enlarged by a tap.
    doc.addEventListener("pointerdown", (event) => {
      if (!this.grids.some(({ canvas }) => canvas === event.target)) {
        for (const grid of this.grids) if (!grid.focused) grid.release();
      }
    });
  }

  /** @param {import("./python.js").PythonWorker} python the worker (look_inside). */
  start(python) {
    this.python = python;
  }

  get open() {
    return this.toggle.getAttribute("aria-expanded") === "true";
  }

  /**
   * A new result (a recognition follower, see recognition.js): shown at once if the panel is
   * open, remembered otherwise.
   * @param {object|null} result the recognition's result (its ``image``), null for none.
   * @param {number} version the drawing version it belongs to.
   */
  async update(result, version) {
    this.image = result ? result.image : null;
    this.version = version;
    if (this.open) await this.#refresh();
  }

  #setOpen(open) {
    this.toggle.setAttribute("aria-expanded", String(open));
    this.panel.hidden = !open;
    if (open) {
      this.#refresh();
    } else {
      this.asked += 1; // an answer on its way is not shown
      this.lens.hide();
      this.panel.dataset.state = "closed";
    }
  }

  async #refresh() {
    const ticket = ++this.asked;
    const { image, version, python } = this;
    if (image === null || python === null) {
      this.#showText("empty", version, "Draw a digit to see what each layer of the network makes of it.");
      return;
    }
    this.requests += 1;
    this.panel.dataset.requests = String(this.requests);
    const started = performance.now();
    let answer;
    try {
      answer = await python.lookInside(image);
    } catch (error) {
      answer = { state: "error", message: errorText(error) };
    }
    if (ticket !== this.asked) return; // closed, or a newer drawing was asked for
    if (answer.state !== "result") {
      this.#showText("error", version, `The look inside failed: ${answer.message}`);
      return;
    }
    this.#render(answer, image);
    this.updates += 1;
    Object.assign(this.panel.dataset, {
      state: "result",
      version: String(version),
      updates: String(this.updates),
      ms: (performance.now() - started).toFixed(1),
    });
  }

  #showText(state, version, text) {
    this.summary.textContent = text;
    this.content.hidden = true;
    this.lens.hide();
    Object.assign(this.panel.dataset, { state, version: String(version) });
  }

  /** Draw one look_inside answer (see recognizer/inside.py) for a 28x28 image. */
  #render({ layers, kernels, scores, classes, sensitivity }, image) {
    const shape = JSON.stringify([kernels?.shape, layers.map(({ name, shape }) => [name, shape])]);
    if (shape !== this.built) this.#build(layers, kernels, classes, shape);
    const [runnerUp, top] = [sensitivity.runnerUp.class, sensitivity.top.class];
    this.summary.textContent =
      `The network's own reading of the upright image: ${classes[top]} (${percent(scores[top])}), ` +
      `then ${classes[runnerUp]} (${percent(scores[runnerUp])}). Its ${layers.length} layers, in order, below.`;
    this.content.hidden = false;
    if (kernels) this.#showKernels(kernels);
    layers.forEach((layer, index) => this.parts[index](layer));
    this.#showScores(scores, classes, layers.at(-1).name);
    for (const { key, canvas, caption } of this.why) {
      const { class: label, values } = sensitivity[key];
      paintOverInk(canvas, asBytes(values), image, IMAGE_SIDE, DIVERGING);
      const role = key === "top" ? "the top class" : "the runner-up";
      caption.textContent = `${classes[label]}, ${role}`;
      canvas.setAttribute(
        "aria-label",
        `Why ${classes[label]}, ${role}: red ink raises its score, blue ink lowers it.`,
      );
    }
  }

  /** Make a figure for each layer (and the kernels), for a network not drawn before. */
  #build(layers, kernels, classes, shape) {
    const { doc } = this;
    this.built = shape;
    this.grids = [];
    this.lens.hide();
    const pickFor = (describe) => (grid, index) => this.lens.show(grid, index, index < 0 ? "" : describe(index));
    const figures = [];
    this.kernelGrid = null;
    if (kernels) {
      const [kh, kw, count] = kernels.shape;
      this.kernelGrid = new MapGrid(doc, {
        title: `${kernels.name} kernels: ${count} of ${kh} × ${kw}, the weights each map of ` +
          `${kernels.name} applies to the image (red adds, blue subtracts)`,
        table: DIVERGING,
        columns: 10,
        onPick: pickFor((i) => `${kernels.name} kernel ${i + 1} of ${count} · ${kh} × ${kw}`),
      });
      figures.push(this.kernelGrid.figure);
      this.grids.push(this.kernelGrid);
    }
    this.parts = layers.map((layer, index) => {
      const { name, kind, shape: dims } = layer;
      if (dims.length === 3) {
        const [h, w, count] = dims;
        const grid = new MapGrid(doc, {
          title: `${name} · ${KINDS[kind] ?? kind} · ${count} maps of ${h} × ${w}`,
          table: SEQUENTIAL,
          columns: columnsFor(w),
          onPick: pickFor((i) => {
            const strongest = i === grid.strongest ? " · the strongest" : "";
            return `${name} · map ${i + 1} of ${count} · ${h} × ${w}${strongest}`;
          }),
        });
        figures.push(grid.figure);
        this.grids.push(grid);
        return (data) => grid.show(this.#maps(data, count, h, w, `${count} maps of ${h}×${w}`));
      }
      if (kind === "flatten" || index === layers.length - 1) {
        const note =
          kind === "flatten"
            ? `${name} · the ${dims[0]} values above in one row, for the dense layer`
            : `${name} · ${KINDS[kind] ?? kind} · ${dims[0]} scores, softmax (below)`;
        figures.push(element(doc, "p", "layer-note", note));
        return () => {};
      }
      const count = dims[0]; // a hidden dense layer: one square per value
      const grid = new MapGrid(doc, {
        title: `${name} · ${KINDS[kind] ?? kind} · ${count} values`,
        table: SEQUENTIAL,
        columns: VECTOR_COLUMNS,
        onPick: pickFor((i) => `${name} · value ${i + 1} of ${count}`),
      });
      figures.push(grid.figure);
      this.grids.push(grid);
      return (data) => grid.show(this.#maps(data, count, 1, 1, `${count} values`));
    });
    this.layers.replaceChildren(...figures);
    this.scoreList = element(doc, "ol", "scores");
    this.scoreRows = classes.map((label) => {
      const row = doc.createElement("li");
      const bar = element(doc, "span", "bar");
      bar.append(element(doc, "span", "bar-fill"));
      row.append(element(doc, "span", "bar-label", label), bar, element(doc, "span", "bar-value"));
      return row;
    });
    this.scoreList.append(...this.scoreRows);
    this.layers.append(this.scoreList);
  }

  /** A layer's maps for its grid, with the summary a screen reader reads. */
  #maps({ name, values, strongest }, count, height, width, what) {
    const label = `${name}: ${what}; strongest: ${width === 1 ? "value" : "map"} ${strongest + 1}`;
    return { values: asBytes(values), count, height, width, strongest, label };
  }

  #showKernels({ name, shape: [kh, kw, count], values }) {
    this.kernelGrid.show({
      values: asBytes(values),
      count,
      height: kh,
      width: kw,
      strongest: 0,
      label: `${name} kernels: ${count} of ${kh}×${kw}`,
    });
  }

  #showScores(scores, classes, name) {
    const best = scores.indexOf(Math.max(...scores));
    this.scoreRows.forEach((row, index) => {
      row.querySelector(".bar-fill").style.width = `${(scores[index] * 100).toFixed(1)}%`;
      row.querySelector(".bar-value").textContent = percent(scores[index]);
      row.classList.toggle("best", index === best);
    });
    this.scoreList.setAttribute(
      "aria-label",
      `${name} scores (softmax of the upright image, before calibration): highest ${classes[best]}, ${percent(scores[best])}`,
    );
  }
}
