// The site's own record, site.json (written by tools/build_site.py): model {name, path,
// bytes, sha256, card}; the runtime versions; downloads {step: {path: {bytes, sha256}}}, the
// files the Python worker needs; and page {maxUploadBytes, brushFraction, stallSeconds,
// pythonStartSeconds}: settings the JavaScript shares with the build and the Python modules.

/**
 * Fetch site.json, revalidated with the server (it names this build's files).
 * @returns {Promise<object>} the parsed record; rejects with an Error that says why.
 */
export async function fetchSiteJson() {
  const response = await fetch("./site.json", { cache: "no-cache" });
  if (!response.ok) throw new Error(`Could not load site.json (HTTP ${response.status}).`);
  return response.json();
}
