// Service worker: keeps a verified copy of every file of one build, so that later visits
// start from it and the app works offline.
//
// The site build stamps FILES: each file's path (relative to this worker) and the sha256 of
// its bytes (tools/precache.py). Entries live in one cache shared by all builds and are keyed
// by content hash ("<url>?sha256=<hex>"), so:
// - a file is stored only when its bytes match the hash this worker was built with, and a new
//   build downloads only the files whose hash changed;
// - installation fetches each missing file, and once more past the HTTP cache if its bytes do
//   not match. If the server still holds other bytes (a deploy half done, a stale proxy), the
//   installation fails: the previous worker keeps serving its own complete set, and the
//   browser tries again on a later visit;
// - an update waits until no page uses the previous worker, so one page load never mixes two
//   builds; the first installation takes over at once.
// ON_DEMAND (stamped the same way) lists the files saved only once the page asks for them
// (the original network, which most visits never load): they are checked the same way.
const FILES = "__FILES__";
const ON_DEMAND = "__ON_DEMAND__";
const CACHE = "digit-recognizer-files"; // offline.js clears every cache named digit-recognizer-*
const BYTECODE = "digit-recognizer-bytecode"; // bytecode.js's

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

/** A file's response whose bytes match FILES; throws when the server holds other bytes. */
async function fetchVerified(path) {
  for (const cacheMode of ["no-cache", "reload"]) {
    // "no-cache" revalidates: a file this visit already downloaded comes back as 304 Not
    // Modified instead of twice. "reload" skips the HTTP cache for a copy that did not match.
    const response = await fetch(new Request(path, { cache: cacheMode }));
    if (!response.ok) throw new Error(`${path}: HTTP ${response.status}`);
    const bytes = await response.arrayBuffer();
    if ((await sha256(bytes)) === hashOf(path)) {
      const headers = new Headers(response.headers); // the host's, e.g. a CSP for index.html
      headers.delete("Content-Encoding"); // the body is kept decoded
      headers.delete("Content-Length");
      return new Response(bytes, { status: response.status, headers });
    }
  }
  throw new Error(`${path}: the server's copy does not match this build`);
}

/** Store every file of this build that the cache lacks. */
async function storeMissing() {
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
  const firstInstall = !self.registration.active;
  event.waitUntil(storeMissing().then(() => firstInstall && self.skipWaiting()));
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

self.addEventListener("fetch", (event) => {
  const path = event.request.method === "GET" ? fileOf(event.request) : null;
  if (path === null) return; // not a file of this build: the network answers
  event.respondWith(
    caches.open(CACHE).then(async (cache) => {
      const cached = await cache.match(keyOf(path));
      if (cached) return cached;
      return Object.hasOwn(ON_DEMAND, path) ? saveOnDemand(cache, path, event.request) : fetch(event.request);
    }),
  );
});
