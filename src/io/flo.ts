// Middlebury .flo files (Baker et al. 2011) and their colour coding, browser-safe. A .flo is
// "PIEH" (the float 202021.25, little-endian), the width and height as int32, then per pixel,
// row-major, u and v as float32. Our flows are planar (all u, then all v, as the [1, 2, H, W]
// tensor); the file interleaves them. decodeFlo reads untrusted bytes: every size is checked
// against the byte count before anything is allocated. The values are kept as stored: NaN, ±Inf
// and Middlebury's "unknown" (> 1e9) included, since ground-truth files use them; downstream,
// flowToRgba paints them black, the warp reads a non-finite component as no motion and the
// consistency check never calls such a vector reliable.

import type { RgbaImage } from '../style/image-tensor.js';
import { UserError } from '../util/errors.js';

/** The float every .flo file starts with ("PIEH" read as a little-endian float32). */
export const FLO_MAGIC = 202021.25;
const HEADER_BYTES = 12;
/** Middlebury marks a flow vector unknown with a component above this. */
export const FLO_UNKNOWN = 1e9;

export interface FloFlow {
  width: number;
  height: number;
  /** Planar: width·height values of u (along x), then width·height of v (along y). */
  data: Float32Array;
}

export function encodeFlo(width: number, height: number, data: Float32Array): Uint8Array {
  if (!(Number.isInteger(width) && Number.isInteger(height) && width >= 1 && height >= 1 && width < 2 ** 31 && height < 2 ** 31)) {
    throw new Error(`encodeFlo: size ${width}×${height} must be whole numbers >= 1`);
  }
  const n = width * height;
  if (data.length !== 2 * n) throw new Error(`encodeFlo: ${width}×${height} needs ${2 * n} values (u then v), got ${data.length}`);
  const bytes = new Uint8Array(HEADER_BYTES + 8 * n);
  const view = new DataView(bytes.buffer);
  view.setFloat32(0, FLO_MAGIC, true);
  view.setInt32(4, width, true);
  view.setInt32(8, height, true);
  for (let i = 0; i < n; i++) {
    view.setFloat32(HEADER_BYTES + 8 * i, data[i]!, true);
    view.setFloat32(HEADER_BYTES + 8 * i + 4, data[n + i]!, true);
  }
  return bytes;
}

/** The flow in a .flo file's bytes; `name` (the file) is named in the error when they are not one. */
export function decodeFlo(bytes: Uint8Array, name: string): FloFlow {
  const fix = 'it must be a Middlebury .flo file (as `wgpu-style flow` writes)';
  if (bytes.length < HEADER_BYTES) throw new UserError(`${name}: ${bytes.length} bytes is too short for a .flo header (12 bytes); ${fix}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = view.getFloat32(0, true);
  if (magic !== FLO_MAGIC) throw new UserError(`${name}: starts with ${magic}, not the .flo tag 202021.25 ("PIEH"); ${fix}`);
  const width = view.getInt32(4, true);
  const height = view.getInt32(8, true);
  if (width < 1 || height < 1) throw new UserError(`${name}: size ${width}×${height} in its header is not a picture's; ${fix}`);
  const expected = HEADER_BYTES + 8 * width * height;
  if (bytes.length !== expected) {
    throw new UserError(
      `${name}: a ${width}×${height} flow takes ${expected} bytes, the file has ${bytes.length} (cut short or not a .flo); ${fix}`,
    );
  }
  const n = width * height;
  const data = new Float32Array(2 * n);
  for (let i = 0; i < n; i++) {
    data[i] = view.getFloat32(HEADER_BYTES + 8 * i, true);
    data[n + i] = view.getFloat32(HEADER_BYTES + 8 * i + 4, true);
  }
  return { width, height, data };
}

/** The Middlebury colour wheel: red, yellow, green, cyan, blue, magenta, with these many steps between each two. */
const WHEEL_STEPS = [15, 6, 4, 11, 13, 6];

function colourWheel(): Array<[number, number, number]> {
  const wheel: Array<[number, number, number]> = [];
  // Each segment ramps one channel up or down from the previous key colour.
  const keys: Array<[number, number, number]> = [
    [255, 0, 0],
    [255, 255, 0],
    [0, 255, 0],
    [0, 255, 255],
    [0, 0, 255],
    [255, 0, 255],
  ];
  WHEEL_STEPS.forEach((steps, s) => {
    const [from, to] = [keys[s]!, keys[(s + 1) % keys.length]!];
    for (let i = 0; i < steps; i++)
      wheel.push([0, 1, 2].map((c) => Math.floor(from[c]! + ((to[c]! - from[c]!) * i) / steps)) as [number, number, number]);
  });
  return wheel;
}

/**
 * The flow colour-coded as Middlebury shows it: hue for the direction, saturation for the
 * magnitude relative to `maxMagnitude` (default: the largest known vector's); beyond it the colour
 * darkens. Unknown vectors (a component over 1e9 or not finite) are black.
 */
export function flowToRgba(width: number, height: number, data: Float32Array, maxMagnitude?: number): RgbaImage {
  const n = width * height;
  const known = (i: number) =>
    Number.isFinite(data[i]!) &&
    Number.isFinite(data[n + i]!) &&
    Math.abs(data[i]!) <= FLO_UNKNOWN &&
    Math.abs(data[n + i]!) <= FLO_UNKNOWN;
  let max = maxMagnitude ?? 0;
  if (maxMagnitude === undefined) for (let i = 0; i < n; i++) if (known(i)) max = Math.max(max, Math.hypot(data[i]!, data[n + i]!));
  if (!(max > 0)) max = 1;
  const wheel = colourWheel();
  const out = new Uint8Array(4 * n);
  for (let i = 0; i < n; i++) {
    out[4 * i + 3] = 255;
    if (!known(i)) continue;
    const [u, v] = [data[i]! / max, data[n + i]! / max];
    const radius = Math.hypot(u, v);
    const position = ((Math.atan2(-v, -u) / Math.PI + 1) / 2) * (wheel.length - 1);
    const k0 = Math.floor(position);
    const k1 = (k0 + 1) % wheel.length;
    const f = position - k0;
    for (let c = 0; c < 3; c++) {
      const colour = ((1 - f) * wheel[k0]![c]! + f * wheel[k1]![c]!) / 255;
      const shaded = radius <= 1 ? 1 - radius * (1 - colour) : colour * 0.75;
      out[4 * i + c] = Math.floor(255 * shaded);
    }
  }
  return { width, height, data: out };
}
