// Watches the start-up for failures, so that it never ends in an endless spinner: each
// failure is reported with its own cause within moments of happening.
//
// While watching, these end the start-up: a runtime file that fails to download or answers
// an HTTP error (every runtime file is fetched with fetch(): wasm, stdlib, wheels, config,
// modules); a WebAssembly module that fails to compile or instantiate (Pyodide only logs
// that, then waits forever); an exception that PyScript catches from the Python code; an
// uncaught error or rejected promise; PyScript failing to load; and, as a last resort, a
// start-up that takes longer than the timeout. Text that Python writes to stderr (warnings)
// does not.

import { errorText } from "./error-text.js";

const WASM_LOADERS = ["compile", "compileStreaming", "instantiate", "instantiateStreaming"];

/** The path of a URL on this site, for messages. */
const pathOf = (url) => new URL(url, location.href).pathname;

export class StartupWatch {
  /**
   * @param {(message: string) => void} onFailure called with the first failure's cause.
   * @param {number} timeoutMs how long a start-up may take before it counts as failed.
   */
  constructor(onFailure, timeoutMs) {
    this.onFailure = onFailure;
    this.timeoutMs = timeoutMs;
    this.watching = false;
    this.restorers = []; // put back what start() replaced or added
  }

  /** Start watching, then load PyScript (so that its own failure is seen too). */
  start() {
    this.watching = true;
    this.#watchFetch();
    this.#watchWebAssembly();
    const failed = (cause) => this.#fail(`The recognizer failed to start: ${errorText(cause)}`);
    this.#listen("error", (event) => failed(event.error ?? event.message));
    this.#listen("unhandledrejection", (event) => failed(event.reason));
    const tooLong = "The recognizer is taking too long to load. Check the connection and reload.";
    const timer = setTimeout(() => this.#fail(tooLong), this.timeoutMs);
    this.restorers.push(() => clearTimeout(timer));
    import("./pyscript/core.js").then(
      ({ hooks }) => hooks.main.onReady.add((wrap) => this.#watchPythonErrors(wrap)),
      (error) => this.#fail(`Could not load PyScript: ${errorText(error)}`),
    );
  }

  /** Stop watching (start-up is over): put back fetch() and WebAssembly as they were. */
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

  /** Replace ``owner[name]`` until stop(). */
  #replace(owner, name, replacement) {
    const original = owner[name];
    owner[name] = replacement(original);
    this.restorers.push(() => {
      owner[name] = original;
    });
  }

  #watchFetch() {
    this.#replace(globalThis, "fetch", (nativeFetch) => async (resource, ...rest) => {
      const path = pathOf(resource instanceof Request ? resource.url : String(resource));
      let response;
      try {
        response = await nativeFetch(resource, ...rest);
      } catch (error) {
        this.#fail(`Could not load ${path}: ${errorText(error)}`);
        throw error;
      }
      if (!response.ok) this.#fail(`Could not load ${path} (HTTP ${response.status}).`);
      return response;
    });
  }

  #watchWebAssembly() {
    for (const name of WASM_LOADERS) {
      this.#replace(WebAssembly, name, (load) => async (source, ...rest) => {
        try {
          return await load.call(WebAssembly, source, ...rest);
        } catch (error) {
          const response = await source; // a Response (or its promise) for the *Streaming forms
          const file = response instanceof Response ? `${pathOf(response.url)} ` : "";
          const cause = `${error.name}: ${errorText(error)}`;
          this.#fail(`The Python runtime could not start: ${file}could not be loaded (${cause}).`);
          throw error;
        }
      });
    }
  }

  /** PyScript hands exceptions from the page's Python to stderr as Error objects (text
   * written to stderr arrives as strings): only those end the start-up. */
  #watchPythonErrors(wrap) {
    const { stderr } = wrap.io;
    wrap.io.stderr = (output, ...rest) => {
      if (output instanceof Error) {
        this.#fail(`The recognizer failed to start: ${errorText(output)}`);
      }
      return stderr(output, ...rest);
    };
  }
}
