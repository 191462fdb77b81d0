// Heatmaps: colour tables, and small maps of bytes painted onto a canvas, one pixel per
// value (CSS scales the canvas up, pixelated), alone or many in a grid.
//
// Values arrive as bytes (recognizer/inside.py): 0..255 between a layer's minimum and
// maximum (SEQUENTIAL), or signed around 128 (DIVERGING: blue below, white at 128, red above).

/** 256 RGB entries, linear between evenly spaced colour stops. */
function colourTable(stops) {
  const table = new Uint8ClampedArray(256 * 3);
  for (let i = 0; i < 256; i++) {
    const at = (i / 255) * (stops.length - 1);
    const low = Math.min(Math.floor(at), stops.length - 2);
    const t = at - low;
    for (let c = 0; c < 3; c++) table[3 * i + c] = stops[low][c] + t * (stops[low + 1][c] - stops[low][c]);
  }
  return table;
}

/** Dark to bright (after matplotlib's "inferno"): activations, 0 at the layer's minimum. */
export const SEQUENTIAL = colourTable([
  [0, 0, 4],
  [40, 11, 84],
  [101, 21, 110],
  [159, 42, 99],
  [212, 72, 66],
  [245, 125, 21],
  [250, 193, 39],
  [252, 255, 164],
]);

/** Blue (against, below 0), white (0, byte 128), red (for, above 0), after ColorBrewer's RdBu. */
export const DIVERGING = colourTable([
  [33, 102, 172],
  [103, 169, 207],
  [209, 229, 240],
  [247, 247, 247],
  [253, 219, 199],
  [239, 138, 98],
  [178, 24, 43],
]);

/** Where each of ``count`` maps of height x width sits in a grid of ``columns``, 1 px apart. */
export class GridLayout {
  constructor(count, height, width, columns) {
    Object.assign(this, { count, height, width });
    this.columns = Math.min(count, columns);
    this.rows = Math.ceil(count / this.columns);
    this.pixelWidth = this.columns * (width + 1) - 1;
    this.pixelHeight = this.rows * (height + 1) - 1;
  }

  /** The top-left pixel of map ``index``: {x, y}. */
  origin(index) {
    const column = index % this.columns;
    const row = Math.floor(index / this.columns);
    return { x: column * (this.width + 1), y: row * (this.height + 1) };
  }

  /** The map under a point given as fractions of the grid's size, or -1 between maps. */
  indexAt(fx, fy) {
    const column = Math.floor((fx * (this.pixelWidth + 1)) / (this.width + 1));
    const row = Math.floor((fy * (this.pixelHeight + 1)) / (this.height + 1));
    if (column < 0 || row < 0 || column >= this.columns || row >= this.rows) return -1;
    const index = row * this.columns + column;
    return index < this.count ? index : -1;
  }
}

/**
 * Paint every map into ``canvas``, sized to the layout (the gaps stay transparent).
 * @param {HTMLCanvasElement} canvas
 * @param {GridLayout} layout
 * @param {Uint8Array} values count * height * width bytes, map after map, row by row.
 * @param {Uint8ClampedArray} table SEQUENTIAL or DIVERGING.
 */
export function paintGrid(canvas, layout, values, table) {
  const { count, height, width, pixelWidth, pixelHeight } = layout;
  if (canvas.width !== pixelWidth || canvas.height !== pixelHeight) {
    Object.assign(canvas, { width: pixelWidth, height: pixelHeight });
  }
  const image = new ImageData(pixelWidth, pixelHeight);
  const { data } = image;
  const side = height * width;
  for (let map = 0; map < count; map++) {
    const { x, y } = layout.origin(map);
    for (let row = 0; row < height; row++) {
      let out = 4 * ((y + row) * pixelWidth + x);
      let from = map * side + row * width;
      for (let column = 0; column < width; column++, out += 4, from++) {
        const colour = 3 * values[from];
        data[out] = table[colour];
        data[out + 1] = table[colour + 1];
        data[out + 2] = table[colour + 2];
        data[out + 3] = 255;
      }
    }
  }
  canvas.getContext("2d").putImageData(image, 0, 0);
}

/**
 * Paint one map of a grid's values into ``canvas``, sized to the map.
 * @param {HTMLCanvasElement} canvas
 * @param {Uint8Array} values maps, map after map, each height * width bytes.
 * @param {number} index which map.
 * @param {number} height
 * @param {number} width
 * @param {Uint8ClampedArray} table
 */
export function paintMap(canvas, values, index, height, width, table) {
  const one = values.subarray(index * height * width, (index + 1) * height * width);
  paintGrid(canvas, new GridLayout(1, height, width, 1), one, table);
}

const INK_SHADE = 0.3; // how much darker a map is where the image has full ink

/**
 * Paint a map of one value per image pixel, darkened where the image has ink, so that the
 * digit shows through where the values are near 0.
 * @param {HTMLCanvasElement} canvas
 * @param {Uint8Array} values height * width bytes.
 * @param {Uint8Array} ink the image: height * width bytes, 0 (none) to 255 (full ink).
 * @param {number} side the image's height and width.
 * @param {Uint8ClampedArray} table
 */
export function paintOverInk(canvas, values, ink, side, table) {
  paintMap(canvas, values, 0, side, side, table);
  const context = canvas.getContext("2d");
  const image = context.getImageData(0, 0, side, side);
  const { data } = image;
  for (let i = 0; i < side * side; i++) {
    const keep = 1 - (INK_SHADE * ink[i]) / 255;
    for (let c = 0; c < 3; c++) data[4 * i + c] *= keep;
  }
  context.putImageData(image, 0, 0);
}
