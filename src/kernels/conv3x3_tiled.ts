// conv3x3 as a tiled implicit GEMM (shaders/conv3x3_tiled.wgsl): input tiles with their halo and
// the matching weights staged in workgroup memory, register blocking, no subgroup operations.
// The design GPUs with 32- or 64-wide subgroups (or none) run well; conv3x3.ts offers its
// variants to the autotuner beside the direct ones. Validation of shapes is conv3x3.ts's.

import type { DeviceTensor, GpuContext } from '../gpu/index.js';

/**
 * A tile shape: a workgroup computes `coTile` output channels × a `tileH` × `tileW` pixel tile,
 * staging `ciChunk` input channels at a time; an invocation computes `coR` channels × `rowsR`
 * rows × 4 pixels.
 */
export interface TiledConvVariant {
  name: string;
  coTile: number;
  tileW: number;
  tileH: number;
  ciChunk: number;
  coR: number;
  rowsR: number;
}

/** Each fits WebGPU's default limits: ≤ 16 KiB of workgroup memory, ≤ 256 invocations. */
export const TILED_CONV_VARIANTS: readonly TiledConvVariant[] = [
  { name: 'tiled-co64-16x8', coTile: 64, tileW: 16, tileH: 8, ciChunk: 4, coR: 8, rowsR: 2 },
  { name: 'tiled-co32-8x8', coTile: 32, tileW: 8, tileH: 8, ciChunk: 8, coR: 4, rowsR: 2 },
  { name: 'tiled-co64-32x8', coTile: 64, tileW: 32, tileH: 8, ciChunk: 4, coR: 8, rowsR: 2 },
  // Small tiles, for VGG-19's deep 16×16 and 32×32 layers, where big tiles leave a GPU's cores idle.
  { name: 'tiled-co32-8x4', coTile: 32, tileW: 8, tileH: 4, ciChunk: 8, coR: 4, rowsR: 1 },
];

/** Invocations per workgroup of a variant. */
export function tiledWorkgroupSize(v: TiledConvVariant): number {
  return (v.coTile / v.coR) * (v.tileW / 4) * (v.tileH / v.rowsR);
}

/** Workgroup memory a variant stages: the input tile with its halo (rows padded to vec4s) and the weights. */
export function tiledWorkgroupBytes(v: TiledConvVariant): number {
  const inputs = v.ciChunk * (v.tileH + 2) * (v.tileW + 4);
  const weights = v.ciChunk * 9 * v.coTile;
  return 4 * (inputs + weights);
}

/** Whether the device's limits admit the variant (they do at WebGPU's defaults). */
export function tiledVariantFits(ctx: GpuContext, v: TiledConvVariant): boolean {
  const limits = ctx.device.limits;
  return (
    tiledWorkgroupBytes(v) <= limits.maxComputeWorkgroupStorageSize &&
    tiledWorkgroupSize(v) <= Math.min(limits.maxComputeInvocationsPerWorkgroup, limits.maxComputeWorkgroupSizeX)
  );
}

function tiledConsts(v: TiledConvVariant): Record<string, number> {
  return {
    TILE_W: v.tileW,
    TILE_H: v.tileH,
    CO_TILE: v.coTile,
    CI_CHUNK: v.ciChunk,
    CO_R: v.coR,
    ROWS_R: v.rowsR,
    WG: tiledWorkgroupSize(v),
  };
}

export interface TiledConvOptions {
  /** Convolve relu(x) (the ReLU applied as the input is staged). */
  reluInput?: boolean;
  /** Multiply the result by [mask > 0] (mask has the output's shape). */
  mask?: DeviceTensor;
}

/**
 * y = conv3x3(x, w) + bias with a tiled variant: x [N, Cin, H, W], w [Cout, Cin, 3, 3] (or, for an
 * input gradient, dy and the flipped weights). Shapes are the caller's to check.
 */
export function conv3x3Tiled(
  ctx: GpuContext,
  labelText: string,
  x: DeviceTensor,
  w: DeviceTensor,
  bias: DeviceTensor | undefined,
  variant: TiledConvVariant,
  options: TiledConvOptions = {},
): DeviceTensor {
  const [n, cin, height, width] = x.shape as [number, number, number, number];
  const cout = w.shape[0]!;
  if (!tiledVariantFits(ctx, variant)) {
    throw new Error(
      `conv3x3: variant ${variant.name} needs ${tiledWorkgroupBytes(variant)} bytes of workgroup memory and ` +
        `${tiledWorkgroupSize(variant)} invocations; this device allows ${ctx.device.limits.maxComputeWorkgroupStorageSize} and ` +
        `${ctx.device.limits.maxComputeInvocationsPerWorkgroup}`,
    );
  }
  const y = ctx.empty([n, cout, height, width], 'conv3x3 output');
  if (options.mask && options.mask.shape.join() !== y.shape.join()) {
    throw new Error(`conv3x3: the mask must have the output's shape [${y.shape.join(',')}], got [${options.mask.shape.join(',')}]`);
  }
  const tiles = Math.ceil(width / variant.tileW) * Math.ceil(height / variant.tileH);
  const workgroups = [tiles, Math.ceil(cout / variant.coTile), n] as const;
  const max = ctx.maxWorkgroupsPerDimension;
  if (workgroups.some((g) => g > max)) {
    throw new Error(
      `conv3x3: ${variant.name} on ${height}×${width} × batch ${n} needs ${workgroups.join('×')} workgroups, over ${max} per dimension`,
    );
  }
  ctx.dispatch({
    kernel: 'conv3x3_tiled',
    label: labelText,
    params: { batch: n, cin, cout, height, width },
    buffers: [x.buffer, w.buffer, bias ? bias.buffer : ctx.placeholder, y.buffer, options.mask ? options.mask.buffer : ctx.placeholder],
    overrides: { HAS_BIAS: bias ? 1 : 0, RELU_INPUT: options.reluInput ? 1 : 0, MASK: options.mask ? 1 : 0 },
    consts: tiledConsts(variant),
    workgroups,
  });
  return y;
}
