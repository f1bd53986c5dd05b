// The square root of a symmetric positive semi-definite matrix by Newton–Schulz iterations, and its
// gradient by the coupled Newton–Schulz iteration for the Lyapunov equation √A·X + X·√A = G
// (crowsonkb/style-transfer-pytorch's sqrtm.py, after msubhransu/matrix-sqrt), every step a matmul
// on the device. The matrix is divided by its Frobenius norm first (eigenvalues in (0, 1], where
// the iteration converges) and the result multiplied by the norm's square root; the norm stays on
// the device (scale_by_power).

import type { DeviceTensor, GpuContext } from '../gpu/index.js';
import { dot } from './dot.js';
import { addDiagonal, matmul, matrixShape, scaleByPower } from './matmul.js';

/**
 * Iterations of both: crowsonkb's StyleLossW2 uses 12 (the reference bench/style_losses_ref.py
 * checks against). Each multiplies the error of an eigenvalue λ ≪ ‖A‖ by about (1 − √(λ/‖A‖))·…:
 * 12 reach float32's precision for λ/‖A‖_F down to about 1e-4, and the small eigenvalues left
 * unconverged weigh little in a trace.
 */
export const SQRTM_ITERATIONS = 12;

/** Y ≈ √A (of A's shape) for A [C, C] (or [1, C, C]), symmetric positive semi-definite. */
export function sqrtmForward(ctx: GpuContext, a: DeviceTensor, iterations = SQRTM_ITERATIONS): DeviceTensor {
  requireSquare('sqrtm', a);
  const norm2 = dot(ctx, a, a);
  let y = scaleByPower(ctx, a, norm2, -0.5);
  let z: DeviceTensor | null = null; // Z = I before the first iteration
  for (let i = 0; i < iterations; i++) {
    // T = (3I − Z·Y)/2; Y ← Y·T; Z ← T·Z
    const t: DeviceTensor = z ? matmul(ctx, z, y, { alpha: -0.5, diag: 1.5 }) : addDiagonal(ctx, y, -0.5, 1.5);
    const yNext: DeviceTensor = matmul(ctx, y, t, { shape: a.shape });
    const zNext: DeviceTensor = z ? matmul(ctx, t, z) : t;
    y.release();
    if (z) {
      z.release();
      t.release();
    }
    [y, z] = [yNext, zNext];
  }
  z?.release();
  const root = scaleByPower(ctx, y, norm2, 0.25);
  for (const t of [y, norm2]) t.release();
  return root;
}

/** dA for sqrtmForward's A given its output Y = √A and dY: X with Y·X + X·Y = dY, by the coupled iteration. */
export function sqrtmBackward(ctx: GpuContext, root: DeviceTensor, dRoot: DeviceTensor, iterations = SQRTM_ITERATIONS): DeviceTensor {
  requireSquare('sqrtm_backward', root);
  if (iterations < 1) throw new Error(`sqrtm_backward: iterations must be at least 1, got ${iterations}`);
  const norm2 = dot(ctx, root, root);
  let a = scaleByPower(ctx, root, norm2, -0.5);
  let q = scaleByPower(ctx, dRoot, norm2, -0.5);
  for (let i = 0; i < iterations; i++) {
    // E = 3I − a·a; q ← (q·E − aᵀ·(aᵀ·q − q·a))/2; a ← a·E/2
    const e = matmul(ctx, a, a, { alpha: -1, diag: 3 });
    const qa = matmul(ctx, q, a);
    const inner = matmul(ctx, a, q, { transA: true, add: { d: qa, beta: -1 } });
    // The last iteration also halves q (X = q/2) and gives it dY's shape.
    const last = i === iterations - 1 ? 0.5 : 1;
    const qe = matmul(ctx, q, e, { alpha: 0.5 * last, shape: dRoot.shape });
    const qNext = matmul(ctx, a, inner, { transA: true, alpha: -0.5 * last, add: { d: qe, beta: 1 } });
    for (const t of [qa, inner, qe, q]) t.release();
    q = qNext;
    if (i < iterations - 1) {
      const aNext = matmul(ctx, a, e, { alpha: 0.5 });
      a.release();
      a = aNext;
    }
    e.release();
  }
  for (const t of [a, norm2]) t.release();
  return q;
}

function requireSquare(kernel: string, a: DeviceTensor): void {
  const [r, c] = matrixShape(kernel, 'A', a);
  if (r !== c) throw new Error(`${kernel}: A must be square, got [${a.shape.join(',')}]`);
}
