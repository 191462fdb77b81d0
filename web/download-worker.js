// The worker the start-up downloads run in (downloads.js): the page sends {groups, stallMs,
// keep} once; the worker answers {type: "progress", progress} as bytes arrive, then either
// {type: "failed", message} or {type: "done", files} (a Map from each kept path to its bytes,
// handed over).

import { Downloads } from "./downloads.js";

addEventListener(
  "message",
  async ({ data: { groups, stallMs, keep } }) => {
    const downloads = new Downloads(groups, stallMs, {
      onProgress: (progress) => postMessage({ type: "progress", progress }),
      onFailure: (message) => postMessage({ type: "failed", message }),
    });
    if (!(await downloads.run(keep))) return;
    const files = new Map(keep.map((path) => [path, downloads.bytesOf(path)]));
    postMessage({ type: "done", files }, [...files.values()].map((bytes) => bytes.buffer));
  },
  { once: true },
);
