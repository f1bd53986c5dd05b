// 3×3 convolution, stride 1, zero padding 1, NCHW, weights [Cout, Cin, 3, 3]:
// forward (shaders/conv3x3_forward.wgsl), input gradient (the same shader on weights flipped by
// shaders/conv3x3_flip_weights.wgsl) and weight/bias gradients (shaders/conv3x3_weight_grad.wgsl),
// kept separate so that style transfer, which needs only the input gradient, never pays for the rest.
// Forward and input gradient may instead run by Winograd (conv3x3_winograd.ts) or the tiled GEMM,
// variants like the others (conv3x3_variants.ts): the autotuner picks per shape.

import type { DeviceTensor, GpuContext } from '../gpu/index.js';
import { fitsBinding, planRowBands, rowBanded, type RowBand } from './band.js';
import { chooseVariant, type ConvVariant } from './conv3x3_variants.js';
import { dispatchElementwise, gridFor, label, requireRank } from './launch.js';

function checkWeights(kernel: string, x: DeviceTensor, w: DeviceTensor, bias?: DeviceTensor): void {
  requireRank(kernel, 'x', x, 4);
  const cin = x.shape[1]!;
  const [cout, wcin, kh, kw] = w.shape;
  if (w.shape.length !== 4 || wcin !== cin || kh !== 3 || kw !== 3) {
    throw new Error(`${kernel}: weights must have shape [Cout, ${cin}, 3, 3] for input [${x.shape.join(',')}], got [${w.shape.join(',')}]`);
  }
  if (bias && (bias.shape.length !== 1 || bias.shape[0] !== cout)) {
    throw new Error(`${kernel}: bias must have shape [${cout}], got [${bias.shape.join(',')}]`);
  }
}

function convParams(x: DeviceTensor, cout: number) {
  const [batch, cin, height, width] = x.shape as [number, number, number, number];
  return { batch, cin, cout, height, width };
}

export interface ConvOptions {
  /** Force a register-blocking variant; by default the autotuned (or first usable) one. */
  variant?: ConvVariant;
  /** Convolve relu(x): the previous layer's ReLU, applied as x is loaded (forward only). */
  reluInput?: boolean;
  /** Multiply the result by [mask > 0] (mask has the output's shape): the ReLU's gradient. */
  mask?: DeviceTensor;
}

function dispatchConv(
  ctx: GpuContext,
  labelText: string,
  x: DeviceTensor,
  w: DeviceTensor,
  bias: DeviceTensor | undefined,
  options: ConvOptions,
): DeviceTensor {
  const [n, , h, width] = x.shape as [number, number, number, number];
  const cout = w.shape[0]!;
  if (options.mask && options.mask.shape.join() !== [n, cout, h, width].join()) {
    throw new Error(
      `conv3x3: the mask must have the output's shape [${[n, cout, h, width].join(',')}], got [${options.mask.shape.join(',')}]`,
    );
  }
  if (!fitsBinding(ctx, x, [n, cout, h, width])) return bandedConv(ctx, labelText, x, w, bias, options);
  const variant = chooseVariant(ctx, x, cout, options.variant);
  if (variant.run) return variant.run(ctx, { label: labelText, x, w, bias, reluInput: options.reluInput ?? false, mask: options.mask });
  const y = ctx.empty([n, cout, h, width], 'conv3x3 output');
  const pixelBlocks = h * Math.ceil(width / (4 * variant.pxVecs));
  const channelBlocks = Math.ceil(cout / variant.coBlock);
  let kernel: 'conv3x3_forward' | 'conv3x3_forward_subgroup' = 'conv3x3_forward';
  let workgroups: [number, number, number?];
  let consts: Record<string, number> = { CO_BLOCK: variant.coBlock, PX_VECS: variant.pxVecs };
  if (variant.subgroupWg !== undefined) {
    kernel = 'conv3x3_forward_subgroup';
    consts = { ...consts, WG: variant.subgroupWg };
    const [tilesX, tilesZ] = gridFor(ctx, pixelBlocks, kernel, consts);
    if (n * channelBlocks > ctx.maxWorkgroupsPerDimension)
      throw new Error(
        `conv3x3: batch ${n} × ${channelBlocks} channel blocks exceeds ${ctx.maxWorkgroupsPerDimension} workgroups; use a smaller batch`,
      );
    workgroups = [tilesX, n * channelBlocks, tilesZ];
  } else {
    workgroups = gridFor(ctx, n * channelBlocks * pixelBlocks, kernel, consts);
  }
  ctx.dispatch({
    kernel,
    label: labelText,
    params: convParams(x, cout),
    buffers: [x.buffer, w.buffer, bias ? bias.buffer : ctx.placeholder, y.buffer, options.mask ? options.mask.buffer : ctx.placeholder],
    overrides: { HAS_BIAS: bias ? 1 : 0, RELU_INPUT: options.reluInput ? 1 : 0, MASK: options.mask ? 1 : 0 },
    consts,
    workgroups,
  });
  return y;
}

/**
 * The rows of x [N, Cin, H, W] one band of a conv larger than one binding covers (with the halo row
 * above and below), so that the autotuner can time the shape the bands run at.
 */
export function convBands(ctx: GpuContext, shape: readonly number[], cout: number): RowBand[] {
  const [n, , h, w] = shape as [number, number, number, number];
  const out = [n, cout, h, w];
  // The mask (shaped as the output) is gathered with the halo too; so is the band's output.
  const tensors = [
    { t: shape, halo: 1 as const },
    { t: out, halo: 1 as const },
  ];
  return planRowBands(ctx, 'conv3x3', h, tensors);
}

/** A conv whose input or output exceeds one binding, run on bands of rows (band.ts). */
function bandedConv(
  ctx: GpuContext,
  labelText: string,
  x: DeviceTensor,
  w: DeviceTensor,
  bias: DeviceTensor | undefined,
  options: ConvOptions,
): DeviceTensor {
  const [n, , h, width] = x.shape as [number, number, number, number];
  const cout = w.shape[0]!;
  const out = [n, cout, h, width];
  const bands = convBands(ctx, x.shape, cout);
  // Every band runs the variant tuned for the first (full) band's shape: the same numbers in each.
  const first = bands[0]!.rows[0]!;
  const variant = options.variant ?? chooseVariant(ctx, { shape: [n, x.shape[1]!, first[1] - first[0], width] }, cout);
  const mask = options.mask;
  return rowBanded(ctx, {
    kernel: labelText,
    domainRows: h,
    inputs: mask
      ? [
          { t: x, halo: 1 },
          { t: mask, halo: 1 },
        ]
      : [{ t: x, halo: 1 }],
    output: { t: out },
    scratch: [{ t: out, halo: 1 }],
    rowsPerBand: bands[0]!.r1 - bands[0]!.r0,
    name: 'conv3x3 output',
    run: ([xb, maskb], band) => ({
      y: dispatchConv(ctx, `${labelText} rows ${band.r0}–${band.r1}`, xb!, w, bias, { ...options, variant, mask: maskb }),
      offset: band.r0 - band.rows[0]![0],
    }),
  });
}

/** y = conv3x3(x, w) + bias; with options.reluInput, conv3x3(relu(x), w) + bias. */
export function conv3x3Forward(
  ctx: GpuContext,
  x: DeviceTensor,
  w: DeviceTensor,
  bias?: DeviceTensor,
  options: Omit<ConvOptions, 'mask'> = {},
): DeviceTensor {
  checkWeights('conv3x3_forward', x, w, bias);
  return dispatchConv(ctx, label(options.reluInput ? 'conv3x3_relu_input_forward' : 'conv3x3_forward', { x, w }), x, w, bias, options);
}

/** Weights [Cin, Cout, 3, 3] rotated 180°, for conv3x3InputGrad. Compute once per weight tensor. */
export function flipConv3x3Weights(ctx: GpuContext, w: DeviceTensor): DeviceTensor {
  const [cout, cin] = w.shape as [number, number];
  if (w.shape.length !== 4 || w.shape[2] !== 3 || w.shape[3] !== 3) {
    throw new Error(`conv3x3_flip_weights: weights must have shape [Cout, Cin, 3, 3], got [${w.shape.join(',')}]`);
  }
  const flipped = ctx.empty([cin, cout, 3, 3], 'conv3x3 flipped weights');
  dispatchElementwise(ctx, 'conv3x3_flip_weights', label('conv3x3_flip_weights', { w }), w.size, { n: w.size, cin, cout }, [
    w.buffer,
    flipped.buffer,
  ]);
  return flipped;
}

/**
 * dx for y = conv3x3(x, w): a convolution of dy with the flipped weights (from flipConv3x3Weights).
 * For y = conv3x3(relu(x), w), pass x as options.mask: dx is then masked by [x > 0].
 */
export function conv3x3InputGrad(
  ctx: GpuContext,
  dy: DeviceTensor,
  flippedWeights: DeviceTensor,
  options: Omit<ConvOptions, 'reluInput'> = {},
): DeviceTensor {
  checkWeights('conv3x3_input_grad', dy, flippedWeights);
  return dispatchConv(
    ctx,
    label(options.mask ? 'conv3x3_input_grad_masked' : 'conv3x3_input_grad', { dy, wFlipped: flippedWeights }),
    dy,
    flippedWeights,
    undefined,
    options,
  );
}

/** dw [Cout, Cin, 3, 3] and db [Cout] for y = conv3x3(x, w, b). */
export function conv3x3WeightGrad(ctx: GpuContext, x: DeviceTensor, dy: DeviceTensor): { dw: DeviceTensor; db: DeviceTensor } {
  requireRank('conv3x3_weight_grad', 'x', x, 4);
  requireRank('conv3x3_weight_grad', 'dy', dy, 4);
  const [n, cin, h, w] = x.shape as [number, number, number, number];
  const cout = dy.shape[1]!;
  if (dy.shape[0] !== n || dy.shape[2] !== h || dy.shape[3] !== w) {
    throw new Error(`conv3x3_weight_grad: dy [${dy.shape.join(',')}] does not match x [${x.shape.join(',')}]`);
  }
  const dw = ctx.empty([cout, cin, 3, 3], 'conv3x3 weight gradient');
  const db = ctx.empty([cout], 'conv3x3 bias gradient');
  ctx.dispatch({
    kernel: 'conv3x3_weight_grad',
    label: label('conv3x3_weight_grad', { x, dy }),
    params: convParams(x, cout),
    buffers: [x.buffer, dy.buffer, dw.buffer, db.buffer],
    workgroups: gridFor(ctx, cout * (cin + 1), 'conv3x3_weight_grad'),
  });
  return { dw, db };
}
