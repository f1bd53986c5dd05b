// The W2 statistic's matrix kernels (src/kernels/matmul.ts, sqrtm.ts) and their backwards in the op
// table (src/graph/gradients.ts): α·op(A)·op(B) + β·D + δ·I for each transpose, the trace, and the
// Newton–Schulz square root with its Lyapunov backward, against float64 oracles (Jacobi's
// eigen-decomposition for √A), finite differences, and broken variants that must fail.

import { describe, expect, it } from 'vitest';
import type { DeviceTensor, GpuContext } from '../src/gpu/index.js';
import { OPS } from '../src/graph/gradients.js';
import { Tensor } from '../src/graph/index.js';
import {
  matmul,
  matrixTrace,
  sqrtmBackward,
  sqrtmForward,
  traceSqrtmBackward,
  traceSqrtmForward,
  type MatmulOptions,
} from '../src/kernels/index.js';
import { withBrokenShader } from './helpers/broken-shader.js';
import { expectClose, relativeError } from './helpers/compare.js';
import { useGpu } from './helpers/gpu.js';
import { describeDifferentiable, EXACT_TOLERANCE } from './helpers/kernel-check.js';
import * as oracle from './helpers/oracle-matrix.js';
import { randomArray } from './helpers/random.js';

/** The op table's backward of one op, for one input, given dOut. */
function opBackward(ctx: GpuContext, op: 'matmul' | 'trace', inputs: DeviceTensor[], wrt: number, dOut: DeviceTensor, ...saved: unknown[]) {
  const node = {
    inputs: inputs.map((t, i) => Tensor.leaf(t, i === wrt)),
    output: Tensor.leaf(dOut),
    dOut,
    needs: inputs.map((_, i) => i === wrt),
  };
  const grads = (OPS[op].backward as (...args: unknown[]) => Array<DeviceTensor | null>)(ctx, node, ...saved);
  for (const g of grads) if (g && g !== grads[wrt]) g.release();
  return grads[wrt]!;
}

/** A symmetric positive definite [c, c] matrix with eigenvalues in [0.5, 2]: Q·diag·Qᵀ. */
function spd(c: number, seed: number): Float64Array {
  const { v } = oracle.symmetricEigen(oracle.matmul(randomArray(c * c, seed), [c, c], randomArray(c * c, seed), [c, c], false, true), c);
  const d = Float64Array.from({ length: c }, (_, i) => 0.5 + (1.5 * i) / Math.max(1, c - 1));
  const vd = Float64Array.from(v, (x, e) => x * d[e % c]!);
  return oracle.matmul(vd, [c, c], v, [c, c], false, true);
}

describe('matmul: α·op(A)·op(B) + β·D + δ·I', () => {
  const gpu = useGpu();
  const [m, k, n] = [5, 7, 6];
  const alpha = 0.75;
  const beta = -1.5;
  const diag = 0.25;
  for (const transA of [false, true])
    for (const transB of [false, true]) {
      const aShape: [number, number] = transA ? [k, m] : [m, k];
      const bShape: [number, number] = transB ? [n, k] : [k, n];
      const a = randomArray(m * k, 11);
      const b = randomArray(k * n, 12);
      const d = randomArray(m * n, 13);
      const o: MatmulOptions = { transA, transB, alpha, diag };
      const forward = (x: ArrayLike<number>, y: ArrayLike<number>, dd: ArrayLike<number>) =>
        Float64Array.from(oracle.matmul(x, aShape, y, bShape, transA, transB), (v, e) =>
          e % n === Math.floor(e / n) ? alpha * v + beta * dd[e]! + diag : alpha * v + beta * dd[e]!,
        );
      const run = (ctx: GpuContext, xa: DeviceTensor, xb: DeviceTensor) => {
        const dt = ctx.upload([m, n], d);
        const y = matmul(ctx, xa, xb, { ...o, add: { d: dt, beta } });
        dt.release();
        return y;
      };
      const name = `${transA ? 'Aᵀ' : 'A'}·${transB ? 'Bᵀ' : 'B'}`;
      describeDifferentiable(gpu, {
        name: `${name}, gradient wrt A`,
        inputShape: aShape,
        outputShape: [m, n],
        input: a,
        forward: (ctx, x) => withUpload(ctx, bShape, b, (xb) => run(ctx, x, xb)),
        backward: (ctx, x, dy) => withUpload(ctx, bShape, b, (xb) => opBackward(ctx, 'matmul', [x, xb], 0, dy, o, beta)),
        oracle: (x) => forward(x, b, d),
        oracleBackward: (x, dy) => numericVjp((v) => forward(v, b, d), x, dy),
      });
      describeDifferentiable(gpu, {
        name: `${name}, gradient wrt B`,
        inputShape: bShape,
        outputShape: [m, n],
        input: b,
        forward: (ctx, x) => withUpload(ctx, aShape, a, (xa) => run(ctx, xa, x)),
        backward: (ctx, x, dy) => withUpload(ctx, aShape, a, (xa) => opBackward(ctx, 'matmul', [xa, x], 1, dy, o, beta)),
        oracle: (x) => forward(a, x, d),
        oracleBackward: (x, dy) => numericVjp((v) => forward(a, v, d), x, dy),
      });
    }

  it('gives D the gradient β·dOut', async () => {
    const ctx = gpu();
    const [ta, tb, td, dy] = [
      ctx.upload([m, k], randomArray(m * k, 1)),
      ctx.upload([k, n], randomArray(k * n, 2)),
      ctx.upload([m, n], randomArray(m * n, 3)),
      ctx.upload([m, n], randomArray(m * n, 4)),
    ];
    const dd = opBackward(ctx, 'matmul', [ta, tb, td], 2, dy, {}, beta);
    expectClose(
      await dd.read(),
      Float64Array.from(randomArray(m * n, 4), (v) => beta * v),
      EXACT_TOLERANCE,
      'dD',
    );
    for (const t of [ta, tb, td, dy, dd]) t.release();
  });

  for (const [what, correct, broken, transA] of [
    ['a transposed A read untransposed', 'return a[kk * p.m + i];', 'return a[i * p.k + kk];', true],
    ['the diagonal term on every entry', 'if (i == j) { v += p.diag; }', 'v += p.diag;', false],
  ] as const) {
    it(`a broken kernel (${what}) fails the oracle`, async () => {
      const ctx = withBrokenShader(gpu(), 'matmul', correct, broken);
      const [c, a, b] = [6, randomArray(36, 5), randomArray(36, 6)];
      const [ta, tb] = [ctx.upload([c, c], a), ctx.upload([c, c], b)];
      const y = matmul(ctx, ta, tb, { transA, diag: 0.5 });
      const expected = Float64Array.from(oracle.matmul(a, [c, c], b, [c, c], transA), (v, e) => v + (e % (c + 1) === 0 ? 0.5 : 0));
      expect(relativeError(await y.read(), expected)).toBeGreaterThan(EXACT_TOLERANCE * 10);
      for (const t of [ta, tb, y]) t.release();
    });
  }
});

describe('trace', () => {
  const gpu = useGpu();
  const c = 7;
  const x = randomArray(c * c, 21);
  describeDifferentiable(gpu, {
    name: `0.3·trace [${c},${c}]`,
    inputShape: [1, c, c],
    outputShape: [1],
    input: x,
    forward: (ctx, t) => matrixTrace(ctx, t, 0.3),
    backward: (ctx, t, dy) => opBackward(ctx, 'trace', [t], 0, dy, 0.3),
    oracle: (v) => [0.3 * oracle.trace(v, c)],
    oracleBackward: (_v, dy) => Float64Array.from({ length: c * c }, (_, e) => (e % (c + 1) === 0 ? 0.3 * dy[0]! : 0)),
  });

  it('adds a device-held offset, and a broken kernel (off the diagonal) fails', async () => {
    const ctx = gpu();
    const [t, offset] = [ctx.upload([c, c], x), ctx.upload([1], [2.5])];
    const y = matrixTrace(ctx, t, 1, offset);
    expectClose(await y.read(), [oracle.trace(x, c) + 2.5], EXACT_TOLERANCE, 'trace + offset');
    const broken = withBrokenShader(ctx, 'matrix_trace', 'x[i * (p.channels + 1u)]', 'x[i * p.channels]');
    const z = matrixTrace(broken, t, 1);
    expect(relativeError(await z.read(), [oracle.trace(x, c)])).toBeGreaterThan(EXACT_TOLERANCE * 10);
    for (const v of [t, offset, y, z]) v.release();
  });
});

describe('matrix square root (Newton–Schulz) and its Lyapunov backward', () => {
  const gpu = useGpu();
  const c = 6;
  const a = spd(c, 31);

  it('the float64 iteration oracle agrees with Jacobi’s eigen-decomposition', () => {
    expectClose(oracle.sqrtmGeneral(a, c), oracle.sqrtm(a, c), 1e-12, 'sqrtm oracles');
  });

  describeDifferentiable(gpu, {
    name: `sqrtm [${c},${c}], eigenvalues in [0.5, 2]`,
    inputShape: [c, c],
    outputShape: [c, c],
    input: a,
    forward: (ctx, x) => sqrtmForward(ctx, x),
    backward: (ctx, x, dy) => {
      const root = sqrtmForward(ctx, x);
      const da = sqrtmBackward(ctx, root, dy);
      root.release();
      return da;
    },
    oracle: (x) => oracle.sqrtmGeneral(x, c),
    oracleBackward: (x, dy) => oracle.sqrtmGrad(x, c, dy),
    deviceStep: 1e-2,
  });

  it('matches Jacobi’s square root of a covariance-like matrix (eigenvalues spread over 1e-3..1)', async () => {
    const ctx = gpu();
    const f = randomArray(c * 40, 41);
    const cov = Float64Array.from(oracle.matmul(f, [c, 40], f, [c, 40], false, true), (v, e) => v / 40 + (e % (c + 1) === 0 ? 1e-3 : 0));
    const t = ctx.upload([1, c, c], cov);
    const root = sqrtmForward(ctx, t);
    expect(root.shape).toEqual([1, c, c]);
    expectClose(await root.read(), oracle.sqrtm(cov, c), 1e-4, 'sqrtm of a covariance');
    for (const v of [t, root]) v.release();
  });

  it('12 iterations converge for eigenvalues down to 1e-3·‖A‖_F, not 1e-4 (SQRTM_ITERATIONS’s comment)', async () => {
    const ctx = gpu();
    const d = [1, 0.25, 1.2e-3, 1e-4]; // ‖A‖_F ≈ 1.03
    const t = ctx.upload(
      [4, 4],
      Float64Array.from({ length: 16 }, (_, e) => (e % 5 === 0 ? d[e / 5]! : 0)),
    );
    const y = sqrtmForward(ctx, t);
    const root = await y.read();
    const error = d.map((l, i) => Math.abs(root[i * 5]! / Math.sqrt(l) - 1));
    expect(Math.max(...error.slice(0, 3))).toBeLessThan(1e-5);
    expect(error[3]).toBeGreaterThan(0.05);
    for (const v of [t, y]) v.release();
  });

  it('too few iterations (a broken variant: 3 forward, 1 backward) fail the oracle', async () => {
    const ctx = gpu();
    const f = randomArray(c * 40, 42);
    const cov = Float64Array.from(oracle.matmul(f, [c, 40], f, [c, 40], false, true), (v, e) => v / 40 + (e % (c + 1) === 0 ? 1e-2 : 0));
    const [t, g] = [ctx.upload([c, c], cov), ctx.upload([c, c], randomArray(c * c, 43))];
    const root = sqrtmForward(ctx, t, 3);
    expect(relativeError(await root.read(), oracle.sqrtm(cov, c))).toBeGreaterThan(1e-3);
    const good = sqrtmForward(ctx, t);
    const da = sqrtmBackward(ctx, good, g, 1);
    expect(relativeError(await da.read(), oracle.sqrtmGrad(cov, c, randomArray(c * c, 43)))).toBeGreaterThan(1e-3);
    for (const v of [t, g, root, good, da]) v.release();
  });
});

describe('the trace of a matrix square root (W2’s term) and its gradient from Newton–Schulz’s Z', () => {
  const gpu = useGpu();
  const c = 6;
  const a = spd(c, 33);
  const factor = -2 / c; // the W2 term's weight: a negative dOut-like factor
  const traceOf = (ctx: GpuContext, x: DeviceTensor, iterations?: number) => traceSqrtmForward(ctx, x, factor, true, iterations);
  const withGradient = (ctx: GpuContext, x: DeviceTensor, dy: DeviceTensor, iterations?: number) => {
    const { trace, gradient } = traceOf(ctx, x, iterations);
    const da = traceSqrtmBackward(ctx, gradient!, dy);
    for (const t of [trace, gradient!]) t.release();
    return da;
  };
  /** factor·½·A^(−1/2)·dy[0], in A's eigenbasis. */
  const exactGradient = (x: ArrayLike<number>, dy: ArrayLike<number>) => {
    const { d, v } = oracle.symmetricEigen(x, c);
    const vd = Float64Array.from(v, (e, i) => (e * factor * 0.5 * dy[0]!) / Math.sqrt(d[i % c]!));
    return oracle.matmul(vd, [c, c], v, [c, c], false, true);
  };

  describeDifferentiable(gpu, {
    name: `factor·tr √A [${c},${c}], eigenvalues in [0.5, 2]`,
    inputShape: [c, c],
    outputShape: [1],
    input: a,
    forward: (ctx, x) => {
      const { trace, gradient } = traceSqrtmForward(ctx, x, factor, false);
      expect(gradient).toBeNull();
      return trace;
    },
    backward: (ctx, x, dy) => withGradient(ctx, x, dy),
    oracle: (x) => [factor * oracle.trace(oracle.sqrtmGeneral(x, c), c)],
    oracleBackward: exactGradient,
    deviceStep: 1e-2,
  });

  it('gives the trace sqrtm gives, and the gradient the Lyapunov backward gives for dY = factor·I (a negative dOut too)', async () => {
    const ctx = gpu();
    const t = ctx.upload([1, c, c], a);
    const eye = ctx.upload(
      [1, c, c],
      Float64Array.from({ length: c * c }, (_, e) => (e % (c + 1) === 0 ? factor : 0)),
    );
    const one = ctx.upload([1], [-1]); // a negative dOut (WGSL's pow(s, 1) is NaN for s < 0)
    const root = sqrtmForward(ctx, t);
    const [viaRoot, lyapunov] = [matrixTrace(ctx, root, factor), sqrtmBackward(ctx, root, eye)];
    const { trace, gradient } = traceOf(ctx, t);
    const da = traceSqrtmBackward(ctx, gradient!, one);
    expect(da.shape).toEqual([1, c, c]);
    expect((await trace.read())[0]).toBe((await viaRoot.read())[0]);
    expectClose(
      await da.read(),
      Array.from(await lyapunov.read(), (v) => -v),
      1e-5,
      'Z-based vs Lyapunov gradient',
    );
    for (const v of [t, eye, one, root, viaRoot, lyapunov, trace, gradient!, da]) v.release();
  });

  it('too few iterations (a broken variant: 3) fail the oracle, forward and gradient', async () => {
    const ctx = gpu();
    const f = randomArray(c * 40, 44);
    const cov = Float64Array.from(oracle.matmul(f, [c, 40], f, [c, 40], false, true), (v, e) => v / 40 + (e % (c + 1) === 0 ? 1e-2 : 0));
    const [t, dy] = [ctx.upload([c, c], cov), ctx.upload([1], [0.7])];
    const { trace, gradient } = traceOf(ctx, t, 3);
    expect(relativeError(await trace.read(), [factor * oracle.trace(oracle.sqrtm(cov, c), c)])).toBeGreaterThan(1e-3);
    const da = withGradient(ctx, t, dy, 3);
    expect(relativeError(await da.read(), exactGradient(cov, [0.7]))).toBeGreaterThan(1e-3);
    const good = withGradient(ctx, t, dy);
    expectClose(await good.read(), exactGradient(cov, [0.7]), 1e-3, 'gradient of a covariance, 12 iterations');
    for (const v of [t, dy, trace, gradient!, da, good]) v.release();
  });
});

function withUpload<T>(ctx: GpuContext, shape: readonly number[], values: ArrayLike<number>, body: (t: DeviceTensor) => T): T {
  const t = ctx.upload(shape, values);
  try {
    return body(t);
  } finally {
    t.release();
  }
}

/** Σ dy ⊙ ∂f/∂x by float64 central differences of a linear-in-x function (exact for matmul's). */
function numericVjp(f: (x: Float64Array) => Float64Array, x: ArrayLike<number>, dy: ArrayLike<number>): Float64Array {
  const base = Float64Array.from(x);
  return Float64Array.from(base, (_, i) => {
    const [plus, minus] = [Float64Array.from(base), Float64Array.from(base)];
    plus[i]! += 0.5;
    minus[i]! -= 0.5;
    const [fp, fm] = [f(plus), f(minus)];
    return fp.reduce((s, v, e) => s + (dy[e]! * (v - fm[e]!)) / 1, 0);
  });
}
