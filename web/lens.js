// The enlarged map: one map of a grid (map-grid.js), drawn large beside its place in the
// grid, named by its layer, channel and shape. What it shows is also said to screen readers
// (a polite live region), once per map picked, not on every repaint while drawing.

import { paintMap } from "./heatmap.js";

const GAP_PX = 6; // between the map in the grid and its enlargement

export class Lens {
  /**
   * @param {HTMLElement} container positioned element the lens is placed in.
   * @param {HTMLElement} figure the lens: a figure holding a canvas and a figcaption.
   * @param {HTMLElement} live a live region for what the lens shows.
   */
  constructor(container, figure, live) {
    this.container = container;
    this.figure = figure;
    this.canvas = figure.querySelector("canvas");
    this.caption = figure.querySelector("figcaption");
    this.live = live;
    this.said = "";
  }

  /**
   * Enlarge map ``index`` of ``grid`` (index -1: hide the lens).
   * @param {import("./map-grid.js").MapGrid} grid
   * @param {number} index
   * @param {string} text the map's name, channel and shape.
   */
  show(grid, index, text) {
    if (index < 0) {
      this.hide();
      return;
    }
    const { height, width } = grid.layout;
    paintMap(this.canvas, grid.values, index, height, width, grid.table);
    this.caption.textContent = text;
    if (text !== this.said) this.live.textContent = text;
    this.said = text;
    this.figure.hidden = false;
    this.#place(grid, index);
  }

  hide() {
    this.figure.hidden = true;
    this.said = "";
  }

  /** Put the lens below the map in the grid (above it when there is no room below), inside
   * the container's width. */
  #place(grid, index) {
    const area = this.container.getBoundingClientRect();
    const canvas = grid.canvas.getBoundingClientRect();
    const box = grid.box(index);
    const map = {
      left: canvas.left - area.left + box.left * canvas.width,
      top: canvas.top - area.top + box.top * canvas.height,
      bottom: canvas.top - area.top + (box.top + box.height) * canvas.height,
    };
    const { offsetWidth: lensWidth, offsetHeight: lensHeight } = this.figure;
    const left = Math.max(0, Math.min(map.left, area.width - lensWidth));
    const below = map.bottom + GAP_PX;
    const top = below + lensHeight <= area.height || map.top < lensHeight + GAP_PX ? below : map.top - GAP_PX - lensHeight;
    Object.assign(this.figure.style, { left: `${left}px`, top: `${top}px` });
  }
}
