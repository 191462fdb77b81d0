// The page's Python: worker.py (which imports main.py) in a PyScript worker (PyWorker), so
// that starting Pyodide, loading NumPy and Pillow, and every recognition run off the page's
// main thread, and drawing stays smooth throughout.
//
// The page calls the functions worker.py exports through pyscript.sync, and each call answers
// with a promise. Calls in this direction need no SharedArrayBuffer, so the page needs no
// cross-origin isolation (which GitHub Pages cannot give): the worker never reaches back
// into the page.

import { errorText } from "./error-text.js";

export class PythonWorker {
  /**
   * Start the worker. Resolves once Pyodide runs worker.py with NumPy and Pillow installed
   * (loadModel imports them); rejects with an Error that says why when it could not.
   * @param {Promise<void>} [after] the worker is created once this resolves (PyScript loads
   *   meanwhile): a worker's requests go through the service worker that controls the page
   *   when the worker is created, or through none.
   * @returns {Promise<PythonWorker>}
   */
  static async start(after) {
    let PyWorker;
    try {
      ({ PyWorker } = await import("./pyscript/core.js"));
      // PyWorker hands the worker PyScript's Python modules only once the "py" type is set
      // up (its plugins loaded; before that, `import pyscript` fails in the worker), which
      // PyScript completes by defining the <py-script> element.
      await customElements.whenDefined("py-script");
    } catch (error) {
      throw new Error(`Could not load PyScript: ${errorText(error)}`, { cause: error });
    }
    const configURL = new URL("./pyscript.json", import.meta.url).href;
    try {
      const response = await fetch(configURL);
      if (!response.ok) throw new Error(`pyscript.json: HTTP ${response.status}`);
      const config = await response.json();
      // The configuration goes as an object (given as a URL, PyScript's own modules in the
      // worker fail to read it), and the interpreter as `version` (PyWorker reads no
      // `interpreter` key): the self-hosted Pyodide.
      const options = { config, configURL, version: new URL(config.interpreter, configURL).href };
      await after;
      return new PythonWorker(await PyWorker(new URL("./worker.py", configURL).href, options));
    } catch (error) {
      throw new Error(`The recognizer failed to start: ${errorText(error)}`, { cause: error });
    }
  }

  constructor(worker) {
    this.worker = worker;
  }

  /**
   * Import the recognizer (NumPy, Pillow, main.py) and load the network.
   * @param {Uint8Array} bytes the model file.
   * @param {string} sha256 the hex digest site.json records for it.
   * @param {Uint8Array|null} bytecode the zip an earlier start's bytecode() gave, or null.
   * @returns {Promise<{state: "ready"} | {state: "error", message: string}>}
   */
  loadModel(bytes, sha256, bytecode) {
    return this.worker.sync.load_model(bytes, sha256, bytecode);
  }

  /**
   * The bytecode for the next start's loadModel (see worker.py).
   * @returns {Promise<Uint8Array|undefined>} a zip of hash-checked .pyc files; nothing when
   *   this start compiled no module (the kept zip still fits).
   */
  bytecode() {
    return this.worker.sync.bytecode();
  }

  /**
   * Recognise the pad's pixels as a number of one or more digits.
   * @param {ImageData} image the part of the pad that holds ink (transparent background,
   *   ink in alpha); each digit's box comes back as fractions of it.
   * @param {{points: number[][], brushPx: number}} strokes each stroke's [x, y] points,
   *   pixels of ``image``, in the order drawn, and the pen's width in canvas pixels.
   * @returns {Promise<object>} a single digit's result, or {state: "number", number,
   *   verdict, confidence, digits} (see main.py).
   */
  recognizeNumber({ data, width, height }, { points, brushPx }) {
    return this.worker.sync.recognize_number_pixels(data, width, height, points, brushPx);
  }

  /**
   * Recognise an image file.
   * @param {Uint8Array} bytes the file's bytes.
   * @returns {Promise<object>} the result (see main.py), with ``region``.
   */
  recognizeImage(bytes) {
    return this.worker.sync.recognize_image(bytes);
  }

  /**
   * Every layer's output for a result's 28x28 image (the "look inside" panel).
   * @param {Uint8Array} image a result's ``image`` (784 bytes).
   * @returns {Promise<object>} {state: "result", layers, kernels, scores, classes,
   *   sensitivity} (see recognizer/inside.py).
   */
  lookInside(image) {
    return this.worker.sync.look_inside(image);
  }

  /**
   * Load the original network beside the page's own.
   * @param {Uint8Array} bytes its model file.
   * @param {string} sha256 the hex digest site.json records for it.
   * @returns {Promise<{state: "ready"} | {state: "error", message: string}>}
   */
  loadSeed(bytes, sha256) {
    return this.worker.sync.load_seed(bytes, sha256);
  }

  /**
   * The original network's plain reading of a result's 28x28 image.
   * @param {Uint8Array} image a result's ``image`` (784 bytes).
   * @returns {Promise<object>} {state: "result", digit, confidence, probs} (its softmax, not
   *   calibrated) or {state: "error", message}.
   */
  recognizeWithSeed(image) {
    return this.worker.sync.recognize_with_seed(image);
  }
}
