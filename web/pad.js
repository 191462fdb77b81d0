// Drawing pad: strokes as point lists, drawn with Pointer Events onto a transparent canvas.
//
// Points are stored in canvas-relative units (0..1 of the side), so a resize or an undo
// redraws the same picture at any backing-store size. Ink is opaque black on a
// transparent background: the preprocessing reads ink from the alpha channel.
//
// After every change of the drawing the canvas fires a "drawingchange" CustomEvent whose
// detail says what changed: "move" (a stroke grows), "end" (pen up), "clear" or "undo".

const INK = "#000";

export class DrawingPad {
  /**
   * @param {HTMLCanvasElement} canvas
   * @param {number} brushFraction pen width as a fraction of the canvas side (site.json
   *   page.brushFraction: the width the pen-stroke evaluators draw with).
   */
  constructor(canvas, brushFraction) {
    this.canvas = canvas;
    this.ctx = canvas.getContext("2d", { willReadFrequently: true });
    this.brushFraction = brushFraction;
    this.strokes = [];
    this.cleared = []; // drawings removed by clear(), newest last: undo() brings them back
    this.activePointer = null;
    this.rect = null;
    this.frame = null;
    this.version = 0;
    canvas.addEventListener("pointerdown", (e) => this.#down(e));
    canvas.addEventListener("pointermove", (e) => this.#move(e));
    canvas.addEventListener("pointerup", (e) => this.#up(e));
    canvas.addEventListener("pointercancel", (e) => this.#up(e));
    canvas.addEventListener("lostpointercapture", (e) => this.#up(e));
    new ResizeObserver(() => this.#resize()).observe(canvas);
    this.#resize();
  }

  get isEmpty() {
    return this.strokes.length === 0;
  }

  /** Remove every stroke; undo() on the empty pad brings them back. */
  clear() {
    if (this.isEmpty) return;
    this.cleared.push(this.strokes);
    this.strokes = [];
    this.activePointer = null;
    this.#changed("clear");
  }

  /** True when undo() would change something. */
  get canUndo() {
    return !this.isEmpty || this.cleared.length > 0;
  }

  /** Remove the last stroke (the one being drawn, if any); on an empty pad, bring back
   * the drawing the last clear() removed. */
  undo() {
    if (!this.canUndo) return;
    if (this.isEmpty) this.strokes = this.cleared.pop();
    else this.strokes.pop();
    this.activePointer = null;
    this.#changed("undo");
  }

  /** Draw any pending change now, so the canvas pixels match the strokes. */
  flush() {
    if (this.frame !== null) {
      cancelAnimationFrame(this.frame);
      this.frame = null;
    }
    this.#render();
  }

  #resize() {
    const ratio = window.devicePixelRatio || 1;
    const side = Math.max(1, Math.round(this.canvas.clientWidth * ratio));
    if (this.canvas.width === side && this.canvas.height === side) return;
    this.canvas.width = side; // resizing clears the backing store
    this.canvas.height = side;
    this.#render();
  }

  #point(e) {
    return [(e.clientX - this.rect.left) / this.rect.width, (e.clientY - this.rect.top) / this.rect.height];
  }

  #down(e) {
    if (this.activePointer !== null || (e.pointerType === "mouse" && e.button !== 0)) return;
    e.preventDefault();
    this.activePointer = e.pointerId;
    try {
      this.canvas.setPointerCapture(e.pointerId);
    } catch {
      // Synthetic pointers (replayed strokes) have no capture target; drawing still works.
    }
    this.rect = this.canvas.getBoundingClientRect();
    this.strokes.push([this.#point(e)]);
    this.#changed("move");
  }

  #move(e) {
    if (e.pointerId !== this.activePointer) return;
    e.preventDefault();
    const events = e.getCoalescedEvents ? e.getCoalescedEvents() : [];
    const stroke = this.strokes.at(-1);
    for (const event of events.length ? events : [e]) stroke.push(this.#point(event));
    this.#changed("move");
  }

  #up(e) {
    if (e.pointerId !== this.activePointer) return;
    this.activePointer = null;
    this.#changed("end");
  }

  #changed(kind) {
    this.version += 1;
    this.canvas.dataset.version = String(this.version);
    if (this.frame === null) {
      this.frame = requestAnimationFrame(() => {
        this.frame = null;
        this.#render();
      });
    }
    this.canvas.dispatchEvent(new CustomEvent("drawingchange", { detail: kind }));
  }

  #render() {
    const { ctx } = this;
    const side = this.canvas.width;
    ctx.clearRect(0, 0, side, side);
    ctx.strokeStyle = INK;
    ctx.lineWidth = this.brushFraction * side;
    ctx.lineCap = "round";
    ctx.lineJoin = "round";
    for (const stroke of this.strokes) traceStroke(ctx, stroke, side);
  }
}

/** Stroke one point list with quadratic smoothing through the midpoints. */
function traceStroke(ctx, points, side) {
  const [x0, y0] = points[0];
  ctx.beginPath();
  ctx.moveTo(x0 * side, y0 * side);
  if (points.length === 1) {
    ctx.lineTo(x0 * side, y0 * side); // a zero-length line with round caps: a dot
  }
  for (let i = 1; i < points.length - 1; i++) {
    const [x, y] = points[i];
    const [nx, ny] = points[i + 1];
    ctx.quadraticCurveTo(x * side, y * side, ((x + nx) / 2) * side, ((y + ny) / 2) * side);
  }
  if (points.length > 1) {
    const [xl, yl] = points.at(-1);
    ctx.lineTo(xl * side, yl * side);
  }
  ctx.stroke();
}
