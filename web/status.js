// The page's status line for screen readers (#status, a polite live region): it says when
// the page becomes ready, and what an action did that is seen but not otherwise heard.

const READY = "Ready: draw a digit.";

export class StatusLine {
  /** @param {Document} doc the page; its <html data-app-state> says when it is ready. */
  constructor(doc) {
    this.element = doc.getElementById("status");
    const root = doc.documentElement;
    new MutationObserver(() => {
      if (root.dataset.appState === "ready") this.say(READY);
    }).observe(root, { attributes: true, attributeFilter: ["data-app-state"] });
  }

  /**
   * Announce ``text``; the same text twice in a row is announced twice.
   * @param {string} text
   */
  say(text) {
    const said = this.element.textContent;
    // A live region speaks when its text changes: a repeat gets a no-break space.
    this.element.textContent = said === text ? `${text}\u00a0` : text;
  }
}
