// Float64 oracles of the matrix kernels and the W2 / mean-std style statistics (src/kernels/matmul.ts,
// sqrtm.ts, moments.ts; src/style/stats-w2.ts, stats-mean-std.ts): plain loops, and the matrix
// square root by Jacobi's eigen-decomposition (exact up to float64), not by the device's iteration.

type Arr = ArrayLike<number>;

/** op(A)·op(B) for row-major A [ar, ac], B [br, bc], op a transpose where asked. */
export function matmul(a: Arr, [ar, ac]: [number, number], b: Arr, [br, bc]: [number, number], transA = false, transB = false) {
  const [m, k] = transA ? [ac, ar] : [ar, ac];
  const n = transB ? br : bc;
  const out = new Float64Array(m * n);
  for (let i = 0; i < m; i++)
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let t = 0; t < k; t++) s += (transA ? a[t * ac + i]! : a[i * ac + t]!) * (transB ? b[j * bc + t]! : b[t * bc + j]!);
      out[i * n + j] = s;
    }
  return out;
}

export const transpose = (a: Arr, c: number): Float64Array => Float64Array.from(a, (_, e) => a[(e % c) * c + Math.floor(e / c)]!);

export function trace(a: Arr, c: number): number {
  let s = 0;
  for (let i = 0; i < c; i++) s += a[i * c + i]!;
  return s;
}

/** Eigenvalues d and eigenvectors V (columns, row-major [c, c]) of a symmetric matrix: cyclic Jacobi rotations. */
export function symmetricEigen(a: Arr, c: number): { d: Float64Array; v: Float64Array } {
  const m = Float64Array.from(a);
  const v = new Float64Array(c * c);
  for (let i = 0; i < c; i++) v[i * c + i] = 1;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let p = 0; p < c; p++) for (let q = p + 1; q < c; q++) off += m[p * c + q]! ** 2;
    if (off < 1e-30) break;
    for (let p = 0; p < c; p++)
      for (let q = p + 1; q < c; q++) {
        const apq = m[p * c + q]!;
        if (Math.abs(apq) < 1e-300) continue;
        const theta = (m[q * c + q]! - m[p * c + p]!) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const cs = 1 / Math.sqrt(t * t + 1);
        const sn = t * cs;
        for (let k = 0; k < c; k++) {
          const [mkp, mkq] = [m[k * c + p]!, m[k * c + q]!];
          m[k * c + p] = cs * mkp - sn * mkq;
          m[k * c + q] = sn * mkp + cs * mkq;
        }
        for (let k = 0; k < c; k++) {
          const [mpk, mqk] = [m[p * c + k]!, m[q * c + k]!];
          m[p * c + k] = cs * mpk - sn * mqk;
          m[q * c + k] = sn * mpk + cs * mqk;
        }
        for (let k = 0; k < c; k++) {
          const [vkp, vkq] = [v[k * c + p]!, v[k * c + q]!];
          v[k * c + p] = cs * vkp - sn * vkq;
          v[k * c + q] = sn * vkp + cs * vkq;
        }
      }
  }
  return { d: Float64Array.from({ length: c }, (_, i) => m[i * c + i]!), v };
}

/** V·diag(f(d))·Vᵀ. */
function spectral(v: Arr, d: Arr, c: number, f: (x: number) => number): Float64Array {
  const out = new Float64Array(c * c);
  for (let i = 0; i < c; i++)
    for (let j = 0; j < c; j++) {
      let s = 0;
      for (let k = 0; k < c; k++) s += v[i * c + k]! * f(d[k]!) * v[j * c + k]!;
      out[i * c + j] = s;
    }
  return out;
}

/** √A of a symmetric positive semi-definite A (eigenvalues below 0 by rounding taken as 0). */
export function sqrtm(a: Arr, c: number): Float64Array {
  const { d, v } = symmetricEigen(a, c);
  return spectral(v, d, c, (x) => Math.sqrt(Math.max(x, 0)));
}

/**
 * √A of a matrix near a symmetric positive definite one (a finite difference's neighbour): the
 * Newton–Schulz iteration run to float64 convergence. Checked against sqrtm where A is symmetric.
 */
export function sqrtmGeneral(a: Arr, c: number, iterations = 200): Float64Array {
  const norm = Math.sqrt(Array.from(a).reduce((s, x) => s + x * x, 0));
  let y = Float64Array.from(a, (x) => x / norm);
  let z = new Float64Array(c * c);
  for (let i = 0; i < c; i++) z[i * c + i] = 1;
  for (let it = 0; it < iterations; it++) {
    const t = Float64Array.from(matmul(z, [c, c], y, [c, c]), (x, e) => (-x + (e % (c + 1) === 0 ? 3 : 0)) / 2);
    [y, z] = [matmul(y, [c, c], t, [c, c]), matmul(t, [c, c], z, [c, c])];
  }
  return Float64Array.from(y, (x) => x * Math.sqrt(norm));
}

/** dA of ⟨G, √A⟩ at a symmetric A: X with √A·X + X·√A = G, in A's eigenbasis X'ij = G'ij / (√di + √dj). */
export function sqrtmGrad(a: Arr, c: number, g: Arr): Float64Array {
  const { d, v } = symmetricEigen(a, c);
  const gp = matmul(matmul(v, [c, c], g, [c, c], true), [c, c], v, [c, c]);
  const xp = Float64Array.from(gp, (x, e) => x / (Math.sqrt(d[Math.floor(e / c)]!) + Math.sqrt(d[e % c]!)));
  return matmul(matmul(v, [c, c], xp, [c, c]), [c, c], v, [c, c], false, true);
}

/** Per-channel [μ; E[x²]] (orders 2) or [μ] of features [1, c, p] weighted per pixel by w (1 each when absent), divided by p·mean(w). */
export function moments(x: Arr, c: number, p: number, orders: 1 | 2, w?: Arr): Float64Array {
  const mean = w ? Array.from(w).reduce((s, v) => s + v, 0) / p : 1;
  const out = new Float64Array(orders * c);
  for (let ch = 0; ch < c; ch++)
    for (let i = 0; i < p; i++) {
      const [v, wi] = [x[ch * p + i]!, w ? w[i]! : 1];
      out[ch]! += (wi * v) / (p * mean);
      if (orders === 2) out[c + ch]! += (wi * v * v) / (p * mean);
    }
  return out;
}

/** [μ; E[x²]] to [μ; σ], σ = sqrt(E[x²] − μ² + eps). */
export const momentsStd = (m: Arr, eps: number): Float64Array => {
  const c = m.length / 2;
  return Float64Array.from({ length: 2 * c }, (_, i) => (i < c ? m[i]! : Math.sqrt(Math.max(m[i]! - m[i - c]! ** 2, 0) + eps)));
};

/** The W2 statistic's term (stats-w2.ts) for features x [1, c, p] against a style's [1, c, styleP], exactly. */
export function w2Loss(x: Arr, style: Arr, c: number, p: number, eps: number, w?: Arr, styleP = p): number {
  const cov = (f: Arr, weights: Arr | undefined, p: number) => {
    const mu = moments(f, c, p, 1, weights);
    const mean = weights ? Array.from(weights).reduce((s, v) => s + v, 0) / p : 1;
    const g = new Float64Array(c * c);
    for (let i = 0; i < c; i++)
      for (let j = 0; j < c; j++) {
        let s = 0;
        for (let k = 0; k < p; k++) s += (weights ? weights[k]! : 1) * f[i * p + k]! * f[j * p + k]!;
        g[i * c + j] = s / (p * mean) - mu[i]! * mu[j]! + (i === j ? eps : 0);
      }
    return { mu, cov: g };
  };
  const s = cov(style, undefined, styleP);
  const t = cov(x, w, p);
  const root = sqrtm(s.cov, c);
  const m = matmul(matmul(root, [c, c], t.cov, [c, c]), [c, c], root, [c, c]);
  const meanTerm = t.mu.reduce((acc, v, i) => acc + (v - s.mu[i]!) ** 2, 0) / c;
  return meanTerm + (trace(s.cov, c) + trace(t.cov, c) - 2 * trace(sqrtm(m, c), c)) / c;
}

/** The mean-std statistic's term (stats-mean-std.ts): mean((μ − μs)²) + mean((σ − σs)²). */
export function meanStdLoss(x: Arr, style: Arr, c: number, p: number, eps: number, w?: Arr, styleP = p): number {
  const a = momentsStd(moments(x, c, p, 2, w), eps);
  const b = momentsStd(moments(style, c, styleP, 2), eps);
  return a.reduce((acc, v, i) => acc + (v - b[i]!) ** 2, 0) / c;
}
