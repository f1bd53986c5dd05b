// The image-sized kernels past one binding (a test-only cap, GpuContext.capBinding): Adam's step,
// total variation, channel affine, resize and original colours, banded, against the unbanded
// result (bit for bit where each value's arithmetic is the same; TV's loss, a sum reassociated
// across bands, within f32 rounding) and the float64 oracle; bands of one row at odd sizes; a TV
// banding without its edges or halo fails the same checks. And a style job (Adam) whose image is
// larger than one binding runs to the same image as without the cap.

import { describe, expect, it, vi } from 'vitest';
import type { DeviceTensor, GpuContext } from '../src/gpu/index.js';
import { syntheticWeights } from '../src/io/weights/synthetic.js';
import {
  accumulate,
  adamStep,
  channelAffineBackward,
  channelAffineForward,
  originalColors,
  resize,
  tuningFor,
} from '../src/kernels/index.js';
import { flatChunks, gatherRows, planRowBands, rowBanded } from '../src/kernels/band.js';
import { tvBackward, tvForward, tvWeights } from '../src/kernels/tv.js';
import { runStyleJob } from '../src/style/job.js';
import { planJob } from '../src/plan/plan-job.js';
import { CAFFE_INPUT } from '../src/vgg/index.js';
import { bandedAndPlain, capped, describeBanded, expectLikeUnbanded } from './helpers/banding.js';
import { expectClose, relativeError } from './helpers/compare.js';
import { useGpu } from './helpers/gpu.js';
import { EXACT_TOLERANCE, shape4 } from './helpers/kernel-check.js';
import * as oracle from './helpers/oracle.js';
import { distinctArray, randomArray, size } from './helpers/random.js';

const gpu = useGpu();

// ---- Adam: aligned ranges of its four tensors ----

describe('banding: adam', () => {
  it('updates chunk by chunk to the unbanded bits and the reference update', async () => {
    const ctx = gpu();
    const n = 1037;
    const cap = 1024;
    expect(capped(ctx, cap, () => flatChunks(ctx, n).length)).toBeGreaterThanOrEqual(4);
    const start = randomArray(n, 1);
    const grads = Array.from({ length: 12 }, (_, t) => randomArray(n, 100 + t, t < 3 ? 1e-3 : 2));
    const lrAt = (step: number) => 0.01 * 0.1 ** Math.floor((step - 1) / 6);
    const { banded, plain } = await bandedAndPlain(ctx, cap, () => {
      const [param, m, v] = [ctx.upload([n], start), ctx.zeros([n]), ctx.zeros([n])];
      for (let t = 1; t <= grads.length; t++) {
        const grad = ctx.upload([n], grads[t - 1]!);
        adamStep(ctx, { param, grad, m, v }, t, { lr: lrAt(t) });
        grad.release();
      }
      return [param, m, v];
    });
    for (const [i, name] of ['param', 'm', 'v'].entries()) expectLikeUnbanded(banded[i]!, plain[i]!, 'bits', `adam ${name}`);
    expectClose(banded[0]!, oracle.adam(start, grads, lrAt), 1e-5, 'adam banded vs oracle');
  });
});

// ---- total variation: bands of rows, the edges between them, a halo row for the gradient ----

/** TV bands: sized with a halo row above and below (the forward's 2-row edge tensors, the backward's halo). */
const tvBands = (ctx: GpuContext, shape: number[]) => planRowBands(ctx, 'tv', shape[2]!, [{ t: shape, halo: 1 }]).length;

for (const [shape, caps] of [
  // Rows of 2·3·11·4 = 264 bytes: 800 holds 3 (one row and its halo), 1584 holds 6 (bands of 4, the last of 1).
  [
    [2, 3, 9, 11],
    [
      [800, 9],
      [1584, 3],
    ],
  ],
  // One plane, rows of 24 bytes: one-row bands.
  [[1, 1, 7, 6], [[80, 7]]],
] as Array<[number[], Array<[number, number]>]>) {
  const s = shape4(shape);
  describeBanded(gpu, {
    name: `tv [${shape}]`,
    inputShape: shape,
    outputShape: [1],
    input: distinctArray(size(shape), 51, 0.05),
    caps,
    // The forward's sum is reassociated across bands and edges (measured up to 1.6·10⁻⁷ relative); the gradient is the same arithmetic.
    tolerance: [1e-6, 'bits'],
    plan: (ctx) => tvBands(ctx, shape),
    // As in test/tv: f32 differences of an O(1) loss with O(1/n) partials.
    deviceDiffTolerance: 3e-2,
    forward: (ctx, x) => tvForward(ctx, x),
    backward: (ctx, x, d) => tvBackward(ctx, x, d),
    oracle: (x) => [oracle.tv(x, s)],
    oracleBackward: (x, d) => oracle.tvGrad(x, s, d[0]),
  });
}

describe('banding: a TV banding without its edges or halo', () => {
  const shape = [2, 3, 9, 11];
  const cap = 800; // one-row bands

  it('loses the vertical differences across band edges: the forward fails against unbanded and the oracle', async () => {
    const ctx = gpu();
    const input = distinctArray(size(shape), 52, 0.05);
    const x = ctx.upload(shape, input);
    const plain = tvForward(ctx, x);
    // What tv.ts does, without the 2-row sums across each edge.
    const banded = capped(ctx, cap, () => {
      let total: DeviceTensor | null = null;
      for (const band of planRowBands(ctx, 'tv', shape[2]!, [{ t: x, halo: 1 }])) {
        const rows = gatherRows(ctx, x, band.r0, band.r1, 'tv band');
        const part = tvForward(ctx, rows, { weights: tvWeights(x) });
        rows.release();
        if (!total) total = part;
        else {
          accumulate(ctx, total, part);
          part.release();
        }
      }
      return total!;
    });
    const [b, p] = [await banded.read(), await plain.read()];
    for (const t of [x, plain, banded]) t.release();
    expect(() => expectLikeUnbanded(b, p, 1e-6, 'edge-less tv')).toThrow(/exceeds/);
    expect(relativeError(b, [oracle.tv(input, shape4(shape))])).toBeGreaterThan(0.1);
  });

  it('without the halo rows, the gradient fails against unbanded and the oracle', async () => {
    const ctx = gpu();
    const input = distinctArray(size(shape), 53, 0.05);
    const [x, d] = [ctx.upload(shape, input), ctx.upload([1], [1])];
    const plain = tvBackward(ctx, x, d);
    const banded = capped(ctx, cap, () =>
      rowBanded(ctx, {
        kernel: 'tv_backward without halo',
        domainRows: shape[2]!,
        inputs: [{ t: x }],
        output: { t: shape },
        name: 'tv gradient',
        run: ([xb]) => ({ y: tvBackward(ctx, xb!, d, { weights: tvWeights(x) }), offset: 0 }),
      }),
    );
    const [b, p] = [await banded.read(), await plain.read()];
    for (const t of [x, d, plain, banded]) t.release();
    expect(() => expectLikeUnbanded(b, p, 'bits', 'halo-less tv gradient')).toThrow(/banded differs/);
    expect(relativeError(b, oracle.tvGrad(input, shape4(shape), 1))).toBeGreaterThan(0.1);
  });
});

// ---- channel affine: bands of rows of all three channels ----

{
  const bgr = { perm: [2, 1, 0] as const, a: [57.1, 58.6, 55.8] as const, b: [-0.4, 3.1, 7.7] as const };
  const shape = [2, 3, 13, 21];
  const s = shape4(shape);
  describeBanded(gpu, {
    name: `channel affine BGR [${shape}]`,
    inputShape: shape,
    outputShape: shape,
    input: randomArray(size(shape), 61),
    // Rows of 2·3·21·4 = 504 bytes: one row per band, then bands of 4 (the last of 1).
    caps: [
      [512, 13],
      [2016, 4],
    ],
    tolerance: ['bits', 'bits'],
    plan: (ctx) => planRowBands(ctx, 'channel affine', shape[2]!, [{ t: shape }]).length,
    forward: (ctx, x) => channelAffineForward(ctx, x, bgr),
    backward: (ctx, _x, dy) => channelAffineBackward(ctx, dy, bgr),
    oracle: (x) => oracle.channelAffine(x, s, bgr.perm, bgr.a, bgr.b),
    oracleBackward: (_x, dy) => oracle.channelAffine(dy, s, [2, 1, 0], [bgr.a[2], bgr.a[1], bgr.a[0]], [0, 0, 0]),
  });
}

describe('banding: channel affine with a clamp', () => {
  it('clamps each band to the given range, as unbanded', async () => {
    const ctx = gpu();
    const shape = [1, 3, 7, 5];
    const x = randomArray(size(shape), 62, 3);
    const t = { perm: [0, 1, 2] as const, a: [1, 2, 3] as const, b: [0.5, 0, -0.5] as const };
    const { banded, plain } = await bandedAndPlain(ctx, 64, () => {
      const xt = ctx.upload(shape, x);
      const y = channelAffineForward(ctx, xt, t, 0, 1);
      xt.release();
      return [y];
    });
    expectLikeUnbanded(banded[0]!, plain[0]!, 'bits', 'clamped channel affine');
    expectClose(banded[0]!, oracle.channelAffine(x, shape4(shape), t.perm, t.a, t.b, 0, 1), 1e-6, 'clamped channel affine');
  });
});

// ---- resize: the row pass on bands of rows, the column pass one plane at a time ----

describe('banding: resize', () => {
  // [shape, height, width, cap]: each cap is under the tensors of a pass but holds one plane.
  const cases: Array<[number[], number, number, number]> = [
    [[2, 3, 5, 7], 3, 11, 272], // rows of 168 and 264 bytes: the row pass in bands of one row; planes of 220 bytes
    [[1, 3, 37, 53], 12, 17, 2528], // shrink: row bands of 3 rows; the column pass's input plane is 2516 bytes
    [[1, 3, 5, 7], 11, 16, 704], // enlarge: row bands of 3 rows, then planes
    [[1, 3, 8, 6], 8, 3, 96], // one axis only (the row pass), one-row bands
    [[2, 1, 9, 4], 4, 9, 336], // one axis each way
  ];
  for (const [shape, h, w, cap] of cases) {
    it(`[${shape}] -> ${w}×${h} under a ${cap}-byte cap: the unbanded bits, and the oracle`, async () => {
      const ctx = gpu();
      const x = randomArray(size(shape), 71);
      const dispatch = vi.spyOn(ctx, 'dispatch');
      const { banded, plain } = await bandedAndPlain(ctx, cap, () => {
        const xt = ctx.upload(shape, x);
        const y = resize(ctx, xt, h, w);
        xt.release();
        return [y];
      });
      const passes = dispatch.mock.calls.filter(([d]) => d.kernel === 'resize_axis').length;
      dispatch.mockRestore();
      const unbanded = (shape[3] === w ? 0 : 1) + (shape[2] === h ? 0 : 1);
      expect(passes - unbanded, 'dispatches under the cap (bands and planes)').toBeGreaterThan(unbanded);
      expectLikeUnbanded(banded[0]!, plain[0]!, 'bits', `resize [${shape}] -> ${w}×${h}`);
      expectClose(banded[0]!, oracle.resize(x, shape4(shape), h, w), 1e-5, 'banded resize');
    });
  }

  it('refuses, naming the binding limit, a plane larger than one binding', () => {
    const ctx = gpu();
    const x = ctx.upload([1, 3, 8, 8], randomArray(192, 72));
    // The column pass's input plane [8, 4] is 128 bytes.
    expect(() => capped(ctx, 112, () => resize(ctx, x, 4, 4))).toThrow(/resize: one channel plane .* over the 112-byte binding limit/);
    x.release();
  });
});

// ---- original colours: bands of rows of both images ----

describe('banding: original colours', () => {
  for (const [shape, cap] of [
    [[1, 3, 6, 7], 96], // rows of 84 bytes: one row per band
    [[2, 3, 5, 9], 448], // rows of 216 bytes: bands of 2, the last of 1
  ] as Array<[number[], number]>) {
    it(`[${shape}] under a ${cap}-byte cap: the unbanded bits, and the oracle`, async () => {
      const ctx = gpu();
      const styled = randomArray(size(shape), 81).map((v) => (v + 1) / 2);
      const content = randomArray(size(shape), 82).map((v) => (v + 1) / 2);
      expect(capped(ctx, cap, () => planRowBands(ctx, 'original colours', shape[2]!, [{ t: shape }]).length)).toBeGreaterThan(2);
      const { banded, plain } = await bandedAndPlain(ctx, cap, () => {
        const [st, ct] = [ctx.upload(shape, styled), ctx.upload(shape, content)];
        const out = originalColors(ctx, st, ct);
        st.release();
        ct.release();
        return [out];
      });
      expectLikeUnbanded(banded[0]!, plain[0]!, 'bits', `original colours [${shape}]`);
      expectClose(banded[0]!, oracle.originalColors(styled, content, shape4(shape)), EXACT_TOLERANCE, 'banded original colours');
    });
  }
});

// ---- a style job whose image is larger than one binding ----

describe('banding: a style job (Adam) with the image past one binding', () => {
  it('runs to the image (and losses) it gives without the cap', async () => {
    const ctx = gpu();
    // 16×96: the image is 18 KiB, over a 16 KiB cap that still holds conv1_1's weights, its output's
    // bands (2 rows and a halo row each side: 12 KiB) and its Gram (16 KiB).
    const [width, height, cap] = [16, 96, 16384];
    expect(3 * width * height * 4).toBeGreaterThan(cap);
    const picture = (seed: number) => ({
      width,
      height,
      data: Uint8Array.from({ length: width * height * 4 }, (_, i) => (i * 37 + seed * 91) % 251),
    });
    const settings = { size: height, scales: 2, steps: 4, contentLayers: [0], styleLayers: [0], autotune: false, originalColors: true };
    // Caffe's convention: a channel affine (and its backward) in front of conv1_1.
    const weights = { ...syntheticWeights(3, 0), input: { ...CAFFE_INPUT } };
    // The direct convolution, whatever was tuned before (Winograd's transformed weights would pass the cap).
    tuningFor(ctx).clear();
    const run = async (cap: number | null) => {
      try {
        ctx.capBinding(cap);
        const options = planJob(settings, width, height, 1);
        return await runStyleJob(ctx, weights, picture(1), [picture(2)], options, {});
      } finally {
        ctx.capBinding(null);
      }
    };
    const plain = await run(null);
    const dispatch = vi.spyOn(ctx, 'dispatch');
    const banded = await run(cap);
    const labels = dispatch.mock.calls.map(([d]) => `${d.kernel} ${d.label}`);
    dispatch.mockRestore();
    // Each image kernel ran on parts of a 16×96 image: bands of rows, planes, ranges.
    const onPart = (l: string) =>
      /\) \[\d+, \d+\)$/.test(l) || // a range of the tensors (Adam)
      /\[1,1,\d+,16\]/.test(l) || // a plane (resize's column pass)
      [...l.matchAll(/\[1,3,(\d+),16\]/g)].some((m) => Number(m[1]) < height); // a band of rows
    const onParts = (kernel: string) => labels.some((l) => l.startsWith(`${kernel} `) && onPart(l));
    for (const kernel of [
      'adam_step',
      'tv_forward',
      'tv_backward',
      'channel_affine_forward',
      'channel_affine_backward',
      'resize_axis',
      'original_colors',
      'image_reduce',
    ])
      expect(onParts(kernel), `${kernel} banded`).toBe(true);
    expect(banded.history.at(-1)!.width * banded.history.at(-1)!.height).toBe(width * height);
    expect(banded.history.map((p) => p.step)).toEqual(plain.history.map((p) => p.step));
    banded.history.forEach((p, i) => {
      const q = plain.history[i]!;
      for (const key of ['content', 'style', 'tv', 'total'] as const)
        expect(Math.abs(p[key]! - q[key]!), `${key} at scale ${p.scale} step ${p.step}`).toBeLessThanOrEqual(1e-5 * Math.abs(q[key]!));
    });
    // Gram sums over conv bands may round differently (test/banding-vgg): at most one level in a few bytes
    // (measured here: the same bytes, and the same losses).
    const diffs = banded.image.data.map((v, i) => Math.abs(v - plain.image.data[i]!));
    expect(Math.max(...diffs)).toBeLessThanOrEqual(1);
    expect(diffs.filter((d) => d > 0).length).toBeLessThan(diffs.length / 100);
  });
});
