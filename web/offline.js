// Offline support: the service worker (sw.js) that keeps a verified copy of the app, and the
// way back to a clean start when something the browser kept is broken.

import { errorText } from "./error-text.js";

const SCOPE = new URL("./", import.meta.url).href; // the app's folder: the worker's scope
const CACHE_PREFIX = "digit-recognizer-"; // the start of every cache name sw.js uses

/** Whether this page loads without a service worker answering its requests (a first visit). */
export function uncontrolled() {
  return "serviceWorker" in navigator && navigator.serviceWorker.controller === null;
}

/**
 * Install the service worker: faster later visits, offline use. The first worker takes
 * control of the page at once and saves each file as the page's downloads pass through it
 * (sw.js); saveOffline completes the copy.
 * @returns {Promise<void>} resolves once a service worker controls this page, or once none
 *   will (no support, a failed registration or installation, an update that waits until the
 *   page closes); never rejects.
 */
export async function registerServiceWorker() {
  if (!("serviceWorker" in navigator)) return;
  const { serviceWorker } = navigator;
  let registration;
  try {
    registration = await serviceWorker.register(new URL("sw.js", SCOPE));
  } catch (error) {
    console.warn("offline support unavailable:", errorText(error));
    return;
  }
  if (!registration) return; // service workers blocked: some browsers answer with nothing
  await takenOver(serviceWorker, registration);
}

/**
 * Have the service worker save every file of the site that it lacks; <html
 * data-offline="saved"> says when its copy is complete. Never rejects.
 */
export async function saveOffline() {
  if (!("serviceWorker" in navigator)) return;
  try {
    const registration = await navigator.serviceWorker.getRegistration(SCOPE);
    const worker = navigator.serviceWorker.controller ?? registration?.active;
    if (!worker) return;
    const channel = new MessageChannel();
    const answer = new Promise((resolve) => (channel.port1.onmessage = ({ data }) => resolve(data)));
    worker.postMessage({ type: "save" }, [channel.port2]);
    const outcome = await answer;
    if (outcome === "saved") document.documentElement.dataset.offline = "saved";
    else console.warn("the offline copy is incomplete:", outcome);
  } catch (error) {
    console.warn("the offline copy is incomplete:", errorText(error));
  }
}

/** Resolves when the registration's first worker controls this page, or cannot. */
function takenOver(serviceWorker, registration) {
  // Only a first installation takes over open pages: an active worker that does not control
  // this page (a hard reload) will not, nor will an update while it is there.
  if (serviceWorker.controller || registration.active?.state === "activated") return Promise.resolve();
  const worker = registration.installing ?? registration.waiting ?? registration.active;
  if (!worker) return Promise.resolve();
  return new Promise((resolve) => {
    serviceWorker.addEventListener("controllerchange", () => resolve(), { once: true });
    worker.addEventListener("statechange", () => worker.state === "redundant" && resolve());
  });
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
