// Small dense matrix products and what the W2 style loss builds from them (shaders/matmul.wgsl,
// matrix_trace.wgsl, matrix_trace_backward.wgsl, scale_by_power.wgsl): out = α·op(A)·op(B) + β·D
// + δ·I with op an optional transpose; the trace of a square matrix (with a device-held offset) and
// its gradient; a tensor scaled by a power of a device-held scalar. Matrices are row-major; any
// leading dimensions of size 1 are ignored (a [1, C, C] Gram is a C×C matrix).

import { formatShape, shapeSize, type DeviceTensor, type GpuContext } from '../gpu/index.js';
import { dispatchElementwise, label, requireScalar } from './launch.js';

/** Rows and columns of the block of `out` one invocation of matmul computes. */
const BLOCK = 4;

export interface MatmulOptions {
  transA?: boolean;
  transB?: boolean;
  /** α (default 1). */
  alpha?: number;
  /** β·D is added (D of the output's shape; default none). */
  add?: { d: DeviceTensor; beta: number };
  /** δ added to the diagonal (default 0). */
  diag?: number;
  /** The output's shape, of m·n values (default: D's with `add`, else [m, n]; a gradient takes its input's). */
  shape?: readonly number[];
}

/** [rows, columns] of a tensor viewed as a matrix: its last two dimensions, every other of size 1. */
export function matrixShape(kernel: string, name: string, t: DeviceTensor): [number, number] {
  const s = t.shape;
  if (s.length < 2 || s.slice(0, -2).some((d) => d !== 1))
    throw new Error(`${kernel}: ${name} must be a matrix (leading dimensions 1), got ${formatShape(s)}`);
  return [s[s.length - 2]!, s[s.length - 1]!];
}

/** A new [m, n] tensor α·op(A)·op(B) + β·D + δ·I. */
export function matmul(ctx: GpuContext, a: DeviceTensor, b: DeviceTensor, options: MatmulOptions = {}): DeviceTensor {
  const [ar, ac] = matrixShape('matmul', 'A', a);
  const [br, bc] = matrixShape('matmul', 'B', b);
  const [m, k] = options.transA ? [ac, ar] : [ar, ac];
  const [kb, n] = options.transB ? [bc, br] : [br, bc];
  if (k !== kb) throw new Error(`matmul: op(A) ${formatShape([m, k])} and op(B) ${formatShape([kb, n])} do not chain`);
  const add = options.add;
  if (add && add.d.size !== m * n) throw new Error(`matmul: D ${formatShape(add.d.shape)} must hold ${m}×${n} values`);
  const shape = options.shape ?? add?.d.shape ?? [m, n];
  if (shapeSize(shape) !== m * n) throw new Error(`matmul: an output of shape ${formatShape(shape)} cannot hold ${m}×${n} values`);
  const out = ctx.empty(shape, 'matmul');
  const [wgX, wgY] = ctx.workgroupSize('matmul');
  ctx.dispatch({
    kernel: 'matmul',
    label: label('matmul', { a, b }),
    params: {
      m,
      n,
      k,
      trans_a: options.transA ? 1 : 0,
      trans_b: options.transB ? 1 : 0,
      alpha: options.alpha ?? 1,
      beta: add?.beta ?? 0,
      diag: options.diag ?? 0,
    },
    buffers: [a.buffer, b.buffer, add?.d.buffer ?? ctx.placeholder, out.buffer],
    workgroups: [Math.ceil(Math.ceil(n / BLOCK) / wgX), Math.ceil(Math.ceil(m / BLOCK) / wgY), 1],
  });
  return out;
}

/** A new tensor β·D + δ·I (matmul's kernel with no product: k = 0), D square. */
export function addDiagonal(ctx: GpuContext, d: DeviceTensor, beta: number, diag: number): DeviceTensor {
  const c = squareSide('add_diagonal', d);
  const out = ctx.empty(d.shape, 'β·D + δ·I');
  const [wgX, wgY] = ctx.workgroupSize('matmul');
  const groups = Math.ceil(Math.ceil(c / BLOCK) / wgX);
  ctx.dispatch({
    kernel: 'matmul',
    label: label('add_diagonal', { d }),
    params: { m: c, n: c, k: 0, trans_a: 0, trans_b: 0, alpha: 0, beta, diag },
    buffers: [d.buffer, d.buffer, d.buffer, out.buffer],
    workgroups: [groups, Math.ceil(Math.ceil(c / BLOCK) / wgY), 1],
  });
  return out;
}

/** A one-value tensor scale·trace(X) (+ offset[0], a one-value device tensor). */
export function matrixTrace(ctx: GpuContext, x: DeviceTensor, scale = 1, offset?: DeviceTensor): DeviceTensor {
  const c = squareSide('matrix_trace', x);
  if (offset) requireScalar('matrix_trace', 'offset', offset);
  const out = ctx.empty([1], 'trace');
  ctx.dispatch({
    kernel: 'matrix_trace',
    label: label('matrix_trace', { x }),
    params: { channels: c, scale, has_offset: offset ? 1 : 0 },
    buffers: [x.buffer, offset?.buffer ?? ctx.placeholder, out.buffer],
    workgroups: [1],
  });
  return out;
}

/** d(scale·trace(X))/dX times dOut (one value): scale·dOut·I, of X's shape. */
export function matrixTraceBackward(ctx: GpuContext, xShape: readonly number[], dOut: DeviceTensor, scale = 1): DeviceTensor {
  requireScalar('matrix_trace_backward', 'dOut', dOut);
  const dx = ctx.empty(xShape, 'trace gradient');
  const c = squareSide('matrix_trace_backward', dx);
  const params = { n: c * c, channels: c, scale };
  dispatchElementwise(ctx, 'matrix_trace_backward', label('matrix_trace_backward', { dOut }), c * c, params, [dOut.buffer, dx.buffer]);
  return dx;
}

/** A new tensor x · s[0]^exponent, s a one-value device tensor (≥ 0 unless the exponent is 1: WGSL's pow). */
export function scaleByPower(ctx: GpuContext, x: DeviceTensor, s: DeviceTensor, exponent: number): DeviceTensor {
  requireScalar('scale_by_power', 's', s);
  const y = ctx.empty(x.shape, 'scaled by a power');
  dispatchElementwise(ctx, 'scale_by_power', label('scale_by_power', { x }), x.size, { n: x.size, exponent }, [
    x.buffer,
    s.buffer,
    y.buffer,
  ]);
  return y;
}

function squareSide(kernel: string, x: DeviceTensor): number {
  const [r, c] = matrixShape(kernel, 'X', x);
  if (r !== c) throw new Error(`${kernel}: X must be square, got ${formatShape(x.shape)}`);
  return c;
}
