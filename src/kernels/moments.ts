// Per-channel raw moments of features and their gradient (shaders/moments_forward.wgsl,
// moments_backward.wgsl), optionally weighted per pixel (a style mask: E_w[g] = Σ_p w_p·g(x_p) /
// (P·mean w)); and raw moments [μ, E[x²]] to [μ, σ] with σ = sqrt(E[x²] − μ² + eps) and back
// (moments_std.wgsl, moments_std_backward.wgsl). Features are one image's, [1, C, H, W]; past one
// binding they run band by band of rows (band.ts).

import { forEachDistinct } from '../gpu/counting.js';
import { formatShape, type DeviceTensor, type GpuContext } from '../gpu/index.js';
import { accumulate } from './axpby.js';
import { fitsBinding, gatherRows, planRowBands, rowBanded } from './band.js';
import { dispatchElementwise, label, requireRank } from './launch.js';

/** 1: the mean alone ([1, C]); 2: the mean and E[x²] ([2, C]). */
export type MomentOrders = 1 | 2;

/** Per-pixel weights [1, 1, H, W] and their mean (> 0); see style-statistics.ts's LayerMask. */
export interface PixelWeights {
  weights: DeviceTensor;
  mean: number;
}

interface Geometry {
  c: number;
  h: number;
  w: number;
  /** 1/(P·mean w) of the whole image (a band's kernels use the whole's). */
  scale: number;
}

function geometry(kernel: string, x: DeviceTensor, mask: PixelWeights | undefined, scale?: number): Geometry {
  requireRank(kernel, 'x', x, 4);
  const [n, c, h, w] = x.shape as [number, number, number, number];
  if (n !== 1) throw new Error(`${kernel}: x must hold one image's features, got ${formatShape(x.shape)}`);
  if (c * h * w === 0) throw new Error(`${kernel}: features ${formatShape(x.shape)} are empty (the image is too small for this layer)`);
  if (mask) {
    const s = mask.weights.shape;
    if (s.length !== 4 || s[0] !== 1 || s[1] !== 1 || s[2] !== h || s[3] !== w)
      throw new Error(`${kernel}: weights must have shape [1,1,${h},${w}] for x ${formatShape(x.shape)}, got ${formatShape(s)}`);
    if (!(mask.mean > 0)) throw new Error(`${kernel}: the weights' mean must be positive, got ${mask.mean}`);
  }
  return { c, h, w, scale: scale ?? 1 / (h * w * (mask?.mean ?? 1)) };
}

/** [orders, C]: the (weighted) mean of each channel, and with orders 2 its E[x²]. */
export function momentsForward(ctx: GpuContext, x: DeviceTensor, orders: MomentOrders, mask?: PixelWeights, scale?: number): DeviceTensor {
  const g = geometry('moments_forward', x, mask, scale);
  if (!fitsBinding(ctx, x)) {
    let m: DeviceTensor | null = null;
    const bands = planRowBands(ctx, 'moments_forward', g.h, [{ t: x }]);
    forEachDistinct(
      ctx,
      bands,
      (band) => `${band.r1 - band.r0}`,
      (band) => {
        const xb = gatherRows(ctx, x, band.r0, band.r1, 'moments band input');
        const wb = mask && { weights: gatherRows(ctx, mask.weights, band.r0, band.r1, 'moments band weights'), mean: mask.mean };
        const part = momentsForward(ctx, xb, orders, wb, g.scale);
        for (const t of [xb, wb?.weights]) t?.release();
        if (!m) m = part;
        else {
          accumulate(ctx, m, part);
          part.release();
        }
      },
    );
    return m!;
  }
  const m = ctx.empty([orders, g.c], 'moments');
  ctx.dispatch({
    kernel: 'moments_forward',
    label: label('moments_forward', { x }),
    params: { channels: g.c, pixels: g.h * g.w, orders, weighted: mask ? 1 : 0, scale: g.scale },
    buffers: [x.buffer, mask?.weights.buffer ?? ctx.placeholder, m.buffer],
    workgroups: [g.c],
  });
  return m;
}

/** dx for momentsForward's x, given dm [orders, C]. */
export function momentsBackward(ctx: GpuContext, x: DeviceTensor, dm: DeviceTensor, mask?: PixelWeights, scale?: number): DeviceTensor {
  const g = geometry('moments_backward', x, mask, scale);
  const orders = dm.shape[0];
  if (dm.shape.length !== 2 || (orders !== 1 && orders !== 2) || dm.shape[1] !== g.c)
    throw new Error(`moments_backward: dm must have shape [1 or 2, ${g.c}], got ${formatShape(dm.shape)}`);
  if (!fitsBinding(ctx, x)) {
    return rowBanded(ctx, {
      kernel: 'moments_backward',
      domainRows: g.h,
      inputs: mask ? [{ t: x }, { t: mask.weights }] : [{ t: x }],
      output: { t: x.shape },
      name: 'moments input gradient',
      run: ([xb, wb]) => ({ y: momentsBackward(ctx, xb!, dm, wb && { weights: wb, mean: mask!.mean }, g.scale), offset: 0 }),
    });
  }
  const dx = ctx.empty(x.shape, 'moments input gradient');
  const pixels = g.h * g.w;
  const params = { n: x.size, channels: g.c, pixels, orders, weighted: mask ? 1 : 0, scale: g.scale };
  const buffers = [x.buffer, mask?.weights.buffer ?? ctx.placeholder, dm.buffer, dx.buffer];
  dispatchElementwise(ctx, 'moments_backward', label('moments_backward', { x, dm }), x.size, params, buffers);
  return dx;
}

function requireRawMoments(kernel: string, m: DeviceTensor): number {
  if (m.shape.length !== 2 || m.shape[0] !== 2) throw new Error(`${kernel}: m must have shape [2, C], got ${formatShape(m.shape)}`);
  return m.shape[1]!;
}

/** [μ, E[x²]] ([2, C]) to [μ, σ], σ = sqrt(max(E[x²] − μ², 0) + eps). */
export function momentsStd(ctx: GpuContext, m: DeviceTensor, eps: number): DeviceTensor {
  const c = requireRawMoments('moments_std', m);
  const out = ctx.empty([2, c], 'mean and deviation');
  dispatchElementwise(ctx, 'moments_std', label('moments_std', { m }), c, { n: c, eps }, [m.buffer, out.buffer]);
  return out;
}

/** d[μ, E[x²]] for momentsStd's m, given d[μ, σ]. */
export function momentsStdBackward(ctx: GpuContext, m: DeviceTensor, d: DeviceTensor, eps: number): DeviceTensor {
  const c = requireRawMoments('moments_std_backward', m);
  if (d.size !== 2 * c) throw new Error(`moments_std_backward: d must have shape [2, ${c}], got ${formatShape(d.shape)}`);
  const dm = ctx.empty([2, c], 'raw moments gradient');
  dispatchElementwise(ctx, 'moments_std_backward', label('moments_std_backward', { m, d }), c, { n: c, eps }, [
    m.buffer,
    d.buffer,
    dm.buffer,
  ]);
  return dm;
}
