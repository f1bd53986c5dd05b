// Clips with known motion, and the warping error of a stylised clip (Lai et al. 2018). A camera
// pans over a background by whole pixels while an object (a patch of another image) moves the other
// way, so that for every pixel of frame t the pixel of frame t−1 showing the same scene point is
// known exactly, or known not to exist (the object covers it, or it entered at the border).

import type { RgbaImage } from '../../src/style/image-tensor.js';

export interface ClipSpec {
  width: number;
  height: number;
  frames: number;
  /** The camera moves right by this many pixels a frame: the background moves left. */
  pan: number;
  /** A patch moving right by `speed` pixels a frame, its top-left corner at (x, y) in frame 0; it must stay inside the frame. */
  object?: { image: RgbaImage; x: number; y: number; speed: number };
}

export interface Clip {
  frames: RgbaImage[];
  /** For frame t ≥ 1 (index t − 1): per pixel of frame t, the index of the pixel of frame t−1 showing the same scene point, or −1. */
  previous: Int32Array[];
}

/** The clip `spec` describes over `background` (at least width + pan·(frames − 1) wide). */
export function makeClip(background: RgbaImage, spec: ClipSpec): Clip {
  const { width: W, height: H, frames: n, pan, object } = spec;
  if (background.width < W + pan * (n - 1) || background.height < H) throw new Error('the background is too small for the pan');
  if (object && (object.x + object.speed * (n - 1) + object.image.width > W || object.y + object.image.height > H))
    throw new Error('the object leaves the frame');
  const inObject = (t: number, x: number, y: number) =>
    !!object &&
    x >= object.x + object.speed * t &&
    x < object.x + object.speed * t + object.image.width &&
    y >= object.y &&
    y < object.y + object.image.height;
  const frames: RgbaImage[] = [];
  const previous: Int32Array[] = [];
  for (let t = 0; t < n; t++) {
    const data = new Uint8Array(W * H * 4);
    const prev = new Int32Array(W * H).fill(-1);
    for (let y = 0; y < H; y++)
      for (let x = 0; x < W; x++) {
        const i = y * W + x;
        if (inObject(t, x, y)) {
          const [ox, oy] = [x - object!.x - object!.speed * t, y - object!.y];
          data.set(object!.image.data.subarray((oy * object!.image.width + ox) * 4, (oy * object!.image.width + ox) * 4 + 4), i * 4);
          if (t > 0) prev[i] = i - object!.speed;
        } else {
          const j = (y * background.width + x + pan * t) * 4;
          data.set(background.data.subarray(j, j + 4), i * 4);
          // The same background point was pan pixels further right, unless the object hid it or it entered.
          if (t > 0 && x + pan < W && !inObject(t - 1, x + pan, y)) prev[i] = i + pan;
        }
      }
    frames.push({ width: W, height: H, data });
    if (t > 0) previous.push(prev);
  }
  return { frames, previous };
}

/**
 * Lai et al.'s warping error: per frame t ≥ 1, the mean over the pixels whose motion is known of
 * the squared difference (RGB in 0..1, mean over the channels) between output t and output t−1 at
 * the same scene point; then the mean over the frames.
 */
export function warpingError(outputs: readonly RgbaImage[], clip: Clip): number {
  let total = 0;
  for (let t = 1; t < outputs.length; t++) {
    const [now, before, prev] = [outputs[t]!.data, outputs[t - 1]!.data, clip.previous[t - 1]!];
    let sum = 0;
    let count = 0;
    for (let i = 0; i < prev.length; i++) {
      const j = prev[i]!;
      if (j < 0) continue;
      for (let c = 0; c < 3; c++) sum += ((now[i * 4 + c]! - before[j * 4 + c]!) / 255) ** 2;
      count += 3;
    }
    total += sum / count;
  }
  return total / (outputs.length - 1);
}

/** `image` shrunk by box averaging to cover width×height, then its middle width×height (photos as backgrounds). */
export function cover(image: RgbaImage, width: number, height: number): RgbaImage {
  const scale = Math.min(image.width / width, image.height / height);
  const [w, h] = [Math.floor(image.width / scale), Math.floor(image.height / scale)];
  const data = new Uint8Array(w * h * 4);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const [x0, y0] = [Math.floor(x * scale), Math.floor(y * scale)];
      const [x1, y1] = [Math.max(x0 + 1, Math.floor((x + 1) * scale)), Math.max(y0 + 1, Math.floor((y + 1) * scale))];
      for (let c = 0; c < 4; c++) {
        let sum = 0;
        for (let yy = y0; yy < y1; yy++) for (let xx = x0; xx < x1; xx++) sum += image.data[(yy * image.width + xx) * 4 + c]!;
        data[(y * w + x) * 4 + c] = Math.round(sum / ((x1 - x0) * (y1 - y0)));
      }
    }
  return crop({ width: w, height: h, data }, Math.floor((w - width) / 2), Math.floor((h - height) / 2), width, height);
}

/** The `width`×`height` crop of `image` at (left, top). */
export function crop(image: RgbaImage, left: number, top: number, width: number, height: number): RgbaImage {
  const data = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++)
    data.set(image.data.subarray(((top + y) * image.width + left) * 4, ((top + y) * image.width + left + width) * 4), y * width * 4);
  return { width, height, data };
}

/** A smooth texture (sums of waves) seen through a window at (ox, oy). */
export function texture(width: number, height: number, ox = 0, oy = 0): RgbaImage {
  const data = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const [X, Y] = [x + ox, y + oy];
      const r = 128 + 60 * Math.sin(X / 3.1 + Y / 5.3) + 40 * Math.cos(Y / 2.7 - X / 7.9);
      const g = 128 + 70 * Math.sin(X / 4.3 - Y / 3.7) + 30 * Math.sin((X * Y) / 40);
      const b = 128 + 50 * Math.cos(X / 2.3 + Y / 6.1) + 50 * Math.sin(Y / 3.3);
      data.set([r, g, b, 255], (y * width + x) * 4);
    }
  return { width, height, data };
}
