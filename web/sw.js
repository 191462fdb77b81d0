// Service worker: precaches the whole app (shell, Pyodide runtime, wheels, weights) on first
// visit, then serves every same-origin GET from the cache, so later visits start faster and work
// offline. The site build writes BUILD_VERSION (a hash of every file) and PRECACHE (their paths);
// a new deploy therefore installs a new cache and deletes the old ones.
const BUILD_VERSION = "__BUILD_VERSION__";
const PRECACHE = "__PRECACHE__";
const CACHE = `digit-recognizer-${BUILD_VERSION}`;

// "no-cache" revalidates with the server: files this visit already downloaded come back as
// 304 Not Modified instead of being downloaded twice, and a new deploy is never mixed with
// stale copies from the HTTP cache.
self.addEventListener("install", (event) => {
  event.waitUntil(
    caches
      .open(CACHE)
      .then((cache) => cache.addAll(PRECACHE.map((path) => new Request(path, { cache: "no-cache" }))))
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((names) =>
        Promise.all(
          names
            .filter((name) => name.startsWith("digit-recognizer-") && name !== CACHE)
            .map((name) => caches.delete(name)),
        ),
      )
      .then(() => self.clients.claim()),
  );
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET" || new URL(request.url).origin !== self.location.origin) {
    return;
  }
  event.respondWith(
    caches.open(CACHE).then(async (cache) => {
      const cached = await cache.match(request, { ignoreSearch: request.mode === "navigate" });
      if (cached) {
        return cached;
      }
      const response = await fetch(request);
      if (response.ok && response.type === "basic") {
        cache.put(request, response.clone());
      }
      return response;
    }),
  );
});
