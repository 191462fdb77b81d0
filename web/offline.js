// Offline support: the service worker (sw.js) that keeps a verified copy of the app, and the
// way back to a clean start when something the browser kept is broken.

import { errorText } from "./error-text.js";

const SCOPE = new URL("./", import.meta.url).href; // the app's folder: the worker's scope
const CACHE_PREFIX = "digit-recognizer-"; // the start of every cache name sw.js uses

/**
 * Install the service worker (once the app has started): faster later visits, offline use.
 * Its installation saves every file of the site; <html data-offline="saved"> says when a
 * worker with a complete copy is active.
 */
export function registerServiceWorker() {
  if (!("serviceWorker" in navigator)) return;
  const { serviceWorker } = navigator;
  serviceWorker
    .register(new URL("sw.js", SCOPE))
    .then(() => serviceWorker.ready)
    .then(() => {
      document.documentElement.dataset.offline = "saved";
    })
    .catch((error) => console.warn("offline support unavailable:", errorText(error)));
}

/**
 * Forget everything kept for offline use: the app's caches and its service worker, so that
 * the next load comes from the server. Never rejects.
 */
export async function clearAppCaches() {
  try {
    const names = (await caches.keys()).filter((name) => name.startsWith(CACHE_PREFIX));
    await Promise.all(names.map((name) => caches.delete(name)));
    if ("serviceWorker" in navigator) {
      const registrations = await navigator.serviceWorker.getRegistrations();
      const own = registrations.filter((registration) => registration.scope === SCOPE);
      await Promise.all(own.map((registration) => registration.unregister()));
    }
  } catch (error) {
    console.warn("could not clear the offline copy:", errorText(error));
  }
}
