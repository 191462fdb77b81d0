// The page's controls: Undo, Redo and Clear (buttons and keys), and image files from the
// upload button, dropped anywhere on the page, or pasted.
//
// Undo, Redo and Clear stay focusable when there is nothing for them to do: they are
// marked aria-disabled (and do nothing), so that keyboard focus stays where it was.

import { StatusLine } from "./status.js";

const CLEARED = "Pad cleared. Undo brings the drawing back.";

/** The keyboard shortcut ``event`` stands for: "undo", "redo", "clear" or null. */
function shortcut(event) {
  if (event.key === "Escape") return "clear";
  if (!(event.ctrlKey || event.metaKey) || event.altKey) return null;
  const key = event.key.toLowerCase();
  if (key === "z") return event.shiftKey ? "redo" : "undo";
  if (key === "y" && !event.shiftKey) return "redo";
  return null;
}

export class Controls {
  /**
   * @param {Document} doc the page.
   * @param {import("./pad.js").DrawingPad} pad the drawing.
   * @param {import("./recognition.js").Recognition} recognition what recognises drawings and files.
   */
  constructor(doc, pad, recognition) {
    this.pad = pad;
    this.status = new StatusLine(doc);
    this.upload = doc.getElementById("upload");
    this.uploadButton = doc.getElementById("upload-button");
    this.buttons = {
      undo: doc.getElementById("undo"),
      redo: doc.getElementById("redo"),
      clear: doc.getElementById("clear"),
    };
    const root = doc.documentElement;
    const edits = {
      undo: () => pad.undo(),
      redo: () => pad.redo(),
      clear: () => this.#clear(),
    };
    for (const [name, button] of Object.entries(this.buttons)) {
      button.addEventListener("click", edits[name]);
    }
    pad.canvas.addEventListener("drawingchange", () => this.#showWhatCanBeDone());
    this.#showWhatCanBeDone();
    addEventListener("keydown", (event) => {
      const name = shortcut(event);
      if (name === null) return;
      event.preventDefault();
      edits[name]();
    });
    this.uploadButton.addEventListener("click", () => this.upload.click());
    this.upload.addEventListener("change", () => {
      recognition.recognizeFile(this.upload.files[0]);
      this.upload.value = ""; // choosing the same file again fires "change" again
    });
    // Files can be dropped anywhere on the page (which never navigates to a dropped file).
    addEventListener("dragover", (event) => {
      event.preventDefault();
      event.dataTransfer.dropEffect = "copy";
      root.classList.add("dragging");
    });
    addEventListener("dragleave", (event) => {
      if (event.relatedTarget === null) root.classList.remove("dragging"); // left the window
    });
    addEventListener("drop", (event) => {
      event.preventDefault();
      root.classList.remove("dragging");
      recognition.recognizeFile(event.dataTransfer.files[0]);
    });
    addEventListener("paste", (event) => {
      const item = [...event.clipboardData.items].find((entry) => entry.kind === "file");
      if (item) {
        event.preventDefault();
        recognition.recognizeFile(item.getAsFile());
      }
    });
  }

  /** Allow uploads (the upload button is disabled until the recognizer is ready). */
  enableUpload() {
    this.uploadButton.disabled = false;
  }

  #clear() {
    if (this.pad.isEmpty) return;
    this.pad.clear();
    this.status.say(CLEARED);
  }

  /** Mark Undo, Redo and Clear as disabled when they would change nothing. */
  #showWhatCanBeDone() {
    const possible = {
      undo: this.pad.canUndo,
      redo: this.pad.canRedo,
      clear: !this.pad.isEmpty,
    };
    for (const [name, button] of Object.entries(this.buttons)) {
      button.setAttribute("aria-disabled", String(!possible[name]));
    }
  }
}
