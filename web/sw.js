// Service worker: keeps a verified copy of every file of one build, so that later visits
// start from it and the app works offline.
//
// The site build stamps FILES: each file's path (relative to this worker) and the sha256 of
// its bytes (tools/precache.py). Entries live in one cache shared by all builds and are keyed
// by content hash ("<url>?sha256=<hex>"), so:
// - a file is stored only when its bytes match the hash this worker was built with, and a new
//   build downloads only the files whose hash changed;
// - the first installation saves nothing and takes over at once. A first visit's downloads
//   then pass through this worker, which hands each file's bytes, as they arrive, to every
//   request for it: the page's counted and checked downloads, and the Python worker's own
//   requests. So the bytes cross the network once, and Python starts while they arrive. Each
//   file is saved once its bytes match (Python's request for the WebAssembly file is answered
//   from that saved copy, see download), and once ready the page asks for the rest of the
//   site to be saved (a "save" message);
// - an update's installation fetches each missing file, and once more past the HTTP cache if
//   its bytes do not match. If the server still holds other bytes (a deploy half done, a
//   stale proxy), the installation fails: the previous worker keeps serving its own complete
//   set, and the browser tries again on a later visit. The update waits until no page uses
//   the previous worker, so one page load never mixes two builds.
// ON_DEMAND (stamped the same way) lists the files saved only once the page asks for them
// (the original network, which most visits never load): they are checked the same way.
const FILES = "__FILES__";
const ON_DEMAND = "__ON_DEMAND__";
const CACHE = "digit-recognizer-files"; // offline.js clears every cache named digit-recognizer-*
const BYTECODE = "digit-recognizer-bytecode"; // bytecode.js's
const COUNTED = "X-Counted-Download"; // downloads.js's requests: it counts bytes as they arrive
const inFlight = new Map(); // FILES path -> promise of its running SharedDownload (null: not shared)

/** The sha256 of this build's bytes of a file. */
const hashOf = (path) => FILES[path] ?? ON_DEMAND[path];

/** The cache key of a file: its URL with the sha256 of this build's bytes. */
const keyOf = (path) => new URL(`${path}?sha256=${hashOf(path)}`, self.registration.scope).href;

/** The FILES path a request asks for, or null when it is not a file of this build. */
function fileOf(request) {
  const url = new URL(request.url);
  const scope = new URL(self.registration.scope);
  const navigation = request.mode === "navigate";
  if (url.origin !== scope.origin || !url.pathname.startsWith(scope.pathname)) return null;
  if (url.search && !navigation) return null;
  const path = url.pathname.slice(scope.pathname.length) || "index.html";
  return Object.hasOwn(FILES, path) || Object.hasOwn(ON_DEMAND, path) ? path : null;
}

/** Hex sha256 of some bytes. */
async function sha256(bytes) {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return Array.from(digest, (byte) => byte.toString(16).padStart(2, "0")).join("");
}

/** A response's headers for a body handed on decoded. */
function decodedHeaders(response) {
  const headers = new Headers(response.headers); // the host's, e.g. a CSP for index.html
  headers.delete("Content-Encoding");
  headers.delete("Content-Length");
  return headers;
}

/** A file's response whose bytes match FILES; throws when the server holds other bytes. */
async function fetchVerified(path) {
  for (const cacheMode of ["no-cache", "reload"]) {
    // "no-cache" revalidates: a file this visit already downloaded comes back as 304 Not
    // Modified instead of twice. "reload" skips the HTTP cache for a copy that did not match.
    const response = await fetch(new Request(path, { cache: cacheMode }));
    if (!response.ok) throw new Error(`${path}: HTTP ${response.status}`);
    const bytes = await response.arrayBuffer();
    if ((await sha256(bytes)) === hashOf(path)) {
      return new Response(bytes, { status: response.status, headers: decodedHeaders(response) });
    }
  }
  throw new Error(`${path}: the server's copy does not match this build`);
}

/** Store every file of this build that the cache lacks. */
async function storeMissing() {
  await Promise.all(Array.from(inFlight.values(), async (started) => (await started)?.saved));
  const cache = await caches.open(CACHE);
  await Promise.all(
    Object.keys(FILES).map(async (path) => {
      const key = keyOf(path);
      if (!(await cache.match(key))) await cache.put(key, await fetchVerified(path));
    }),
  );
}

/**
 * Delete what no file of this build needs, and the caches of earlier worker versions (not
 * the Python bytecode that bytecode.js keeps: a start replaces it when it no longer fits).
 */
async function deleteOthers() {
  for (const name of await caches.keys()) {
    if (name.startsWith("digit-recognizer-") && ![CACHE, BYTECODE].includes(name)) await caches.delete(name);
  }
  const cache = await caches.open(CACHE);
  const needed = new Set([...Object.keys(FILES), ...Object.keys(ON_DEMAND)].map(keyOf));
  const stale = (await cache.keys()).filter((request) => !needed.has(request.url));
  await Promise.all(stale.map((request) => cache.delete(request)));
}

self.addEventListener("install", (event) => {
  event.waitUntil(self.registration.active ? storeMissing() : self.skipWaiting());
});

self.addEventListener("activate", (event) => {
  event.waitUntil(deleteOthers().then(() => self.clients.claim()));
});

/** An on-demand file from the network, saved when its bytes match this build. */
async function saveOnDemand(cache, path, request) {
  let response;
  try {
    response = await fetchVerified(path);
  } catch {
    return fetch(request); // the page checks what it gets and says what is wrong
  }
  await cache.put(keyOf(path), response.clone());
  return response;
}

/**
 * One download of a file from the network, shared by every request for it while it runs:
 * each gets the bytes that arrived so far, then the rest as they come. Once complete, the
 * file is saved when its bytes match this build (the page checks them too, and says so when
 * they do not).
 */
class SharedDownload {
  /** @param {string} path a FILES path; @param {Response} response its network response, ok. */
  constructor(path, response) {
    this.response = response;
    this.isWebAssembly = response.headers.get("Content-Type")?.startsWith("application/wasm");
    this.chunks = [];
    this.state = "running"; // "running" | "done" | "failed"
    this.#nextArrival();
    this.saved = this.#readAndSave(path); // never rejects
  }

  /** A response for one more request: what arrived so far, then the rest as it arrives. */
  respond() {
    let next = 0;
    const body = new ReadableStream({
      pull: async (controller) => {
        while (next === this.chunks.length && this.state === "running") await this.arrival;
        if (next < this.chunks.length) controller.enqueue(this.chunks[next++]);
        else if (this.state === "done") controller.close();
        else controller.error(new TypeError("the download failed"));
      },
    });
    const { status, statusText } = this.response;
    return new Response(body, { status, statusText, headers: decodedHeaders(this.response) });
  }

  /** A new promise for the next chunk (or the end); resolving the current one wakes readers. */
  #nextArrival() {
    const woken = this.wake;
    this.arrival = new Promise((resolve) => (this.wake = resolve));
    woken?.();
  }

  async #readAndSave(path) {
    try {
      const reader = this.response.body.getReader();
      for (let read = await reader.read(); !read.done; read = await reader.read()) {
        this.chunks.push(read.value);
        this.#nextArrival();
      }
      this.state = "done";
    } catch {
      this.state = "failed";
    }
    this.#nextArrival();
    try {
      if (this.state !== "done") return;
      const bytes = await new Blob(this.chunks).arrayBuffer();
      if ((await sha256(bytes)) !== hashOf(path)) return;
      const cache = await caches.open(CACHE);
      await cache.put(keyOf(path), new Response(bytes, { headers: decodedHeaders(this.response) }));
    } catch {
      // not saved: the page's "save" message fetches it again
    } finally {
      inFlight.delete(path);
    }
  }
}

/**
 * A file of this build that is not saved yet: from its running download, or a new one.
 * @param {FetchEvent} event kept alive until the download is saved.
 */
async function download(cache, path, event) {
  const { request } = event;
  if (!inFlight.has(path)) {
    const started = fetch(request.url).then(
      (response) => (response.ok && response.body ? new SharedDownload(path, response) : null),
      () => null,
    );
    inFlight.set(path, started);
    started.then((shared) => shared || inFlight.delete(path)); // a shared one leaves once saved
  }
  const shared = await inFlight.get(path);
  if (!shared) return fetch(request); // a failure: each request sees its own
  event.waitUntil(shared.saved);
  if (shared.isWebAssembly && !request.headers.has(COUNTED)) {
    // Chromium keeps the compiled code of WebAssembly answered from Cache Storage beside the
    // copy, which spares the next visit compiling it: Python's request waits for the copy.
    await shared.saved;
    const copy = await cache.match(keyOf(path));
    if (copy) return copy;
  }
  return shared.respond();
}

self.addEventListener("message", (event) => {
  // {type: "save"} with a port: save every missing file, answer "saved" or the error's text.
  if (event.data?.type !== "save") return;
  const [port] = event.ports;
  event.waitUntil(
    storeMissing().then(
      () => port.postMessage("saved"),
      (error) => port.postMessage(String(error)),
    ),
  );
});

self.addEventListener("fetch", (event) => {
  const path = event.request.method === "GET" ? fileOf(event.request) : null;
  if (path === null) return; // not a file of this build: the network answers
  event.respondWith(
    caches.open(CACHE).then(async (cache) => {
      const cached = await cache.match(keyOf(path));
      if (cached) return cached;
      return Object.hasOwn(ON_DEMAND, path) ? saveOnDemand(cache, path, event.request) : download(cache, path, event);
    }),
  );
});
