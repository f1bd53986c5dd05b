// The conv3x3 variants the autotuner chooses among (the direct shaders' register blockings,
// Winograd, the tiled implicit GEMM), which of them a context can run, the tuning key of a
// convolution's shape, and the choice conv3x3.ts dispatches: the tuned variant or the default.

import type { DeviceTensor, GpuContext } from '../gpu/index.js';
import type { ConvCall } from './conv3x3_call.js';
import { conv3x3Tiled, TILED_CONV_VARIANTS, tiledVariantFits, type TiledConvVariant } from './conv3x3_tiled.js';
import { conv3x3Winograd, winogradTiles } from './conv3x3_winograd.js';
import { tuningFor } from './tuning.js';

/**
 * Register-blocking variants of the conv3x3 shaders: output channels × pixels per invocation
 * (pxVecs vec4s of pixels) and, for conv3x3_forward_subgroup (weights shared through subgroups),
 * the workgroup size; or another implementation behind `run` (Winograd). Which is fastest depends
 * on the adapter and the shape; the autotuner (autotune.ts) measures those the adapter can run
 * (convVariantsFor). A variant with subgroupWg needs subgroups of at least 8 invocations.
 */
export interface ConvVariant {
  name: string;
  coBlock: number;
  pxVecs: number;
  /** Workgroup size of the subgroup shader (its const WG); absent for conv3x3_forward, which declares its own. */
  subgroupWg?: number;
  /**
   * Runs the convolution some other way than the direct shaders (Winograd, ...); coBlock and
   * pxVecs then mean what that implementation says. Absent for the direct variants.
   */
  run?: (ctx: GpuContext, call: ConvCall) => DeviceTensor;
  /** Where the autotuner times it: convs of x [N, Cin, H, W] into cout channels it may win (absent: every conv). */
  suits?: (shape: readonly number[], cout: number) => boolean;
}

/**
 * The transposed Winograd GEMMs are timed on convs over at most this many tiles. On lavapipe (AMD
 * EPYC Zen 5, one quiet run, the whole conv alone) they won over the 16 tiles of F(4×4) of VGG's
 * 16×16 layers (512→512: 8.1 ms against 11.1 for the best other variant; 256→512: 4.7 against 5.5),
 * came within 25 % of the best over 8 tiles (8×8 and 6×12 px, where the direct kernel or F(2×2) won)
 * and lost over 24 (12×25 px: 17.2 against 11.2); each one timed costs a pipeline compiled.
 */
export const FEW_TILES = 16;

/**
 * Winograd F(m×m, 3×3) (conv3x3_winograd.ts): coBlock channels × pxVecs vec4s of tiles per GEMM
 * invocation; transposed, coBlock tiles × pxVecs vec4s of channels (for convs over few tiles).
 */
function winograd(m: 2 | 4, coBlock: number, pxVecs: number, subgroup: boolean, transposed = false): ConvVariant {
  const config = { m, coBlock, tVecs: pxVecs, wg: 8, subgroup, transposed };
  const blocks = transposed ? `t${coBlock}-co${4 * pxVecs}` : `co${coBlock}-t${4 * pxVecs}`;
  const name = `${subgroup ? 'sg-' : ''}wino${m}${transposed ? 'T' : ''}-${blocks}`;
  const suits = (shape: readonly number[]) => winogradTiles(m, shape[0]!, shape[2]!, shape[3]!) <= FEW_TILES;
  return {
    name,
    coBlock,
    pxVecs,
    ...(subgroup ? { subgroupWg: 8 } : {}),
    run: (ctx, call) => conv3x3Winograd(ctx, config, call),
    ...(transposed ? { suits } : {}),
  };
}

/** The tiled implicit GEMM (conv3x3_tiled.ts): workgroup memory, no subgroups; coBlock is its channels per invocation. */
function tiled(t: TiledConvVariant): ConvVariant {
  return {
    name: t.name,
    coBlock: t.coR,
    pxVecs: 1,
    run: (ctx, call) => conv3x3Tiled(ctx, call.label, call.x, call.w, call.bias, t, { reluInput: call.reluInput, mask: call.mask }),
  };
}

/**
 * Variants of conv3x3_forward_subgroup (faster where the adapter has subgroups), of conv3x3_forward,
 * then Winograd ones (the GEMM through subgroups, then without, then transposed for convs over few
 * tiles: timed only there), then the tiled implicit GEMM
 * (workgroup memory, for GPUs with wide subgroups or none): the direct kernels stay the
 * untuned default, as exact as f32 gets and never slower than Winograd by much.
 */
export const CONV_VARIANTS: readonly ConvVariant[] = [
  { name: 'sg-co16-px8', coBlock: 16, pxVecs: 2, subgroupWg: 8 },
  { name: 'sg-co16-px8-wg64', coBlock: 16, pxVecs: 2, subgroupWg: 64 },
  { name: 'sg-co8-px8', coBlock: 8, pxVecs: 2, subgroupWg: 8 },
  { name: 'sg-co16-px16', coBlock: 16, pxVecs: 4, subgroupWg: 8 },
  { name: 'co8-px8', coBlock: 8, pxVecs: 2 },
  { name: 'co4-px16', coBlock: 4, pxVecs: 4 },
  { name: 'co16-px4', coBlock: 16, pxVecs: 1 },
  { name: 'co4-px8', coBlock: 4, pxVecs: 2 },
  { name: 'co8-px16', coBlock: 8, pxVecs: 4 },
  winograd(4, 32, 2, true),
  winograd(4, 64, 1, true),
  winograd(4, 64, 2, true),
  winograd(4, 32, 1, true),
  winograd(2, 32, 2, true),
  winograd(2, 64, 1, true),
  winograd(2, 32, 1, true),
  winograd(4, 8, 2, false),
  winograd(2, 8, 2, false),
  winograd(4, 16, 2, true, true),
  winograd(4, 8, 4, false, true),
  ...TILED_CONV_VARIANTS.map(tiled),
];

/** The variants this context can run, fastest-expected first (the first is the untuned default). */
export function convVariantsFor(ctx: GpuContext): readonly ConvVariant[] {
  const usable = ctx.subgroupsOf8 ? CONV_VARIANTS : CONV_VARIANTS.filter((v) => v.subgroupWg === undefined);
  // Tiled variants fit WebGPU's default limits; a compatibility-mode device allows fewer invocations.
  return usable.filter((v) => {
    const t = TILED_CONV_VARIANTS.find((tv) => tv.name === v.name);
    return !t || tiledVariantFits(ctx, t);
  });
}

/** Bumped whenever CONV_VARIANTS change, so that choices among older variants are measured again. */
const TUNING_GENERATION = 5;

/** The autotuner's key for a convolution of x [N, Cin, H, W] into `cout` channels. */
export function convTuningKey(shape: readonly number[], cout: number): string {
  return `conv3x3.v${TUNING_GENERATION}|${shape.join('x')}>${cout}`;
}

export function chooseVariant(ctx: GpuContext, x: { shape: readonly number[] }, cout: number, explicit?: ConvVariant): ConvVariant {
  const usable = convVariantsFor(ctx);
  if (explicit) {
    if (!usable.includes(explicit))
      throw new Error(`conv3x3: variant ${explicit.name} needs subgroups of at least 8 invocations, which this adapter lacks`);
    return explicit;
  }
  const tuned = tuningFor(ctx).get(convTuningKey(x.shape, cout));
  return usable.find((v) => v.name === tuned) ?? usable[0]!;
}
