// conv3x3 by Winograd minimal filtering F(M×M, 3×3), M = 2 or 4 (shaders/lib/winograd.wgsl): the
// weights transformed once per weight tensor (conv3x3_winograd_weights, kept while the tensor
// lives), then per chunk of tiles an input transform (conv3x3_winograd_input), one GEMM per
// transform point (conv3x3_winograd_gemm) and an output transform (conv3x3_winograd_output).
// Multiplies per output: 16/4 = 4 (M = 2) or 36/16 = 2.25 (M = 4) per input channel, against 9.

import { forEachChunk } from '../gpu/counting.js';
import type { DeviceTensor, GpuContext } from '../gpu/index.js';
import type { ConvCall } from './conv3x3_call.js';
import { gridFor } from './launch.js';

export interface WinogradConfig {
  /** Output tile side: F(M×M, 3×3). */
  m: 2 | 4;
  /** Output channels per GEMM workgroup (a multiple of 4; the transformed weights are padded to it). */
  coBlock: number;
  /** vec4s of tiles per GEMM invocation. */
  tVecs: number;
  /** GEMM workgroup size. */
  wg: number;
  /** The GEMM shares its weight loads through subgroups (conv3x3_winograd_gemm_subgroup). */
  subgroup?: boolean;
  /**
   * The GEMM runs with its operands' roles swapped, out[ξ, t, co] = Σ_ci v[ξ, ci, t] · u[ξ, ci, co]:
   * a workgroup shares coBlock tiles' loads and its invocations split the output channels (tVecs
   * vec4s each). For convs over few tiles (VGG's 16×16 and 8×8 layers at small sizes: 8–16 tiles
   * of F(4×4)), where the untransposed GEMM's invocations, which split the tiles, mostly idle.
   */
  transposed?: boolean;
  /** Scratch per chunk of tiles (default WINOGRAD_SCRATCH_BYTES; tests make it small to cross chunks cheaply). */
  scratchBytes?: number;
}

/**
 * The input-transform and GEMM outputs of one chunk of tiles take at most this many bytes, live
 * during one convolution (32 MiB was as fast as 4 and faster than 1 at 64→64, 256×256).
 */
export const WINOGRAD_SCRATCH_BYTES = 32 * 2 ** 20;

const roundUp = (n: number, k: number) => Math.ceil(n / k) * k;
/**
 * A convolution over at most this many tiles keeps its transformed weights (see transformedWeights);
 * one over more transforms them per call. The transform's cost against the GEMM's goes as 1/tiles:
 * on lavapipe (AMD Zen 4) F(4×4) 512→512 over 12×25 px (24 tiles) transformed in 10.9 ms against
 * ~25 ms of GEMM, so at 128 tiles the transform is ~8 % of the GEMM, at 1024 ~1 %. It also keeps
 * a 512 px step's memory near the direct convolution's: there only conv5_1 (32×32 px, 64 tiles)
 * keeps its weights, while all of VGG-19's weights and their flipped copies, transformed for
 * F(4×4), would take 4× their 104 MB.
 */
export const WINOGRAD_CACHE_TILES = 128;

/** The tiles a Winograd F(m×m) convolution over n images of height×width covers (tile rows padded to 4 tiles). */
export function winogradTiles(m: 2 | 4, n: number, height: number, width: number): number {
  return n * Math.ceil(height / m) * roundUp(Math.ceil(width / m), 4);
}

/** Transformed weights per context, weight tensor and `M/channels padded`; dropped when the weights are released. */
const caches = new WeakMap<GpuContext, Map<DeviceTensor, Map<string, DeviceTensor>>>();
/** Bytes of transformed weights a context may keep (limitWinogradCache; no limit unless set). */
const cacheLimits = new WeakMap<GpuContext, number>();

function cacheFor(ctx: GpuContext): Map<DeviceTensor, Map<string, DeviceTensor>> {
  let cache = caches.get(ctx);
  if (!cache) {
    cache = new Map();
    caches.set(ctx, cache);
  }
  // Transformed weights of released weight tensors go back to the pool.
  for (const [w, byM] of cache) {
    if (!w.isReleased) continue;
    for (const u of byM.values()) u.release();
    cache.delete(w);
  }
  return cache;
}

/**
 * Holds the transformed weights `ctx` keeps to `bytes` from now on (Infinity: no limit, the
 * default): the job sets what its memory plan allows for the scale. Copies already kept stay.
 */
export function limitWinogradCache(ctx: GpuContext, bytes: number): void {
  cacheLimits.set(ctx, bytes);
}

/** Bytes of transformed weights `ctx` keeps now. */
export function winogradCacheBytes(ctx: GpuContext): number {
  let bytes = 0;
  for (const byKey of cacheFor(ctx).values()) for (const t of byKey.values()) bytes += t.bytes;
  return bytes;
}

/** Releases the transformed copies of `w` now (or of every weight tensor) rather than when `w` is released. */
export function releaseWinogradWeights(ctx: GpuContext, w?: DeviceTensor): void {
  const cache = cacheFor(ctx);
  for (const [key, byM] of cache) {
    if (w !== undefined && key !== w) continue;
    for (const u of byM.values()) u.release();
    cache.delete(key);
  }
}

function transformWeights(ctx: GpuContext, w: DeviceTensor, m: 2 | 4, coutPad: number): DeviceTensor {
  const [cout, cin] = w.shape as [number, number];
  const u = ctx.empty([(m + 2) ** 2, cin, coutPad], 'conv3x3 winograd weights');
  const consts = { M: m };
  const n = (coutPad / 4) * cin;
  ctx.dispatch({
    kernel: 'conv3x3_winograd_weights',
    label: `conv3x3_winograd_weights(w[${w.shape.join(',')}] F${m})`,
    params: { n, cin, cout, cout_pad: coutPad },
    buffers: [w.buffer, u.buffer],
    consts,
    workgroups: gridFor(ctx, n, 'conv3x3_winograd_weights', consts),
  });
  return u;
}

/**
 * u [POINTS, Cin, coutPad] for weights w [Cout, Cin, 3, 3]: kept while w lives when the convolution
 * covers at most WINOGRAD_CACHE_TILES tiles and the context's kept copies stay within its limit
 * (limitWinogradCache), else made for this call (`temporary`: the caller releases it).
 */
function transformedWeights(
  ctx: GpuContext,
  w: DeviceTensor,
  m: 2 | 4,
  coutPad: number,
  tiles: number,
): { u: DeviceTensor; temporary: boolean } {
  const cache = cacheFor(ctx);
  const key = `${m}/${coutPad}`;
  const cached = cache.get(w)?.get(key);
  if (cached) return { u: cached, temporary: false };
  const u = transformWeights(ctx, w, m, coutPad);
  if (tiles > WINOGRAD_CACHE_TILES) return { u, temporary: true };
  if (winogradCacheBytes(ctx) + u.bytes > (cacheLimits.get(ctx) ?? Infinity)) return { u, temporary: true };
  if (!cache.has(w)) cache.set(w, new Map());
  cache.get(w)!.set(key, u);
  return { u, temporary: false };
}

/** y = conv3x3(x, w) (+ bias, ReLU on the input, mask on the output: see ConvCall) by Winograd. */
export function conv3x3Winograd(ctx: GpuContext, config: WinogradConfig, call: ConvCall): DeviceTensor {
  const { x, w, bias, mask } = call;
  const { m } = config;
  const [n, cin, height, width] = x.shape as [number, number, number, number];
  const cout = w.shape[0]!;
  const { transposed = false } = config;
  // The dimension a GEMM workgroup shares is padded to its block, the one its invocations split to vec4s.
  const coutPad = roundUp(cout, transposed ? 4 : config.coBlock);
  const tileStep = transposed ? config.coBlock : 4;
  const points = (m + 2) ** 2;
  // Tile rows padded to a multiple of 4 tiles: each vec4 of tiles lies in one row (the padding
  // tiles lie outside the image: zeros in, nothing stored).
  const [tilesH, tilesW] = [Math.ceil(height / m), roundUp(Math.ceil(width / m), 4)];
  const tiles = winogradTiles(m, n, height, width);
  const { u, temporary } = transformedWeights(ctx, w, m, coutPad, tiles);
  const y = ctx.empty([n, cout, height, width], 'conv3x3 output');
  const bytesPerTile = points * (cin + coutPad) * 4;
  const chunk = Math.min(
    roundUp(tiles, tileStep),
    Math.max(64, Math.floor(Math.min(config.scratchBytes ?? WINOGRAD_SCRATCH_BYTES, ctx.bindingBytes) / bytesPerTile / 64) * 64),
  );
  const v = ctx.empty([points, cin, chunk], 'conv3x3 winograd input tiles');
  const products = ctx.empty([points, coutPad, chunk], 'conv3x3 winograd products');
  const consts = { M: m };
  // The chunks allocate nothing (a counting device runs one of each size: src/gpu/counting.ts).
  forEachChunk(ctx, tiles, chunk, (tile0, count) => {
    const tilesPad = roundUp(count, tileStep);
    const geometry = { height, width, tiles_w: tilesW, tiles_h: tilesH, tile0, tiles: count, tiles_pad: tilesPad };
    ctx.dispatch({
      kernel: 'conv3x3_winograd_input',
      label: `conv3x3_winograd_input(${call.label} F${m})`,
      params: { n: (cin * tilesPad) / 4, cin, ...geometry },
      buffers: [x.buffer, x.buffer, v.buffer],
      overrides: { RELU_INPUT: call.reluInput ? 1 : 0, ALIGNED: width % 4 === 0 ? 1 : 0 },
      consts,
      workgroups: gridFor(ctx, (cin * tilesPad) / 4, 'conv3x3_winograd_input', consts),
    });
    const gemmLabel = `conv3x3_winograd_gemm(${call.label} F${m}${transposed ? 'ᵀ' : ''})`;
    if (transposed)
      batchedGemm(ctx, config, gemmLabel, { u: v, v: u, out: products }, { points, cin, coutPad: tilesPad, tilesPad: coutPad });
    else batchedGemm(ctx, config, gemmLabel, { u, v, out: products }, { points, cin, coutPad, tilesPad });
    ctx.dispatch({
      kernel: width % 4 === 0 ? 'conv3x3_winograd_output_vec4' : 'conv3x3_winograd_output',
      label: `conv3x3_winograd_output(${call.label} F${m})`,
      params: { n: (cout * tilesPad) / 4, cout, cout_pad: coutPad, ...geometry },
      buffers: [products.buffer, bias ? bias.buffer : ctx.placeholder, y.buffer, mask ? mask.buffer : ctx.placeholder, products.buffer],
      overrides: { HAS_BIAS: bias ? 1 : 0, MASK: mask ? 1 : 0, TRANSPOSED: transposed ? 1 : 0 },
      consts,
      workgroups: gridFor(ctx, (cout * tilesPad) / 4, 'conv3x3_winograd_output', consts), // both declare the same workgroup size
    });
  });
  v.release();
  products.release();
  if (temporary) u.release();
  return y;
}

/** The GEMM's shape: out[ξ, co, t] = Σ_ci u[ξ, ci, co] · v[ξ, ci, t] for ξ < points, co < coutPad, t < tilesPad. */
export interface GemmShape {
  points: number;
  cin: number;
  /** A multiple of the config's coBlock. */
  coutPad: number;
  /** A multiple of 4. */
  tilesPad: number;
}

/**
 * Winograd's batched GEMM (conv3x3_winograd_gemm[_subgroup]) on any operands of its layout:
 * u [points, cin, coutPad], v [points, cin, tilesPad], out [points, coutPad, tilesPad]. The
 * Gram gradient uses it too (gram.ts: dX = S·X, one point per image).
 */
export function batchedGemm(
  ctx: GpuContext,
  config: Pick<WinogradConfig, 'coBlock' | 'tVecs' | 'wg' | 'subgroup'>,
  labelText: string,
  operands: { u: DeviceTensor; v: DeviceTensor; out: DeviceTensor },
  shape: GemmShape,
): void {
  const { points, cin, coutPad, tilesPad } = shape;
  ctx.dispatch({
    kernel: config.subgroup ? 'conv3x3_winograd_gemm_subgroup' : 'conv3x3_winograd_gemm',
    label: labelText,
    params: { cin, cout_pad: coutPad, tiles_pad: tilesPad },
    buffers: [operands.u.buffer, operands.v.buffer, operands.out.buffer],
    consts: { CO_BLOCK: config.coBlock, T_VECS: config.tVecs, WG: config.wg },
    workgroups: [Math.ceil(Math.ceil(tilesPad / 4 / config.tVecs) / config.wg), coutPad / config.coBlock, points],
  });
}
