// The bilinear warp out(x) = image(x + flow(x)) (src/kernels/warp.ts, the sample point clamped to
// the image) and its gradient wrt the image (src/kernels/warp_backward.ts): float64 oracle and
// finite differences on random flows with subpixel parts, some pointing outside the image (the
// clamp); the flow convention on a known shift; many outputs sampling one pixel (the atomic adds);
// through the tape (ops.warp); broken shaders that must fail.

import { describe, expect, it } from 'vitest';
import type { DeviceTensor, GpuContext } from '../src/gpu/index.js';
import { ops, Tape, Tensor } from '../src/graph/index.js';
import { warpBackward, warpForward } from '../src/kernels/index.js';
import { withBrokenShader } from './helpers/broken-shader.js';
import { expectClose, relativeError } from './helpers/compare.js';
import { useGpu } from './helpers/gpu.js';
import { describeDifferentiable, EXACT_TOLERANCE, shape4 } from './helpers/kernel-check.js';
import * as oracle from './helpers/oracle-video.js';
import { randomArray, size } from './helpers/random.js';

type Shape = [number, number, number, number];

/** A flow [1, 2, H, W] of uniform values in ±reach pixels (f32, subpixel parts almost surely). */
const randomFlow = ([, , h, w]: Shape, reach: number, seed: number) => randomArray(2 * h * w, seed, reach);

/** A flow of one constant vector (u, v). */
const constantFlow = ([, , h, w]: Shape, u: number, v: number) => Float64Array.from({ length: 2 * h * w }, (_, i) => (i < h * w ? u : v));

const flowShape = ([, , h, w]: Shape) => [1, 2, h, w];

/** Runs `fn` on the flow uploaded, and releases it. */
function withFlow(ctx: GpuContext, shape: Shape, flow: ArrayLike<number>, fn: (flow: DeviceTensor) => DeviceTensor): DeviceTensor {
  const ft = ctx.upload(flowShape(shape), flow);
  const out = fn(ft);
  ft.release();
  return out;
}

async function warped(ctx: GpuContext, shape: Shape, image: ArrayLike<number>, flow: ArrayLike<number>): Promise<Float32Array> {
  const it = ctx.upload(shape, image);
  const out = withFlow(ctx, shape, flow, (ft) => warpForward(ctx, it, ft));
  const values = await out.read();
  it.release();
  out.release();
  return values;
}

async function gradient(ctx: GpuContext, shape: Shape, flow: ArrayLike<number>, dOut: ArrayLike<number>): Promise<Float32Array> {
  const dt = ctx.upload(shape, dOut);
  const grad = withFlow(ctx, shape, flow, (ft) => warpBackward(ctx, ft, dt));
  const values = await grad.read();
  dt.release();
  grad.release();
  return values;
}

const CASES: Array<[string, Shape, Float64Array]> = [
  // ±2.5 px on 6×7: subpixel everywhere; pixels near the edges sample outside (the clamp).
  ['random ±2.5 px', [1, 3, 6, 7], randomFlow([1, 3, 6, 7], 2.5, 81)],
  // ±6 px on 5×4: most sample points outside, many outputs share the border pixels' taps.
  ['random ±6 px, mostly outside', [2, 2, 5, 4], randomFlow([2, 2, 5, 4], 6, 82)],
  ['a subpixel translation (0.3, -1.7)', [1, 3, 5, 6], constantFlow([1, 3, 5, 6], 0.3, -1.7)],
  ['one row, ±1.5 px', [1, 2, 1, 9], randomFlow([1, 2, 1, 9], 1.5, 83)],
];

describe('warp', () => {
  const gpu = useGpu();
  // The warp is linear in the image (the flow, a constant, places the bilinear weights), so the
  // differences see no kink at any step.
  for (const [what, shape, flow] of CASES) {
    describeDifferentiable(gpu, {
      name: `warp [${shape}] ${what}`,
      inputShape: shape,
      outputShape: shape,
      input: randomArray(size(shape), 84),
      forward: (ctx, image) => withFlow(ctx, shape, flow, (ft) => warpForward(ctx, image, ft)),
      backward: (ctx, _image, dOut) => withFlow(ctx, shape, flow, (ft) => warpBackward(ctx, ft, dOut)),
      oracle: (image) => oracle.warp(image, shape4(shape), flow),
      oracleBackward: (_image, dOut) => oracle.warpGrad(shape4(shape), flow, dOut),
    });
  }

  it("brings B into A's frame with the flow from A to B: B = A moved 2 px right and 1 down, flow (2, 1)", async () => {
    const shape: Shape = [1, 1, 6, 8];
    const a = randomArray(48, 85);
    // B(x, y) = A(x − 2, y − 1), so A(x, y) = B(x + 2, y + 1): the flow from A to B is (2, 1).
    const b = Float64Array.from(a, (_, i) => {
      const [y, x] = [Math.floor(i / 8), i % 8];
      return y >= 1 && x >= 2 ? a[(y - 1) * 8 + x - 2]! : 0;
    });
    const out = await warped(gpu(), shape, b, constantFlow(shape, 2, 1));
    for (let y = 0; y < 5; y++) for (let x = 0; x < 6; x++) expect(out[y * 8 + x], `(${x}, ${y})`).toBe(Math.fround(a[y * 8 + x]!));
  });

  it('reads the nearest border pixel where the sample point is outside the image', async () => {
    const shape: Shape = [1, 2, 3, 4];
    const image = randomArray(24, 86);
    const left = await warped(gpu(), shape, image, constantFlow(shape, -100, 0.5));
    const corner = await warped(gpu(), shape, image, constantFlow(shape, 100, 100));
    for (let c = 0; c < 2; c++)
      for (let y = 0; y < 3; y++)
        for (let x = 0; x < 4; x++) {
          const i = c * 12 + y * 4 + x;
          const below = Math.min(y + 1, 2);
          expect(left[i]).toBeCloseTo(0.5 * image[c * 12 + y * 4]! + 0.5 * image[c * 12 + below * 4]!, 6);
          expect(corner[i]).toBe(Math.fround(image[c * 12 + 11]!));
        }
  });

  it('reads a flow component that is not finite as no motion, in both directions', async () => {
    const shape: Shape = [1, 2, 3, 4];
    const image = randomArray(24, 92);
    const flow = constantFlow(shape, 0.5, 0.25);
    const bad = [NaN, Infinity, -Infinity];
    bad.forEach((v, k) => (flow[k] = v)); // u of pixels (0..2, 0)
    flow[12 + 3] = NaN; // v of pixel (3, 0)
    const expected = oracle.warp(image, shape4(shape), flow);
    for (let k = 0; k < 3; k++) expect(expected[k], 'the oracle: u = 0, v = 0.25').toBeCloseTo(0.75 * image[k]! + 0.25 * image[4 + k]!, 12);
    const out = await warped(gpu(), shape, image, flow);
    expect(out.every(Number.isFinite)).toBe(true);
    expectClose(out, expected, EXACT_TOLERANCE, 'warp of a non-finite flow');
    const dOut = randomArray(24, 93);
    expectClose(await gradient(gpu(), shape, flow, dOut), oracle.warpGrad(shape4(shape), flow, dOut), EXACT_TOLERANCE, 'its gradient');
  });

  it('adds every output that samples one pixel: a 16×16 flow onto the corner sends the whole dOut there', async () => {
    const shape: Shape = [1, 2, 16, 16];
    const dOut = randomArray(512, 87);
    const grad = await gradient(gpu(), shape, constantFlow(shape, -50, -50), dOut);
    for (let c = 0; c < 2; c++) {
      const plane = grad.subarray(c * 256, (c + 1) * 256);
      let sum = 0;
      for (let i = 0; i < 256; i++) sum += dOut[c * 256 + i]!;
      expect(plane[0]).toBeCloseTo(sum, 4);
      expect(plane.subarray(1).every((g) => g === 0)).toBe(true);
    }
  });

  it('ops.warp: its gradient through the tape is the oracle gradient; the flow gets none', async () => {
    const ctx = gpu();
    const [, shape, flow] = CASES[0]!;
    const image = randomArray(size(shape), 88);
    const target = randomArray(size(shape), 89);
    const tape = new Tape(ctx);
    const x = Tensor.leaf(ctx.upload(shape, image), true, 'image');
    const ft = ctx.upload(flowShape(shape), flow);
    const y = ops.warp(tape, x, ft);
    const goal = Tensor.leaf(ctx.upload(shape, target));
    const [dx] = tape.backward(ops.mse(tape, y, goal), [x]);
    const w = oracle.warp(image, shape4(shape), flow);
    const dy = w.map((v, i) => (2 * (v - target[i]!)) / w.length);
    expectClose(await dx!.read(), oracle.warpGrad(shape4(shape), flow, dy), EXACT_TOLERANCE, 'ops.warp gradient');
    tape.dispose();
    for (const t of [dx!, x.value, ft, goal.value]) t.release();
  });

  it('refuses a flow that is not [1, 2, H, W] for the image', () => {
    const ctx = gpu();
    expect(() => warpBackward(ctx, ctx.zeros([1, 2, 4, 5]), ctx.zeros([1, 3, 5, 4]))).toThrow(
      /warp_backward: flow must have shape \[1,2,5,4\] for image \[1,3,5,4\], got \[1,2,4,5\]/,
    );
  });
});

describe('a broken warp fails the oracle', () => {
  const gpu = useGpu();
  const [, shape, flow] = CASES[1]!;
  const image = randomArray(size(shape), 90);
  const dOut = randomArray(size(shape), 91);
  // The taps (lib/warp_taps) are shared: a fault there is checked through both kernels.
  const CLAMP_X = 'clamp(f32(col) + finite_or_zero(flow[pixel]), 0.0, f32(p.width - 1u))';
  const SWAP = ['tx * (1.0 - ty), (1.0 - tx) * ty', '(1.0 - tx) * ty, tx * (1.0 - ty)'];
  const BREAKS: Array<[string, 'warp_forward' | 'warp_backward', string, string, string]> = [
    ['taps without the clamp in x (forward)', 'warp_forward', 'lib/warp_taps', CLAMP_X, 'f32(col) + flow[pixel]'],
    ['taps without the clamp in x (backward)', 'warp_backward', 'lib/warp_taps', CLAMP_X, 'f32(col) + flow[pixel]'],
    ['taps with the top-right and bottom-left weights swapped (forward)', 'warp_forward', 'lib/warp_taps', SWAP[0]!, SWAP[1]!],
    ['taps with the top-right and bottom-left weights swapped (backward)', 'warp_backward', 'lib/warp_taps', SWAP[0]!, SWAP[1]!],
    [
      'forward reading the taps in reverse order',
      'warp_forward',
      'warp_forward',
      'image[base + t.index[k]]',
      'image[base + t.index[3u - k]]',
    ],
    ['backward sending each weight to the next tap', 'warp_backward', 'warp_backward', 'd * t.weight[k]', 'd * t.weight[(k + 1u) % 4u]'],
    [
      'backward with a plain load and store instead of the compare-exchange loop',
      'warp_backward',
      'warp_backward',
      'var old = atomicLoad(&grad[index]);',
      'atomicStore(&grad[index], bitcast<u32>(bitcast<f32>(atomicLoad(&grad[index])) + value)); return;\n  var old = 0u;',
    ],
  ];
  for (const [what, shader, source, correct, broken] of BREAKS) {
    it(what, async () => {
      const ctx = withBrokenShader(gpu(), source, correct, broken);
      const [actual, expected] =
        shader === 'warp_forward'
          ? [await warped(ctx, shape, image, flow), oracle.warp(image, shape4(shape), flow)]
          : [await gradient(ctx, shape, flow, dOut), oracle.warpGrad(shape4(shape), flow, dOut)];
      if (process.env.WGPU_STYLE_REPORT_ERRORS)
        console.log(`[error] broken warp (${what}): ${relativeError(actual, expected).toExponential(2)}`);
      expect(relativeError(actual, expected)).toBeGreaterThan(EXACT_TOLERANCE * 10);
    });
  }
});
