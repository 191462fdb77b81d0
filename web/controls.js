// The page's controls: Undo and Clear (buttons and keys), and image files from the upload
// button, dropped anywhere on the page, or pasted.

export class Controls {
  /**
   * @param {Document} doc the page.
   * @param {import("./pad.js").DrawingPad} pad the drawing.
   * @param {import("./recognition.js").Recognition} recognition what recognises drawings and files.
   */
  constructor(doc, pad, recognition) {
    this.upload = doc.getElementById("upload");
    const root = doc.documentElement;
    const edited = (edit) => () => {
      edit();
      recognition.schedule(true);
    };
    const clear = edited(() => pad.clear());
    const undo = edited(() => pad.undo());
    doc.getElementById("clear").addEventListener("click", clear);
    doc.getElementById("undo").addEventListener("click", undo);
    addEventListener("keydown", (event) => {
      if (event.key === "Escape") {
        clear();
      } else if (
        (event.ctrlKey || event.metaKey) &&
        !event.shiftKey &&
        event.key.toLowerCase() === "z"
      ) {
        event.preventDefault();
        undo();
      }
    });
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
    this.upload.disabled = false;
  }
}
