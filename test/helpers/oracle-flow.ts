// Float64 references for the optical flow's kernels (src/kernels/flow_tvl1.ts), written from the
// papers' formulas (Sánchez et al. IPOL 2013; Ruder et al. 2016), independent of the WGSL.
// Planes are row-major [H, W]; flows planar [u, v]; duals [p11, p12, p21, p22].

export interface Plane {
  height: number;
  width: number;
}

const clampIndex = (i: number, n: number) => Math.min(Math.max(i, 0), n - 1);

export function grey(image: ArrayLike<number>, channels: number, { height, width }: Plane): Float64Array {
  const n = height * width;
  return Float64Array.from({ length: n }, (_, i) =>
    channels === 1 ? 255 * image[i]! : 255 * (0.299 * image[i]! + 0.587 * image[n + i]! + 0.114 * image[2 * n + i]!),
  );
}

/** The 3×3 binomial filter ([1 2 1] / 4 along each axis), edges clamped. */
export function smooth(grey: ArrayLike<number>, { height, width }: Plane): Float64Array {
  const taps = [0.25, 0.5, 0.25];
  return Float64Array.from({ length: height * width }, (_, i) => {
    const [x, y] = [i % width, Math.floor(i / width)];
    let sum = 0;
    for (let j = -1; j <= 1; j++)
      for (let k = -1; k <= 1; k++)
        sum += taps[j + 1]! * taps[k + 1]! * grey[clampIndex(y + j, height) * width + clampIndex(x + k, width)]!;
    return sum;
  });
}

/** Bilinear sample of f(x, y) (a function on whole pixels) at (sx, sy). */
function bilinear<T extends number[]>(f: (x: number, y: number) => T, sx: number, sy: number): T {
  const [x0, y0] = [Math.floor(sx), Math.floor(sy)];
  const [tx, ty] = [sx - x0, sy - y0];
  const corners: Array<[number, number, number]> = [
    [x0, y0, (1 - tx) * (1 - ty)],
    [x0 + 1, y0, tx * (1 - ty)],
    [x0, y0 + 1, (1 - tx) * ty],
    [x0 + 1, y0 + 1, tx * ty],
  ];
  const out = f(x0, y0).map(() => 0) as T;
  for (const [x, y, weight] of corners) f(x, y).forEach((v, k) => (out[k]! += weight * v));
  return out;
}

/** Keys' cubic convolution kernel (a = −0.5). */
function keys(t: number): number {
  const s = Math.abs(t);
  return s < 1 ? 1.5 * s ** 3 - 2.5 * s ** 2 + 1 : s < 2 ? -0.5 * s ** 3 + 2.5 * s ** 2 - 4 * s + 2 : 0;
}

export function warpData(i0: ArrayLike<number>, i1: ArrayLike<number>, flow: ArrayLike<number>, { height, width }: Plane): Float64Array {
  const n = height * width;
  const at = (x: number, y: number) => i1[clampIndex(y, height) * width + clampIndex(x, width)]!;
  const sample = (x: number, y: number): number[] => [0.5 * (at(x + 1, y) - at(x - 1, y)), 0.5 * (at(x, y + 1) - at(x, y - 1)), at(x, y)];
  const out = new Float64Array(3 * n);
  for (let i = 0; i < n; i++) {
    const [u, v] = [flow[i]!, flow[n + i]!];
    const sx = Math.min(Math.max((i % width) + u, 0), width - 1);
    const sy = Math.min(Math.max(Math.floor(i / width) + v, 0), height - 1);
    const [fx, fy] = [Math.floor(sx), Math.floor(sy)];
    let acc = [0, 0, 0]; // ∇I1 (x, y) and I1, bicubic at (sx, sy)
    for (let j = -1; j <= 2; j++)
      for (let k = -1; k <= 2; k++) {
        const weight = keys(sx - fx - k) * keys(sy - fy - j);
        acc = acc.map((a, c) => a + weight * sample(fx + k, fy + j)[c]!);
      }
    out[i] = acc[0]!;
    out[n + i] = acc[1]!;
    out[2 * n + i] = acc[2]! - acc[0]! * u - acc[1]! * v - i0[i]!;
  }
  return out;
}

/** One TV-L1 iteration: thresholding and u = v + θ·div p, then the dual step on the new u (Huber-TV with ε = step.huber). */
export function tvl1Iteration(
  data: ArrayLike<number>,
  flow: ArrayLike<number>,
  dual: ArrayLike<number>,
  { height, width }: Plane,
  step: { lambdaTheta: number; theta: number; tauTheta: number; huber: number },
): { flow: Float64Array; dual: Float64Array } {
  const n = height * width;
  const div = (a: number, b: number, x: number, y: number) => {
    const p = (k: number, xx: number, yy: number) => dual[k * n + yy * width + xx]!;
    return (
      (x < width - 1 ? p(a, x, y) : 0) - (x > 0 ? p(a, x - 1, y) : 0) + (y < height - 1 ? p(b, x, y) : 0) - (y > 0 ? p(b, x, y - 1) : 0)
    );
  };
  const u = new Float64Array(2 * n);
  for (let i = 0; i < n; i++) {
    const [x, y] = [i % width, Math.floor(i / width)];
    const [gx, gy] = [data[i]!, data[n + i]!];
    const grad = gx * gx + gy * gy;
    let [u1, u2] = [flow[i]!, flow[n + i]!];
    const rho = data[2 * n + i]! + gx * u1 + gy * u2;
    const lt = step.lambdaTheta;
    const shift = rho < -lt * grad ? lt : rho > lt * grad ? -lt : grad > 1e-10 ? -rho / grad : 0;
    [u1, u2] = [u1 + shift * gx, u2 + shift * gy];
    u[i] = u1 + step.theta * div(0, 1, x, y);
    u[n + i] = u2 + step.theta * div(2, 3, x, y);
  }
  const p = new Float64Array(4 * n);
  for (let i = 0; i < n; i++) {
    const [x, y] = [i % width, Math.floor(i / width)];
    for (let k = 0; k < 2; k++) {
      const gx = x < width - 1 ? u[k * n + i + 1]! - u[k * n + i]! : 0;
      const gy = y < height - 1 ? u[k * n + i + width]! - u[k * n + i]! : 0;
      // (p + τ/θ·∇u) / (1 + τ/θ·ε), projected onto the unit disc (Huber-TV; ε = 0: TV).
      const q = [dual[2 * k * n + i]! + step.tauTheta * gx, dual[(2 * k + 1) * n + i]! + step.tauTheta * gy].map(
        (v) => v / (1 + step.tauTheta * step.huber),
      );
      const norm = Math.max(1, Math.hypot(q[0]!, q[1]!));
      p[2 * k * n + i] = q[0]! / norm;
      p[(2 * k + 1) * n + i] = q[1]! / norm;
    }
  }
  return { flow: u, dual: p };
}

export function upsample(coarse: ArrayLike<number>, from: Plane, to: Plane): Float64Array {
  const out = new Float64Array(2 * to.height * to.width);
  const [rx, ry] = [to.width / from.width, to.height / from.height];
  for (let k = 0; k < 2; k++)
    for (let y = 0; y < to.height; y++)
      for (let x = 0; x < to.width; x++) {
        const sx = Math.min(Math.max((x + 0.5) / rx - 0.5, 0), from.width - 1);
        const sy = Math.min(Math.max((y + 0.5) / ry - 0.5, 0), from.height - 1);
        const at = (xx: number, yy: number) => [
          coarse[k * from.height * from.width + clampIndex(yy, from.height) * from.width + clampIndex(xx, from.width)]!,
        ];
        out[k * to.height * to.width + y * to.width + x] = bilinear(at, sx, sy)[0]! * (k === 0 ? rx : ry);
      }
  return out;
}

/** Ruder et al.'s reliability of `flow` given the reverse flow: 1 or 0 per pixel. */
export function consistency(flow: ArrayLike<number>, reverse: ArrayLike<number>, { height, width }: Plane): Float64Array {
  const n = height * width;
  const w = (x: number, y: number) => {
    const j = clampIndex(y, height) * width + clampIndex(x, width);
    return [flow[j]!, flow[n + j]!];
  };
  const r = (x: number, y: number) => [reverse[y * width + x]!, reverse[n + y * width + x]!];
  return Float64Array.from({ length: n }, (_, i) => {
    const [x, y] = [i % width, Math.floor(i / width)];
    const [u, v] = w(x, y) as [number, number];
    const [bx, by] = [x + u, y + v];
    if (bx < 0 || by < 0 || Math.floor(bx) + 1 >= width || Math.floor(by) + 1 >= height) return 0;
    const [ru, rv] = bilinear(r, bx, by) as [number, number];
    if ((u + ru) ** 2 + (v + rv) ** 2 >= 0.01 * (u * u + v * v + ru * ru + rv * rv) + 0.5) return 0;
    const dx = [0, 1].map((k) => 0.5 * (w(x + 1, y)[k]! - w(x - 1, y)[k]!));
    const dy = [0, 1].map((k) => 0.5 * (w(x, y + 1)[k]! - w(x, y - 1)[k]!));
    const edge = dx[0]! ** 2 + dx[1]! ** 2 + dy[0]! ** 2 + dy[1]! ** 2;
    return edge > 0.01 * (u * u + v * v) + 0.002 ? 0 : 1;
  });
}
