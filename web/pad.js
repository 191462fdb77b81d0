// Drawing pad: strokes as point lists, drawn with Pointer Events onto a transparent canvas.
//
// Points are stored in canvas-relative units (0..1 of the width and of the height), so a
// resize or an undo redraws the same picture at any backing-store size. The pad is wider
// than it is tall (room for a number); the pen's width is a fraction of its height. Ink is opaque black on a
// transparent background: the preprocessing reads ink from the alpha channel.
//
// One pointer draws. A tap leaves a dot. A finger that is not the first one down (a pinch)
// never draws, and takes back the stroke the first finger was drawing; a finger or palm
// that touches the pad while a pen draws is ignored.
//
// Edits are undoable: undo() takes back the last stroke or, on an empty pad, the last
// clear(); redo() replays what undo() took back until a new stroke or clear.
//
// After every change of the drawing the canvas fires a "drawingchange" CustomEvent whose
// detail says what changed: "move" (a stroke grows), "end" (pen up), "cancel" (a second
// finger took the stroke back), "clear", "undo" or "redo".

const INK = "#000";
const INK_MARGIN_PX = 2; // anti-aliased ink reaches about a pixel past the pen's width

export class DrawingPad {
  /**
   * @param {HTMLCanvasElement} canvas
   * @param {number} brushFraction pen width as a fraction of the canvas height (site.json
   *   page.brushFraction: the width the pen-stroke evaluators draw with).
   */
  constructor(canvas, brushFraction) {
    this.canvas = canvas;
    this.ctx = canvas.getContext("2d", { willReadFrequently: true });
    this.brushFraction = brushFraction;
    this.strokes = [];
    this.cleared = []; // drawings removed by clear(), newest last: undo() brings them back
    this.undone = []; // what undo() took back, newest last: {stroke} or {clear: true}
    this.activePointer = null; // the pointer drawing the last stroke
    this.activeType = null; // its pointerType: "mouse", "pen" or "touch"
    this.rect = null;
    this.frame = null;
    this.version = 0;
    canvas.addEventListener("pointerdown", (e) => this.#down(e));
    canvas.addEventListener("pointermove", (e) => this.#move(e));
    for (const type of ["pointerup", "pointercancel", "lostpointercapture"]) {
      canvas.addEventListener(type, (e) => this.#up(e));
    }
    new ResizeObserver(() => this.#resize()).observe(canvas);
    this.#resize();
  }

  get isEmpty() {
    return this.strokes.length === 0;
  }

  /** True when undo() would change something. */
  get canUndo() {
    return !this.isEmpty || this.cleared.length > 0;
  }

  /** True when redo() would change something. */
  get canRedo() {
    return this.undone.length > 0;
  }

  /**
   * The strokes as the number reader takes them: each one's [x, y] points in canvas
   * pixels from ``origin`` (the corner of the pixels handed over), in drawing order, and
   * the pen's width in canvas pixels. A digit is a run of strokes drawn one after another,
   * so digits that overlap still part.
   * @param {{x: number, y: number}} [origin] canvas pixels.
   * @returns {{points: number[][][], brushPx: number}}
   */
  strokePoints(origin = { x: 0, y: 0 }) {
    const { width, height } = this.canvas;
    const points = this.strokes.map((stroke) =>
      stroke.map(([x, y]) => [x * width - origin.x, y * height - origin.y]),
    );
    return { points, brushPx: this.brushFraction * height };
  }

  /**
   * The part of the canvas that holds ink: the strokes' points widened by the pen's
   * half-width and INK_MARGIN_PX, in whole canvas pixels, inside the canvas; null on an
   * empty pad. The reader is handed these pixels alone, not the whole pad.
   * @returns {{x: number, y: number, width: number, height: number} | null}
   */
  inkRegion() {
    if (this.isEmpty) return null;
    const { width, height } = this.canvas;
    const reach = (this.brushFraction * height) / 2 + INK_MARGIN_PX;
    let [minX, minY, maxX, maxY] = [Infinity, Infinity, -Infinity, -Infinity]; // fractions
    for (const stroke of this.strokes) {
      for (const [x, y] of stroke) {
        minX = Math.min(minX, x);
        minY = Math.min(minY, y);
        maxX = Math.max(maxX, x);
        maxY = Math.max(maxY, y);
      }
    }
    const clamp = (v, high) => Math.min(Math.max(v, 0), high);
    const left = clamp(Math.floor(minX * width - reach), width);
    const top = clamp(Math.floor(minY * height - reach), height);
    const right = clamp(Math.ceil(maxX * width + reach), width);
    const bottom = clamp(Math.ceil(maxY * height + reach), height);
    if (right <= left || bottom <= top) return null;
    return { x: left, y: top, width: right - left, height: bottom - top };
  }

  /** Remove every stroke; undo() on the empty pad brings them back. */
  clear() {
    if (this.isEmpty) return;
    this.cleared.push(this.strokes);
    this.strokes = [];
    this.undone = [];
    this.activePointer = null;
    this.#changed("clear");
  }

  /** Remove the last stroke (the one being drawn, if any); on an empty pad, bring back
   * the drawing the last clear() removed. */
  undo() {
    if (!this.canUndo) return;
    if (this.isEmpty) {
      this.strokes = this.cleared.pop();
      this.undone.push({ clear: true });
    } else {
      this.undone.push({ stroke: this.strokes.pop() });
    }
    this.activePointer = null;
    this.#changed("undo");
  }

  /** Do again what the last undo() took back: put back its stroke, or clear again. */
  redo() {
    if (!this.canRedo) return;
    const edit = this.undone.pop();
    if (edit.clear) {
      this.cleared.push(this.strokes);
      this.strokes = [];
    } else {
      this.strokes.push(edit.stroke);
    }
    this.activePointer = null;
    this.#changed("redo");
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
    const width = Math.max(1, Math.round(this.canvas.clientWidth * ratio));
    const height = Math.max(1, Math.round(this.canvas.clientHeight * ratio));
    if (this.canvas.width === width && this.canvas.height === height) return;
    this.canvas.width = width; // resizing clears the backing store
    this.canvas.height = height;
    this.#render();
  }

  #point(e) {
    return [(e.clientX - this.rect.left) / this.rect.width, (e.clientY - this.rect.top) / this.rect.height];
  }

  #down(e) {
    if (e.pointerType === "mouse" && e.button !== 0) return;
    if (this.activePointer !== null && e.pointerType !== this.activeType) return; // a palm
    e.preventDefault();
    if (!e.isPrimary) {
      this.#cancelStroke(); // another finger is down: a gesture, not a stroke
      return;
    }
    try {
      this.canvas.setPointerCapture(e.pointerId);
    } catch {
      // Synthetic pointers (replayed strokes) have no capture target; drawing still works.
    }
    this.activePointer = e.pointerId;
    this.activeType = e.pointerType;
    this.rect = this.canvas.getBoundingClientRect();
    this.strokes.push([this.#point(e)]);
    this.undone = [];
    this.#changed("move");
  }

  #move(e) {
    if (e.pointerId !== this.activePointer) return;
    e.preventDefault();
    const events = e.getCoalescedEvents ? e.getCoalescedEvents() : [];
    const stroke = this.strokes.at(-1);
    for (const event of events.length ? events : [e]) {
      const [x, y] = this.#point(event);
      const [lastX, lastY] = stroke.at(-1);
      if (x !== lastX || y !== lastY) stroke.push([x, y]); // a still pointer stays a dot
    }
    this.#changed("move");
  }

  #up(e) {
    if (e.pointerId !== this.activePointer) return;
    this.activePointer = null;
    this.#changed("end");
  }

  /** Take back the stroke being drawn, if any (a second finger came down). */
  #cancelStroke() {
    if (this.activePointer === null) return;
    this.activePointer = null;
    this.strokes.pop();
    this.#changed("cancel");
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
    const { width, height } = this.canvas;
    ctx.clearRect(0, 0, width, height);
    ctx.strokeStyle = INK;
    ctx.fillStyle = INK;
    ctx.lineWidth = this.brushFraction * height;
    ctx.lineCap = "round";
    ctx.lineJoin = "round";
    for (const stroke of this.strokes) traceStroke(ctx, stroke, width, height);
  }
}

/** Stroke one point list with quadratic smoothing through the midpoints; a single point
 * is a dot of the pen's width (canvases draw no caps on a line of zero length). Points are
 * fractions of the canvas; ``width`` and ``height`` are its size in pixels. */
function traceStroke(ctx, points, width, height) {
  const at = ([x, y]) => [x * width, y * height]; // fractions -> canvas pixels
  const [x0, y0] = at(points[0]);
  ctx.beginPath();
  if (points.length === 1) {
    ctx.arc(x0, y0, ctx.lineWidth / 2, 0, 2 * Math.PI);
    ctx.fill();
    return;
  }
  ctx.moveTo(x0, y0);
  for (let i = 1; i < points.length - 1; i++) {
    const [x, y] = at(points[i]);
    const [nx, ny] = at(points[i + 1]);
    ctx.quadraticCurveTo(x, y, (x + nx) / 2, (y + ny) / 2);
  }
  ctx.lineTo(...at(points.at(-1)));
  ctx.stroke();
}
