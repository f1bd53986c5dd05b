// The square root of a symmetric positive semi-definite matrix by Newton–Schulz iterations, and its
// gradient by the coupled Newton–Schulz iteration for the Lyapunov equation √A·X + X·√A = G
// (crowsonkb/style-transfer-pytorch's sqrtm.py, after msubhransu/matrix-sqrt), every step a matmul
// on the device. The matrix is divided by its Frobenius norm first (eigenvalues in (0, 1], where
// the iteration converges) and the result multiplied by the norm's square root; the norm stays on
// the device (scale_by_power). The W2 term needs only tr √A, whose gradient ½·A^(−1/2) the forward's
// own Z gives (traceSqrtmForward): the Lyapunov backward stays for the general op (ops.sqrtm).

import type { DeviceTensor, GpuContext } from '../gpu/index.js';
import { dot } from './dot.js';
import { addDiagonal, matmul, matrixShape, matrixTrace, scaleByPower } from './matmul.js';
import { scale } from './axpby.js';

/**
 * Iterations of both: crowsonkb's StyleLossW2 uses 12 (the reference bench/style_losses_ref.py
 * checks against). An eigenvalue λ ≪ ‖A‖_F starts at λ/‖A‖_F and grows about 1.5× an iteration
 * until near its root, then converges quadratically: 12 reach float32's precision for λ/‖A‖_F down
 * to 1e-3 (float64: 1e-6 relative error there), but leave √λ 0.6 % low at 3e-4 and 11 % low at 1e-4
 * (Z's λ^(−1/2) as much: Y = A·Z); such eigenvalues weigh little in a trace.
 */
export const SQRTM_ITERATIONS = 12;

/** Y ≈ √A (of A's shape) for A [C, C] (or [1, C, C]), symmetric positive semi-definite. */
export function sqrtmForward(ctx: GpuContext, a: DeviceTensor, iterations = SQRTM_ITERATIONS): DeviceTensor {
  requireSquare('sqrtm', a);
  const { root, inverse, norm2 } = newtonSchulz(ctx, a, iterations, false);
  for (const t of [inverse, norm2]) t?.release();
  return root;
}

/** factor·tr √A, and with `gradient` its gradient wrt A for one unit of the output: factor·½·A^(−1/2). */
export interface TraceSqrtm {
  trace: DeviceTensor;
  gradient: DeviceTensor | null;
}

/**
 * factor·tr √A by the same iteration as sqrtmForward (the same numbers), and d/dA = factor·½·A^(−1/2)
 * from the iteration's own Z (→ (A/‖A‖)^(−1/2), so A^(−1/2) = Z·‖A‖^(−1/2)): the gradient of the
 * trace costs no matmul, where sqrtmBackward's Lyapunov iteration costs five per iteration. Where an
 * eigenvalue λ has not converged, Z's λ^(−1/2) is low as Y's √λ is (Y = A·Z in every iteration).
 */
export function traceSqrtmForward(
  ctx: GpuContext,
  a: DeviceTensor,
  factor: number,
  gradient: boolean,
  iterations = SQRTM_ITERATIONS,
): TraceSqrtm {
  requireSquare('trace_sqrtm', a);
  const { root, inverse, norm2 } = newtonSchulz(ctx, a, iterations, gradient);
  const trace = matrixTrace(ctx, root, factor);
  let scaled: DeviceTensor | null = null;
  if (inverse) {
    const unnormalised = scaleByPower(ctx, inverse, norm2, -0.25);
    scaled = scale(ctx, unnormalised, factor / 2);
    for (const t of [inverse, unnormalised]) t.release();
  }
  for (const t of [root, norm2]) t.release();
  return { trace, gradient: scaled };
}

/** dA of trace_sqrtm: its gradient times dOut (a one-value tensor). */
export function traceSqrtmBackward(ctx: GpuContext, gradient: DeviceTensor, dOut: DeviceTensor): DeviceTensor {
  return scaleByPower(ctx, gradient, dOut, 1);
}

/**
 * Y ≈ √A and (with `inverse`) Z ≈ (A/‖A‖_F)^(−1/2) by `iterations` coupled Newton–Schulz steps on A/‖A‖_F,
 * and ‖A‖_F² (a device scalar): the caller releases what it is given.
 */
function newtonSchulz(ctx: GpuContext, a: DeviceTensor, iterations: number, inverse: boolean) {
  const norm2 = dot(ctx, a, a);
  let y = scaleByPower(ctx, a, norm2, -0.5);
  let z: DeviceTensor | null = null; // Z = I before the first iteration
  for (let i = 0; i < iterations; i++) {
    // T = (3I − Z·Y)/2; Y ← Y·T; Z ← T·Z (Z not needed after the last step unless asked for)
    const t: DeviceTensor = z ? matmul(ctx, z, y, { alpha: -0.5, diag: 1.5 }) : addDiagonal(ctx, y, -0.5, 1.5);
    const yNext: DeviceTensor = matmul(ctx, y, t, { shape: a.shape });
    const needZ = inverse || i < iterations - 1;
    const zNext: DeviceTensor | null = !needZ ? null : z ? matmul(ctx, t, z, { shape: a.shape }) : t;
    y.release();
    z?.release();
    if (z || !needZ) t.release();
    [y, z] = [yNext, zNext];
  }
  const root = scaleByPower(ctx, y, norm2, 0.25);
  y.release();
  return { root, inverse: z, norm2 };
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
