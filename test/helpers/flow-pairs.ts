// Image pairs with known motion for the optical flow's tests and bench/flow_epe.ts. The motion is
// an affine map T about the picture's centre (content at x moves to T(x)): `from` samples a
// picture at whole pixels, `to` samples it at T⁻¹(y), so the true flow from `from` to `to` is
// w(x) = T(x) − x everywhere. Pictures: a smooth random texture (a function, exact anywhere) or a
// real photo (bicubic between its pixels, area-reduced first). Pixels are 8-bit, as video frames are.

import type { RgbaImage } from '../../src/style/image-tensor.js';
import { uniformRandom } from '../../src/util/random.js';

/** A picture as a function: RGB in 0..1 at a point (x, y) in pixels. */
export type Picture = (x: number, y: number) => [number, number, number];

export interface Motion {
  name: string;
  /** x' = a·(x − c) + c + d, with a the 2×2 matrix [[a00, a01], [a10, a11]]. */
  a: [number, number, number, number];
  d: [number, number];
}

export const translation = (dx: number, dy: number): Motion => ({ name: `translation (${dx}, ${dy}) px`, a: [1, 0, 0, 1], d: [dx, dy] });
export const zoom = (factor: number): Motion => ({ name: `zoom ×${factor}`, a: [factor, 0, 0, factor], d: [0, 0] });
export function rotation(degrees: number): Motion {
  const r = (degrees * Math.PI) / 180;
  return { name: `rotation ${degrees}°`, a: [Math.cos(r), -Math.sin(r), Math.sin(r), Math.cos(r)], d: [0, 0] };
}

/** The three motions of the issue's measurement: a subpixel translation, a 4 % zoom, a 3° rotation. */
export const ISSUE_MOTIONS: readonly Motion[] = [translation(1.4, -0.6), zoom(1.04), rotation(3)];

/** A smooth random texture: a sum of sinusoids of random directions, wavelengths 6–40 px and phases. */
export function smoothTexture(seed: number): Picture {
  const next = uniformRandom(seed);
  const waves = Array.from({ length: 24 }, () => {
    const angle = next() * 2 * Math.PI;
    const k = (2 * Math.PI) / (6 + 34 * next());
    return { kx: k * Math.cos(angle), ky: k * Math.sin(angle), phase: next() * 2 * Math.PI, channel: [next(), next(), next()] };
  });
  return (x, y) => {
    const rgb: [number, number, number] = [0.5, 0.5, 0.5];
    for (const w of waves) {
      const s = Math.sin(w.kx * x + w.ky * y + w.phase) / 12;
      for (let c = 0; c < 3; c++) rgb[c]! += s * (w.channel[c]! - 0.3);
    }
    return rgb;
  };
}

/** The photo `image` area-reduced so its shorter side is `side`, as a bicubic (Keys, a = −0.5) picture, edges clamped. */
export function photoPicture(image: RgbaImage, side: number): { picture: Picture; width: number; height: number } {
  const scale = Math.min(image.width, image.height) / side;
  const [width, height] = [Math.floor(image.width / scale), Math.floor(image.height / scale)];
  const planes = [0, 1, 2].map(() => new Float64Array(width * height));
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const [x0, y0] = [Math.floor(x * scale), Math.floor(y * scale)];
      const [x1, y1] = [Math.max(x0 + 1, Math.floor((x + 1) * scale)), Math.max(y0 + 1, Math.floor((y + 1) * scale))];
      for (let c = 0; c < 3; c++) {
        let sum = 0;
        for (let yy = y0; yy < y1; yy++) for (let xx = x0; xx < x1; xx++) sum += image.data[4 * (yy * image.width + xx) + c]!;
        planes[c]![y * width + x] = sum / ((x1 - x0) * (y1 - y0) * 255);
      }
    }
  const keys = (t: number) => {
    const s = Math.abs(t);
    return s < 1 ? 1.5 * s ** 3 - 2.5 * s ** 2 + 1 : s < 2 ? -0.5 * s ** 3 + 2.5 * s ** 2 - 4 * s + 2 : 0;
  };
  const at = (plane: Float64Array, x: number, y: number) =>
    plane[Math.min(Math.max(y, 0), height - 1) * width + Math.min(Math.max(x, 0), width - 1)]!;
  const picture: Picture = (x, y) => {
    const [fx, fy] = [Math.floor(x), Math.floor(y)];
    const rgb: [number, number, number] = [0, 0, 0];
    for (let j = -1; j <= 2; j++)
      for (let i = -1; i <= 2; i++) {
        const weight = keys(x - fx - i) * keys(y - fy - j);
        if (weight !== 0) for (let c = 0; c < 3; c++) rgb[c]! += weight * at(planes[c]!, fx + i, fy + j);
      }
    return rgb;
  };
  return { picture, width, height };
}

export interface FlowPair {
  from: RgbaImage;
  to: RgbaImage;
  /** The true flow from `from` to `to`, planar [u…, v…]. */
  truth: Float64Array;
}

function render(size: number, sample: (x: number, y: number) => [number, number, number]): RgbaImage {
  const data = new Uint8Array(4 * size * size);
  for (let y = 0; y < size; y++)
    for (let x = 0; x < size; x++) {
      const rgb = sample(x, y);
      for (let c = 0; c < 3; c++) data[4 * (y * size + x) + c] = Math.round(255 * Math.min(Math.max(rgb[c]!, 0), 1));
      data[4 * (y * size + x) + 3] = 255;
    }
  return { width: size, height: size, data };
}

/** A size × size pair of `picture` moved by `motion`, cut at (left, top) of the picture. */
export function makePair(picture: Picture, size: number, motion: Motion, left = 0, top = 0): FlowPair {
  const [a00, a01, a10, a11] = motion.a;
  const c = (size - 1) / 2;
  const det = a00 * a11 - a01 * a10;
  const inverse = (x: number, y: number): [number, number] => {
    const [px, py] = [x - c - motion.d[0], y - c - motion.d[1]];
    return [(a11 * px - a01 * py) / det + c, (-a10 * px + a00 * py) / det + c];
  };
  const truth = new Float64Array(2 * size * size);
  for (let y = 0; y < size; y++)
    for (let x = 0; x < size; x++) {
      const [px, py] = [x - c, y - c];
      truth[y * size + x] = a00 * px + a01 * py + c + motion.d[0] - x;
      truth[size * size + y * size + x] = a10 * px + a11 * py + c + motion.d[1] - y;
    }
  return {
    from: render(size, (x, y) => picture(left + x, top + y)),
    to: render(size, (x, y) => {
      const [sx, sy] = inverse(x, y);
      return picture(left + sx, top + sy);
    }),
    truth,
  };
}

/** The border left out of an EPE: the largest true displacement, rounded up, plus 4 px (matches that leave the frame). */
export function epeMargin(truth: Float64Array, size: number): number {
  let max = 0;
  for (let i = 0; i < size * size; i++) max = Math.max(max, Math.hypot(truth[i]!, truth[size * size + i]!));
  return Math.ceil(max) + 4;
}

/** Mean end-point error of `flow` (planar) against `truth` over the pixels at least `margin` from the border. */
export function endPointError(flow: ArrayLike<number>, truth: Float64Array, size: number, margin = epeMargin(truth, size)): number {
  let [sum, count] = [0, 0];
  const n = size * size;
  for (let y = margin; y < size - margin; y++)
    for (let x = margin; x < size - margin; x++) {
      const i = y * size + x;
      sum += Math.hypot(flow[i]! - truth[i]!, flow[n + i]! - truth[n + i]!);
      count++;
    }
  return sum / count;
}
