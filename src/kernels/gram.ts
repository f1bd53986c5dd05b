// Gram matrix G = X·Xᵀ / (C·H·W) per batch item, X = features reshaped to (C, H·W), and its
// gradient dX = (dG + dGᵀ)·X / (C·H·W).
// With subgroups of ≥ 8 invocations: gram_forward_subgroup over ranges of k (+ gram_reduce) and
// gram_symmetrize + a GEMM, which share loads across lanes: Winograd's batched GEMM where the
// channels are a multiple of 32 and the pixels of 4 (every VGG layer at even sizes), else
// gram_backward_subgroup; without subgroups gram_forward / gram_backward, one invocation per 4×4
// block.

import { forEachDistinct } from '../gpu/counting.js';
import type { DeviceTensor, GpuContext } from '../gpu/index.js';
import { accumulate } from './axpby.js';
import { batchedGemm } from './conv3x3_winograd.js';
import { fitsBinding, gatherRows, planRowBands, rowBanded } from './band.js';
import { dispatchElementwise, gridFor, label, requireRank } from './launch.js';

/** Rows and columns of the 4×4 block one invocation of gram_forward / gram_backward computes. */
const BLOCK = 4;
/** Subgroup kernels' blocking (the fastest on lavapipe): rows i per workgroup, rows j per invocation, workgroup size. */
const SG_FORWARD = { iBlock: 16, jBlock: 4, wg: 8 };
/** Rows i per workgroup, vec4s of k per invocation, workgroup size. */
const SG_BACKWARD = { iBlock: 16, kVecs: 2, wg: 16 };
/**
 * The gradient's GEMM blocking where it applies (conv3x3_winograd_gemm_subgroup). On lavapipe
 * (AMD Zen 4), symmetrisation included, against gram_backward_subgroup: 64 channels × 256×256 px
 * 16.4 ms vs 23.9, 128 × 128² 14.4 vs 19.5, 256 × 64² 15.1 vs 17.4, 512 × 32² 17.6 vs 17.9.
 */
const GEMM_BACKWARD = { coBlock: 32, tVecs: 2, wg: 8, subgroup: true } as const;
/** k per split of the forward pass: splits give a GPU parallel work and keep rows in cache on a CPU. */
const DEFAULT_CHUNK = 4096;

export interface GramOptions {
  /** Use the subgroup kernels (default: when the adapter has subgroups of ≥ 8). */
  subgroups?: boolean;
  /** k per split of the subgroup forward pass, a multiple of 4 (tests use small ones). */
  chunk?: number;
  /** The divisor C·H·W's reciprocal, when x is one band of rows of a larger tensor (band.ts): the whole's. */
  scale?: number;
}

function geometry(x: DeviceTensor, options: GramOptions) {
  const [n, c, h, w] = x.shape as [number, number, number, number];
  if (c * h * w === 0) throw new Error(`gram: features [${x.shape.join(',')}] are empty (the image is too small for this layer)`);
  return { n, c, pixels: h * w, scale: options.scale ?? 1 / (c * h * w) };
}

function useSubgroups(ctx: GpuContext, options: GramOptions): boolean {
  if (options.subgroups && !ctx.subgroupsOf8)
    throw new Error('gram: the subgroup kernels need subgroups of at least 8 invocations, which this adapter lacks');
  return options.subgroups ?? ctx.subgroupsOf8;
}

/** [N, C, H, W] -> [N, C, C]; past one binding, the sum of each band of rows' products. */
export function gramForward(ctx: GpuContext, x: DeviceTensor, options: GramOptions = {}): DeviceTensor {
  requireRank('gram_forward', 'x', x, 4);
  const { n, c, pixels, scale } = geometry(x, options);
  if (!fitsBinding(ctx, x)) {
    let g: DeviceTensor | null = null;
    // Bands of the same height allocate alike (a counting device runs one: src/gpu/counting.ts).
    const bands = planRowBands(ctx, 'gram_forward', x.shape[2]!, [{ t: x }]);
    forEachDistinct(
      ctx,
      bands,
      (band) => `${band.r1 - band.r0}`,
      (band) => {
        const xb = gatherRows(ctx, x, band.r0, band.r1, 'gram band input');
        const part = gramForward(ctx, xb, { ...options, scale });
        xb.release();
        if (!g) g = part;
        else {
          accumulate(ctx, g, part);
          part.release();
        }
      },
    );
    return g!;
  }
  const g = ctx.empty([n, c, c], 'gram');
  const text = label('gram_forward', { x });
  if (!useSubgroups(ctx, options)) {
    const [wgX, wgY] = ctx.workgroupSize('gram_forward');
    const workgroups = [Math.ceil(Math.ceil(c / BLOCK) / wgX), Math.ceil(Math.ceil(c / BLOCK) / wgY), n] as const;
    const params = { channels: c, n: pixels, scale };
    ctx.dispatch({ kernel: 'gram_forward', label: text, params, buffers: [x.buffer, g.buffer], workgroups });
    return g;
  }
  const chunk = options.chunk ?? DEFAULT_CHUNK;
  if (chunk % 4 !== 0 || chunk <= 0) throw new Error(`gram: chunk must be a positive multiple of 4, got ${chunk}`);
  const splits = Math.ceil(pixels / chunk);
  const aligned = pixels % 4 === 0;
  const partial = splits === 1 ? g : ctx.empty([n, splits, c, c], 'gram partial sums');
  const consts = { I_BLOCK: SG_FORWARD.iBlock, J_BLOCK: SG_FORWARD.jBlock, WG: SG_FORWARD.wg };
  const [wgSize] = ctx.workgroupSize('gram_forward_subgroup', consts);
  ctx.dispatch({
    kernel: 'gram_forward_subgroup',
    label: text,
    params: { channels: c, n: pixels, chunk, splits, scale },
    buffers: [x.buffer, aligned ? x.buffer : ctx.placeholder, partial.buffer],
    overrides: { ALIGNED: aligned ? 1 : 0 },
    consts,
    workgroups: [Math.ceil(c / (SG_FORWARD.jBlock * wgSize)), Math.ceil(c / SG_FORWARD.iBlock), n * splits],
  });
  if (partial !== g) {
    const params = { n: n * c * c, entries: c * c, splits };
    dispatchElementwise(ctx, 'gram_reduce', label('gram_reduce', { partial }), n * c * c, params, [partial.buffer, g.buffer]);
    partial.release();
  }
  return g;
}

export function gramBackward(ctx: GpuContext, x: DeviceTensor, dg: DeviceTensor, options: GramOptions = {}): DeviceTensor {
  requireRank('gram_backward', 'x', x, 4);
  const { n, c, pixels, scale } = geometry(x, options);
  if (dg.shape.length !== 3 || dg.shape[0] !== n || dg.shape[1] !== c || dg.shape[2] !== c) {
    throw new Error(`gram_backward: dG must have shape [${n},${c},${c}] for x [${x.shape.join(',')}], got [${dg.shape.join(',')}]`);
  }
  if (!fitsBinding(ctx, x)) {
    return rowBanded(ctx, {
      kernel: 'gram_backward',
      domainRows: x.shape[2]!,
      inputs: [{ t: x }],
      output: { t: x.shape },
      name: 'gram input gradient',
      run: ([xb]) => ({ y: gramBackward(ctx, xb!, dg, { ...options, scale }), offset: 0 }),
    });
  }
  const dx = ctx.empty(x.shape, 'gram input gradient');
  const text = label('gram_backward', { x, dG: dg });
  if (!useSubgroups(ctx, options)) {
    const [wgX, wgY] = ctx.workgroupSize('gram_backward');
    ctx.dispatch({
      kernel: 'gram_backward',
      label: text,
      params: { channels: c, n: pixels, scale },
      buffers: [x.buffer, dg.buffer, dx.buffer],
      workgroups: [Math.ceil(Math.ceil(pixels / BLOCK) / wgX), Math.ceil(Math.ceil(c / BLOCK) / wgY), n],
    });
    return dx;
  }
  const s = ctx.empty([n, c, c], 'gram gradient, symmetrised');
  const symmetrize = { n: n * c * c, channels: c, scale };
  dispatchElementwise(ctx, 'gram_symmetrize', label('gram_symmetrize', { dG: dg }), n * c * c, symmetrize, [dg.buffer, s.buffer]);
  const aligned = pixels % 4 === 0;
  const gemmGroups = Math.ceil(pixels / 4 / GEMM_BACKWARD.tVecs / GEMM_BACKWARD.wg);
  if (aligned && c % GEMM_BACKWARD.coBlock === 0 && gemmGroups <= ctx.maxWorkgroupsPerDimension && n <= ctx.maxWorkgroupsPerDimension) {
    // dX[b] = S[b]·X[b] is Winograd's GEMM with one point per image: u = S (symmetric, so its
    // [j, i] layout is S itself), v = X [C, N], out = dX [C, N].
    batchedGemm(ctx, GEMM_BACKWARD, text, { u: s, v: x, out: dx }, { points: n, cin: c, coutPad: c, tilesPad: pixels });
    s.release();
    return dx;
  }
  const iBlocks = Math.ceil(c / SG_BACKWARD.iBlock);
  if (n * iBlocks > ctx.maxWorkgroupsPerDimension)
    throw new Error(
      `gram_backward: batch ${n} × ${iBlocks} channel blocks exceeds ${ctx.maxWorkgroupsPerDimension} workgroups; use a smaller batch`,
    );
  const consts = { I_BLOCK: SG_BACKWARD.iBlock, K_VECS: SG_BACKWARD.kVecs, WG: SG_BACKWARD.wg };
  const [runsX, runsZ] = gridFor(ctx, Math.ceil(pixels / (4 * SG_BACKWARD.kVecs)), 'gram_backward_subgroup', consts);
  ctx.dispatch({
    kernel: 'gram_backward_subgroup',
    label: text,
    params: { channels: c, n: pixels },
    buffers: [x.buffer, aligned ? x.buffer : ctx.placeholder, s.buffer, dx.buffer],
    overrides: { ALIGNED: aligned ? 1 : 0 },
    consts,
    workgroups: [runsX, n * iBlocks, runsZ],
  });
  s.release();
  return dx;
}
