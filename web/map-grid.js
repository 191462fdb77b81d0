// One layer's maps as a grid on one canvas (heatmap.js), with a short text summary for
// screen readers, and one map picked to be enlarged: the one under the mouse, the one tapped,
// or, once the canvas has the focus, one chosen with the arrow keys, Home and End (the
// strongest map first). Esc lets go of it.

import { GridLayout, paintGrid } from "./heatmap.js";

export class MapGrid {
  /**
   * @param {Document} doc
   * @param {{title: string, table: Uint8ClampedArray, columns: number,
   *   onPick: (grid: MapGrid, index: number) => void}} options the caption; the colour
   *   table (heatmap.js); maps per row; told which map to enlarge (-1: none), and again
   *   when the picked map's values change.
   */
  constructor(doc, { title, table, columns, onPick }) {
    this.table = table;
    this.columns = columns;
    this.onPick = onPick;
    this.layout = null;
    this.values = null;
    this.strongest = 0;
    this.picked = -1;
    this.focused = false;

    this.figure = doc.createElement("figure");
    this.figure.className = "map-grid";
    const frame = doc.createElement("span");
    frame.className = "grid-frame";
    this.canvas = doc.createElement("canvas");
    this.canvas.tabIndex = 0;
    this.canvas.setAttribute("role", "img");
    this.cursor = doc.createElement("span");
    this.cursor.className = "map-cursor";
    this.cursor.hidden = true;
    frame.append(this.canvas, this.cursor);
    this.caption = doc.createElement("figcaption");
    this.caption.textContent = title;
    this.figure.append(frame, this.caption);
    this.#listen();
  }

  /**
   * Paint new maps (the picked one stays picked, and the enlarged view follows).
   * @param {{values: Uint8Array, count: number, height: number, width: number,
   *   strongest: number, label: string}} maps the bytes (map after map, row by row), their
   *   count and size, the strongest map's index, and the summary a screen reader reads.
   */
  show({ values, count, height, width, strongest, label }) {
    const { layout } = this;
    if (!layout || layout.count !== count || layout.height !== height || layout.width !== width) {
      this.layout = new GridLayout(count, height, width, this.columns);
      if (this.picked >= count) this.#pick(-1);
    }
    this.values = values;
    this.strongest = strongest;
    paintGrid(this.canvas, this.layout, values, this.table);
    this.canvas.setAttribute("aria-label", label);
    if (this.picked >= 0) this.#pick(this.picked);
  }

  /** Map ``index``'s place in the grid, as fractions of its size: {left, top, width, height}. */
  box(index) {
    const { pixelWidth, pixelHeight, width, height } = this.layout;
    const { x, y } = this.layout.origin(index);
    return { left: x / pixelWidth, top: y / pixelHeight, width: width / pixelWidth, height: height / pixelHeight };
  }

  /** Let go of the picked map. */
  release() {
    this.#pick(-1);
  }

  #pick(index) {
    this.picked = index;
    this.cursor.hidden = index < 0;
    if (index >= 0) {
      const { left, top, width, height } = this.box(index);
      Object.assign(this.cursor.style, {
        left: `${left * 100}%`,
        top: `${top * 100}%`,
        width: `${width * 100}%`,
        height: `${height * 100}%`,
      });
    }
    this.onPick(this, index);
  }

  #listen() {
    const { canvas } = this;
    const at = (event) => {
      if (!this.layout) return -1;
      return this.layout.indexAt(event.offsetX / canvas.clientWidth, event.offsetY / canvas.clientHeight);
    };
    const follow = (event) => {
      const index = at(event);
      if (index >= 0 && index !== this.picked) this.#pick(index);
    };
    canvas.addEventListener("pointermove", follow);
    canvas.addEventListener("pointerdown", follow); // a tap
    canvas.addEventListener("pointerleave", (event) => {
      // The mouse has moved away; a tapped map stays enlarged until another tap.
      if (event.pointerType === "mouse" && !this.focused) this.#pick(-1);
    });
    canvas.addEventListener("focus", () => {
      this.focused = true;
      if (this.layout) this.#pick(this.picked >= 0 ? this.picked : this.strongest);
    });
    canvas.addEventListener("blur", () => {
      this.focused = false;
      this.#pick(-1);
    });
    canvas.addEventListener("keydown", (event) => {
      if (!this.layout) return;
      const { count, columns } = this.layout;
      const from = this.picked >= 0 ? this.picked : this.strongest;
      const moves = {
        ArrowLeft: from - 1,
        ArrowRight: from + 1,
        ArrowUp: from - columns,
        ArrowDown: from + columns,
        Home: 0,
        End: count - 1,
        Enter: from,
        " ": from,
      };
      if (event.key === "Escape" && this.picked >= 0) {
        this.#pick(-1);
      } else if (event.key in moves) {
        this.#pick(Math.max(0, Math.min(count - 1, moves[event.key])));
      } else {
        return;
      }
      event.preventDefault();
      event.stopPropagation(); // Esc here lets go of the map; it does not clear the pad
    });
  }
}
