// The optical flow (src/flow) end to end: known motions (a subpixel translation, a 4 % zoom, a
// 3° rotation) recovered from a smooth random texture and from a real photo's crop, within stated
// end-point errors; Ruder et al.'s consistency check on flows with an occluding object.
// Shapes stay small (48–64 px): each flow is about 0.1 s on lavapipe.

import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { flowConsistency, opticalFlow, pyramidSizes } from '../src/flow/index.js';
import type { GpuContext } from '../src/gpu/index.js';
import { warpForward } from '../src/kernels/index.js';
import { readImage } from '../src/node/image-files.js';
import { uploadImage, type RgbaImage } from '../src/style/image-tensor.js';
import { withBrokenShader } from './helpers/broken-shader.js';
import { endPointError, ISSUE_MOTIONS, makePair, photoPicture, smoothTexture, translation, type Picture } from './helpers/flow-pairs.js';
import { useGpu } from './helpers/gpu.js';
import { IMAGES, sharedAvailable } from './helpers/shared.js';

async function flowEpe(ctx: GpuContext, picture: Picture, size: number, motion = ISSUE_MOTIONS[0]!, left = 0, top = 0) {
  const pair = makePair(picture, size, motion, left, top);
  const flow = opticalFlow(ctx, uploadImage(ctx, pair.from), uploadImage(ctx, pair.to));
  expect(flow.shape).toEqual([1, 2, size, size]);
  return endPointError(await flow.read(), pair.truth, size);
}

// Measured with the defaults (lavapipe): texture 48 px EPE 0.017 / 0.020 / 0.018 px; tübingen
// 64 px crop 0.041 / 0.032 / 0.124 px. The bounds leave about 2× room over those.
const TEXTURE_EPE = [0.04, 0.05, 0.05];
const PHOTO_EPE = [0.1, 0.1, 0.25];

describe('optical flow', () => {
  const gpu = useGpu();
  const texture = smoothTexture(3);

  ISSUE_MOTIONS.forEach((motion, m) => {
    it(`recovers a ${motion.name} of a smooth texture (48 px) within ${TEXTURE_EPE[m]} px`, async () => {
      expect(await flowEpe(gpu(), texture, 48, motion)).toBeLessThan(TEXTURE_EPE[m]!);
    });
  });

  // The photo decoded and reduced once for the three motions.
  let photo: Picture | undefined;
  ISSUE_MOTIONS.forEach((motion, m) => {
    it(`recovers a ${motion.name} of a photo crop (64 px) within ${PHOTO_EPE[m]} px`, async (test) => {
      const path = join(IMAGES, 'tubingen.jpg');
      if (!sharedAvailable('photo for the flow', path)) return test.skip();
      photo ??= photoPicture(readImage(path), 80).picture;
      expect(await flowEpe(gpu(), photo, 64, motion, 20, 8)).toBeLessThan(PHOTO_EPE[m]!);
    });
  });

  it('gives the reverse flow for the reversed pair', async () => {
    const ctx = gpu();
    const pair = makePair(texture, 48, translation(-2.3, 1.1));
    const [a, b] = [uploadImage(ctx, pair.from), uploadImage(ctx, pair.to)];
    const back = endPointError(
      await opticalFlow(ctx, b, a).read(),
      pair.truth.map((v) => -v),
      48,
    );
    expect(back).toBeLessThan(0.05);
  });

  it("agrees with the warp's convention: warpForward(to, flow from → to) brings `to` back onto `from`", async () => {
    const ctx = gpu();
    const size = 32;
    const pair = makePair(texture, size, translation(1.6, -0.9));
    const [from, to] = [uploadImage(ctx, pair.from), uploadImage(ctx, pair.to)];
    const flow = opticalFlow(ctx, from, to);
    const negated = ctx.upload(
      [1, 2, size, size],
      (await flow.read()).map((v) => -v),
    );
    const want = await from.read();
    // Mean |difference| over the pixels at least 4 px from the border (samples that leave the frame).
    const error = async (f: typeof flow) => {
      const got = await warpForward(ctx, to, f).read();
      let [sum, count] = [0, 0];
      for (let i = 0; i < got.length; i++) {
        const [x, y] = [i % size, Math.floor(i / size) % size];
        if (x >= 4 && x < size - 4 && y >= 4 && y < size - 4) [sum, count] = [sum + Math.abs(got[i]! - want[i]!), count + 1];
      }
      return sum / count;
    };
    // Measured: 0.0020 with the flow, 0.059 with it negated.
    const [right, wrong] = [await error(flow), await error(negated)];
    expect(right).toBeLessThan(0.01);
    expect(wrong).toBeGreaterThan(10 * right);
  });

  it('takes grey images [1, 1, H, W] as it takes RGB ones', async () => {
    const ctx = gpu();
    const pair = makePair(texture, 32, translation(0.7, 0.4));
    const luma = (image: RgbaImage) =>
      Float32Array.from(
        { length: 32 * 32 },
        (_, i) => (0.299 * image.data[4 * i]! + 0.587 * image.data[4 * i + 1]! + 0.114 * image.data[4 * i + 2]!) / 255,
      );
    const grey = await opticalFlow(ctx, ctx.upload([1, 1, 32, 32], luma(pair.from)), ctx.upload([1, 1, 32, 32], luma(pair.to))).read();
    const rgb = await opticalFlow(ctx, uploadImage(ctx, pair.from), uploadImage(ctx, pair.to)).read();
    expect(Math.max(...grey.map((v, i) => Math.abs(v - rgb[i]!)))).toBeLessThan(1e-3);
  });

  it('a broken linearisation (rho_c without the -∇I1·u0 term) misses the motion', async () => {
    const broken = withBrokenShader(gpu(), 'flow_warp_data', 'value - dot(g, u0) - i0[i]', 'value - i0[i]');
    expect(await flowEpe(broken, texture, 48)).toBeGreaterThan(0.3);
  });

  it('halves the pyramid down to the coarsest side', () => {
    expect(pyramidSizes(64, 100, 16)).toEqual([
      [64, 100],
      [32, 50],
      [16, 25],
    ]);
    expect(pyramidSizes(20, 20, 16)).toEqual([[20, 20]]);
  });

  it('refuses images of different shapes and bad options', () => {
    const ctx = gpu();
    const [a, b] = [ctx.zeros([1, 3, 8, 8]), ctx.zeros([1, 3, 8, 9])];
    expect(() => opticalFlow(ctx, a, b)).toThrow(/same shape/);
    expect(() => opticalFlow(ctx, a, a, { warps: 0 })).toThrow(/warps must be a whole number/);
  });
});

describe('flow consistency (Ruder et al. 2016)', () => {
  const gpu = useGpu();
  const [h, w] = [24, 32];
  // Frame t−1 → t: a 8×8 square at columns 10..17 moves 4 px right (to 14..21), rows 8..15; the background stays.
  const inSquare = (x: number, y: number, left: number) => x >= left && x < left + 8 && y >= 8 && y < 16;
  const flows = () => {
    const back = new Float32Array(2 * h * w); // frame t → t−1
    const fwd = new Float32Array(2 * h * w); // frame t−1 → t
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++) {
        if (inSquare(x, y, 14)) back[y * w + x] = -4;
        if (inSquare(x, y, 10)) fwd[y * w + x] = 4;
      }
    return { back, fwd };
  };

  it('marks the disoccluded strip and the motion boundary unreliable, the rest reliable', async () => {
    const ctx = gpu();
    const { back, fwd } = flows();
    const c = await flowConsistency(ctx, ctx.upload([1, 2, h, w], back), ctx.upload([1, 2, h, w], fwd)).read();
    const at = (x: number, y: number) => c[y * w + x];
    // Background at t that the square covered at t−1 (columns 10..13): the flows disagree.
    for (let y = 8; y < 16; y++) for (let x = 10; x < 14; x++) expect(at(x, y), `disoccluded (${x}, ${y})`).toBe(0);
    // The square's edge columns at t (14 and 21) and the background beside it (13, 22) sit on the motion boundary.
    for (const x of [13, 14, 21, 22]) expect(at(x, 12), `boundary column ${x}`).toBe(0);
    // Inside the square, and background away from it and from the border: reliable.
    for (const [x, y] of [
      [17, 11],
      [18, 12],
      [3, 3],
      [28, 20],
      [12, 4],
    ] as const)
      expect(at(x, y), `(${x}, ${y})`).toBe(1);
  });

  it('on computed flows, marks the strip a moving square uncovers and keeps the rest', async () => {
    const ctx = gpu();
    const [size, background, object] = [48, smoothTexture(5), smoothTexture(9)];
    // A 12×12 square of another texture over a still background, 4 px further right in frame t.
    const frame = (left: number) => {
      const data = new Float32Array(3 * size * size);
      for (let y = 0; y < size; y++)
        for (let x = 0; x < size; x++) {
          const inside = x >= left && x < left + 12 && y >= 18 && y < 30;
          const rgb = inside ? object(x - left, y).map((v) => 1 - v) : background(x, y);
          for (let c = 0; c < 3; c++) data[c * size * size + y * size + x] = Math.min(Math.max(rgb[c]!, 0), 1);
        }
      return ctx.upload([1, 3, size, size], data);
    };
    const [previous, current] = [frame(14), frame(18)];
    const c = await flowConsistency(ctx, opticalFlow(ctx, current, previous), opticalFlow(ctx, previous, current)).read();
    const mean = (keep: (x: number, y: number) => boolean) => {
      const values = Array.from(c).filter((_, i) => keep(i % size, Math.floor(i / size)));
      return values.reduce((a, b) => a + b, 0) / values.length;
    };
    // Measured: 0 over the whole strip, 1 inside the square, 1 on the background away from it.
    expect(
      mean((x, y) => x >= 14 && x < 18 && y >= 18 && y < 30),
      'uncovered strip',
    ).toBe(0);
    expect(
      mean((x, y) => x >= 21 && x < 27 && y >= 21 && y < 27),
      'inside the square',
    ).toBeGreaterThan(0.9);
    const far = (x: number, y: number) => x >= 4 && x < 44 && y >= 4 && y < 44 && (x < 8 || x >= 36 || y < 12 || y >= 36);
    expect(mean(far), 'background away from the square').toBeGreaterThan(0.95);
  });

  it('marks everything unreliable where the two flows point the same way', async () => {
    const ctx = gpu();
    const same = new Float32Array(2 * h * w).fill(1.5);
    const c = await flowConsistency(ctx, ctx.upload([1, 2, h, w], same), ctx.upload([1, 2, h, w], same)).read();
    expect(c.every((v) => v === 0)).toBe(true);
    const opposite = same.map((v) => -v);
    const ok = await flowConsistency(ctx, ctx.upload([1, 2, h, w], same), ctx.upload([1, 2, h, w], opposite)).read();
    // Reliable except where x + w's 2×2 footprint leaves the image: the last 2 columns and rows.
    const expected = Array.from({ length: h * w }, (_, i) => (i % w < w - 2 && Math.floor(i / w) < h - 2 ? 1 : 0));
    expect(Array.from(ok)).toEqual(expected);
  });
});
