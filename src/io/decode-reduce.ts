// Reducing a huge image while it decodes, so that it never exists at full size: the decoders hand
// each output row (in any order: Adam7 passes come out of row order) to a BoxReducer, which adds
// its pixels into integer sums, one per cell of about k×k pixels, and the cells' means are the
// image the run gets. Sums of integers do not depend on the order they arrive in, so every decoder
// and every pass order gives the same bytes. Only images over HUGE_IMAGE_PIXELS take this path;
// the others are decoded whole, exactly as before.

import type { RgbaImage } from '../style/image-tensor.js';

/**
 * Images with more pixels than this (50 megapixels, 200 MB as 8-bit RGBA) are reduced while they
 * decode when the run needs far fewer; at or under it they are decoded whole, byte for byte as
 * before, so ordinary photos (up to ~48 MP cameras) give the results they always gave.
 */
export const HUGE_IMAGE_PIXELS = 50_000_000;

/**
 * The reduced image's short side is at least this many times the largest side the run needs, so
 * the device's area reduction that follows (src/kernels/image_reduce.ts) averages at least 8×8
 * cells into each output pixel. The two reductions are one area reduction whose footprints have
 * soft edges: a cell straddling an output pixel's edge gives all its pixels the weight of its
 * overlap, which moves up to 1 / margin of the weight and so errs by up to 255 / margin + 0.5
 * steps (the half for rounding the cells). Smooth images stay under one step; high-detail ones do
 * not (an XOR pattern of 7201×7199, at most: 12.9/255 at margin 4, 7.9–9.1 at 7–8, 3.7 at 16),
 * so the margin is as large as memory allows for large runs, and small runs get REDUCE_MIN_SIDE.
 */
export const REDUCE_MARGIN = 8;

/**
 * The reduced image's short side is never under this, whatever the run's size: a 64 px run keeps
 * at least 1536 px (a margin of 24; the XOR pattern within 1.3/255), and the cells of a 196 MP
 * Adam7 PNG, kept as sums until its last pass (24 bytes each, 58 MB), read in 186 MiB, well within
 * test/image-bombs' 300 MiB (2048 px: 131 MB of sums, 267–275 MiB).
 */
export const REDUCE_MIN_SIDE = 1536;

/** The short side a huge image is reduced to for a run whose largest side is `largestSide`, at --style-scale `styleScale`. */
export function reducedMinSide(largestSide: number, styleScale: number): number {
  return Math.max(REDUCE_MIN_SIDE, Math.ceil(REDUCE_MARGIN * Math.max(1, styleScale) * largestSide));
}

export interface ReduceRequest {
  /** The reduced image's short side must be at least this (reducedMinSide). */
  minSide: number;
  /** Only images with more pixels than this are reduced (default HUGE_IMAGE_PIXELS; tests lower it). */
  abovePixels?: number;
}

/** An image reduced while decoding: its pixels, and the size of the image it came from. */
export interface ReducedImage extends RgbaImage {
  reducedFrom?: { width: number; height: number };
}

/**
 * The cell side k for a width×height image (1: decode it whole): the largest that keeps the short
 * side at least `minSide`, for images over the request's abovePixels only, and only when it halves at least.
 */
export function cellSide(width: number, height: number, request: ReduceRequest | undefined): number {
  if (!request || width * height <= (request.abovePixels ?? HUGE_IMAGE_PIXELS)) return 1;
  const k = Math.floor(Math.min(width, height) / Math.max(1, request.minSide));
  return k >= 2 ? k : 1;
}

/**
 * Sums RGBA rows into cells: a width×height image becomes ceil(width / k) × ceil(height / k) cells,
 * each covering exactly width / cellsWide × height / cellsHigh pixels (about k: a pixel on a cell's
 * border is shared by its area), so the reduced image keeps the geometry exactly, as an area
 * reduction does. In units of 1/cellsWide pixel (1/cellsHigh down) every edge is an integer, so the
 * sums are exact integers (under 2^53 for any image under 17 million megapixels) and order-free. Rows
 * that arrive in order (`inOrder`) need two rows of cells, finished as rows go past them; others
 * (Adam7's passes) keep a sum for every cell until the end. Alpha is ignored: every decoded pixel
 * is opaque.
 */
export class BoxReducer {
  readonly width: number;
  readonly height: number;
  private readonly out: Uint8Array;
  /** Three sums per cell of `window` rows of cells, row r in slot r % window. */
  private readonly sums: Float64Array;
  private readonly window: number;
  /** The first row of cells not yet written out. */
  private next = 0;
  /** One image row's sums per cell column, weighted across. */
  private readonly across: Float64Array;
  /** Each image column's first cell and its overlap with it (the rest goes to the next cell). */
  private readonly cellOfX: Int32Array;
  private readonly weightOfX: Int32Array;

  constructor(
    private readonly fullWidth: number,
    private readonly fullHeight: number,
    k: number,
    inOrder: boolean,
  ) {
    this.width = Math.ceil(fullWidth / k);
    this.height = Math.ceil(fullHeight / k);
    this.out = new Uint8Array(this.width * this.height * 4);
    this.window = inOrder ? Math.min(2, this.height) : this.height;
    this.sums = new Float64Array(this.window * this.width * 3);
    this.across = new Float64Array(this.width * 3);
    // Column x spans [x·w, (x+1)·w) in these units, cell c spans [c·W, (c+1)·W).
    const [W, w] = [fullWidth, this.width];
    this.cellOfX = Int32Array.from({ length: W }, (_, x) => Math.floor((x * w) / W));
    this.weightOfX = Int32Array.from({ length: W }, (_, x) => Math.min((this.cellOfX[x]! + 1) * W, (x + 1) * w) - x * w);
  }

  /** Adds `count` RGBA pixels of image row y, at columns x0, x0 + dx, …, from `rgba` (4 bytes each). */
  add(y: number, x0: number, dx: number, rgba: Uint8Array, count: number): void {
    const { across, cellOfX, weightOfX, width: w } = this;
    across.fill(0);
    for (let i = 0, x = x0; i < count; i++, x += dx) {
      const [c, first] = [cellOfX[x]! * 3, weightOfX[x]!];
      const rest = w - first;
      for (let ch = 0; ch < 3; ch++) {
        const v = rgba[4 * i + ch]!;
        across[c + ch]! += v * first;
        if (rest > 0) across[c + 3 + ch]! += v * rest;
      }
    }
    // Row y spans [y·h, (y+1)·h), cell row r spans [r·H, (r+1)·H).
    const [H, h] = [this.fullHeight, this.height];
    const r = Math.floor((y * h) / H);
    const first = Math.min((r + 1) * H, (y + 1) * h) - y * h;
    if (this.window < h) {
      if (r < this.next) throw new Error(`image row ${y} arrived after the rows below it were finished`);
      for (; this.next < r; this.next++) this.finish(this.next);
    }
    this.addRow(r, first);
    if (first < h) this.addRow(r + 1, h - first);
  }

  /** The reduced image (each cell's mean, rounded half up, in integers; alpha 255) and the size it came from. */
  image(): ReducedImage {
    for (; this.next < this.height; this.next++) this.finish(this.next);
    return { width: this.width, height: this.height, data: this.out, reducedFrom: { width: this.fullWidth, height: this.fullHeight } };
  }

  /** Reduces an image already decoded whole (jpeg-js's), the same way. */
  static reduce(image: RgbaImage, k: number): ReducedImage {
    const reducer = new BoxReducer(image.width, image.height, k, true);
    const rowBytes = image.width * 4;
    for (let y = 0; y < image.height; y++) reducer.add(y, 0, 1, image.data.subarray(y * rowBytes, (y + 1) * rowBytes), image.width);
    return reducer.image();
  }

  private addRow(r: number, weight: number): void {
    const at = (r % this.window) * this.width * 3;
    const { sums, across } = this;
    for (let i = 0; i < across.length; i++) sums[at + i]! += across[i]! * weight;
  }

  /** Writes out row r of cells and clears its slot. */
  private finish(r: number): void {
    const area = this.fullWidth * this.fullHeight; // a cell's, in these units
    const at = (r % this.window) * this.width * 3;
    for (let c = 0; c < this.width; c++) {
      const o = (r * this.width + c) * 4;
      for (let ch = 0; ch < 3; ch++) this.out[o + ch] = Math.floor((2 * this.sums[at + 3 * c + ch]! + area) / (2 * area));
      this.out[o + 3] = 255;
    }
    this.sums.fill(0, at, at + this.width * 3);
  }
}
