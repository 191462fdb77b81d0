// How an error is worded for people: one short line, never a traceback.

/**
 * The last line of an error's message: for a Python error, its type and text.
 * @param {unknown} error an Error, a Python error proxied to JS, or any thrown value.
 * @returns {string} at most 200 characters.
 */
export function errorText(error) {
  return String(error?.message ?? error).trim().split("\n").at(-1).slice(0, 200);
}
