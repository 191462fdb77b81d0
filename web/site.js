// The site's own record (site.json, written by tools/build_site.py) and the model file it
// names. Both downloads start when the page loads, in parallel with the Python runtime.
//
// site.json holds: model {name, path, bytes, sha256, card}, the runtime versions, and page
// {maxUploadBytes, brushFraction}: settings the JavaScript shares with the Python modules.

/** fetch() that revalidates with the server and rejects on an HTTP error status. */
async function fetchCurrent(path) {
  const response = await fetch(path, { cache: "no-cache" });
  if (!response.ok) throw new Error(`${path}: HTTP ${response.status}`);
  return response;
}

export class SiteFiles {
  constructor() {
    /** @type {Promise<object>} the parsed site.json */
    this.siteJson = fetchCurrent("./site.json").then((response) => response.json());
    /** @type {Promise<Uint8Array>} the bytes of the model file site.json names */
    this.modelBytes = this.siteJson.then(async ({ model }) => {
      const response = await fetchCurrent(model.path);
      return new Uint8Array(await response.arrayBuffer());
    });
    this.modelBytes.catch(() => {}); // reported where main.py awaits it
  }
}
