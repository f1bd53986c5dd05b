// L-BFGS in plain float64 TypeScript, the reference for src/optim/lbfgs.ts: torch.optim.LBFGS's
// algorithm (its step() with max_iter unbounded and max_eval the budget, tolerances off) written
// out on arrays, with its strong Wolfe search, or an exact one for quadratics. Test oracle only.
// `bug` plants a deliberate mistake, to show that a comparison with the oracle would catch it.

export type Objective = (x: Float64Array) => Promise<{ f: number; g: Float64Array }>;

export interface OracleSettings {
  lr: number;
  history: number;
  search: 'none' | 'strong-wolfe' | { exact: (x: Float64Array, d: Float64Array) => number };
  c1?: number;
  c2?: number;
  bug?: 'flip-sign' | 'swap-sy';
}

export interface OracleRun {
  /** The image after each iteration. */
  iterates: Float64Array[];
  /** The loss of each evaluation, and where it was made. */
  losses: number[];
  points: Float64Array[];
  /** Evaluations made when each iteration ended. */
  evaluationsAt: number[];
  /** The history's s vectors after each iteration, oldest first. */
  histories: Float64Array[][];
}

const dot = (a: Float64Array, b: Float64Array) => a.reduce((sum, v, i) => sum + v * b[i]!, 0);
const axpy = (a: number, x: Float64Array, y: Float64Array) => y.map((v, i) => v + a * x[i]!);

export async function lbfgsOracle(objective: Objective, x0: ArrayLike<number>, budget: number, o: OracleSettings): Promise<OracleRun> {
  const run: OracleRun = { iterates: [], losses: [], points: [], evaluationsAt: [], histories: [] };
  const evaluate = async (x: Float64Array) => {
    const r = await objective(x);
    run.losses.push(r.f);
    run.points.push(x);
    return r;
  };
  let x = Float64Array.from(x0);
  let { f, g } = await evaluate(x);
  const pairs: Array<{ s: Float64Array; y: Float64Array; rho: number }> = [];
  let gamma = 1;
  let previous: { g: Float64Array; step: Float64Array } | null = null;
  // Without a search, the last step is taken and not evaluated (as torch does): `budget` of each.
  while (o.search === 'none' || run.losses.length < budget) {
    if (previous) {
      let y: Float64Array = g.map((v, i) => v - previous!.g[i]!);
      let s = previous.step;
      if (o.bug === 'swap-sy') [s, y] = [y, s];
      const ys = dot(y, s);
      if (ys > 1e-10) {
        if (pairs.length === o.history) pairs.shift();
        pairs.push({ s, y, rho: 1 / ys });
        gamma = ys / dot(y, y);
      }
    }
    const d = twoLoop(g, pairs, gamma, o.bug === 'flip-sign');
    let t = run.iterates.length === 0 ? o.lr * Math.min(1, 1 / g.reduce((a, v) => a + Math.abs(v), 0)) : o.lr;
    const gOld = g;
    if (o.search === 'none') {
      x = axpy(t, d, x);
    } else {
      const point =
        o.search === 'strong-wolfe'
          ? await wolfe((step) => evaluate(axpy(step, d, x)), d, { t: 0, f, gtd: dot(g, d), g }, t, budget - run.losses.length, o)
          : await evaluate(axpy((t = o.search.exact(x, d)), d, x)).then((r) => ({ t, ...r }));
      t = point.t;
      x = axpy(t, d, x);
      [f, g] = [point.f, point.g];
    }
    previous = { g: gOld, step: d.map((v) => v * t) };
    run.iterates.push(x);
    run.histories.push(pairs.map((p) => (o.bug === 'swap-sy' ? p.y : p.s)));
    run.evaluationsAt.push(run.losses.length);
    if (o.search === 'none') {
      if (run.losses.length >= budget) break;
      ({ f, g } = await evaluate(x));
    }
  }
  return run;
}

/** d = −H·g with H from the pairs (oldest first) and H₀ = gamma·I. */
function twoLoop(
  g: Float64Array,
  pairs: ReadonlyArray<{ s: Float64Array; y: Float64Array; rho: number }>,
  gamma: number,
  flip: boolean,
): Float64Array {
  let q = g.map((v) => -v);
  const alpha: number[] = [];
  for (let i = pairs.length - 1; i >= 0; i--) {
    alpha[i] = pairs[i]!.rho * dot(pairs[i]!.s, q);
    q = axpy(flip ? alpha[i]! : -alpha[i]!, pairs[i]!.y, q);
  }
  let r = q.map((v) => v * gamma);
  for (let i = 0; i < pairs.length; i++) {
    const beta = pairs[i]!.rho * dot(pairs[i]!.y, r);
    r = axpy(alpha[i]! - beta, pairs[i]!.s, r);
  }
  return r;
}

interface Point {
  t: number;
  f: number;
  gtd: number;
  g: Float64Array;
}

/**
 * torch's strong Wolfe search (c1, c2; a bracket is narrow below 1e-9·max|d|), using at most
 * `budget` evaluations: extrapolate by cubic steps until an acceptable step or a bracket, then zoom.
 */
async function wolfe(
  evaluate: (t: number) => Promise<{ f: number; g: Float64Array }>,
  d: Float64Array,
  origin: Point,
  t0: number,
  budget: number,
  o: OracleSettings,
): Promise<Point> {
  const [c1, c2] = [o.c1 ?? 1e-4, o.c2 ?? 0.9];
  const dMax = d.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  let used = 0;
  const at = async (t: number): Promise<Point> => {
    used++;
    const r = await evaluate(t);
    return { t, f: r.f, g: r.g, gtd: dot(r.g, d) };
  };
  const armijo = (p: Point) => p.f <= origin.f + c1 * p.t * origin.gtd;
  const curvature = (p: Point) => Math.abs(p.gtd) <= -c2 * origin.gtd;
  let prev = origin;
  let cur = await at(t0);
  let lo: Point | null = null;
  let hi: Point | null = null;
  for (;;) {
    if (used >= budget) return cur.f < origin.f ? cur : origin;
    if (!armijo(cur) || (used > 2 && cur.f >= prev.f) || (!curvature(cur) && cur.gtd >= 0)) {
      [lo, hi] = prev.f <= cur.f ? [prev, cur] : [cur, prev];
      break;
    }
    if (curvature(cur)) return cur;
    const next = cubic(prev, cur, cur.t + 0.01 * (cur.t - prev.t), 10 * cur.t);
    prev = cur;
    cur = await at(next);
  }
  let stuck = false;
  while (used < budget && Math.abs(hi.t - lo.t) * dMax >= 1e-9) {
    const [a, b] = [Math.min(lo.t, hi.t), Math.max(lo.t, hi.t)];
    let t = cubic(lo, hi, a, b);
    const tenth = (b - a) / 10;
    if (Math.min(b - t, t - a) >= tenth) stuck = false;
    else if (!stuck && t < b && t > a) stuck = true;
    else {
      // A second step this close to an end, or one at an end: a tenth of the bracket inside instead.
      t = Math.abs(t - b) < Math.abs(t - a) ? b - tenth : a + tenth;
      stuck = false;
    }
    const p = await at(t);
    if (!armijo(p) || p.f >= lo.f) {
      [lo, hi] = lo.f <= p.f ? [lo, p] : [p, lo];
      continue;
    }
    if (curvature(p)) return p;
    if (p.gtd * (hi.t - lo.t) >= 0) hi = lo;
    lo = p;
  }
  return lo;
}

/** Minimiser of the cubic through (a.t, a.f, a.gtd) and (b.t, b.f, b.gtd), clamped to [lo, hi]. */
function cubic(a: Point, b: Point, lo: number, hi: number): number {
  const d1 = a.gtd + b.gtd - (3 * (a.f - b.f)) / (a.t - b.t);
  const square = d1 * d1 - a.gtd * b.gtd;
  if (square < 0) return (lo + hi) / 2;
  const d2 = Math.sqrt(square);
  const [p, q] = a.t <= b.t ? [a, b] : [b, a];
  const t = q.t - (q.t - p.t) * ((q.gtd + d2 - d1) / (q.gtd - p.gtd + 2 * d2));
  return Math.min(Math.max(t, lo), hi);
}
