// A line search for the strong Wolfe conditions along a direction d, the algorithm of
// torch.optim.LBFGS(line_search_fn='strong_wolfe') (from minFunc / torch7's lswolfe): step out
// from the first trial, interpolating cubically, until an interval brackets an acceptable step
// (or one is found), then shrink the bracket. Only scalars pass through here (step, loss,
// directional derivative); each point carries whatever its evaluation made (its gradient on the
// device), for the caller to keep or release.

/** A point on the line: step t, loss f and directional derivative g·d there. */
export interface LinePoint {
  t: number;
  f: number;
  gtd: number;
}

export interface WolfeOptions {
  /** Sufficient decrease: f(t) <= f(0) + c1·t·g(0)·d. */
  c1: number;
  /** Curvature: |g(t)·d| <= c2·|g(0)·d|. */
  c2: number;
  /** Stop shrinking once the bracket, times max|d|, is narrower than this. */
  tolerance: number;
  /** Evaluations the search may make (>= 1). */
  maxEvaluations: number;
}

export const WOLFE_DEFAULTS = { c1: 1e-4, c2: 0.9, tolerance: 1e-9 };

/** Why a search stops without a step: an evaluation was refused (a stop), or a loss was not finite. */
export type SearchStop = 'aborted' | 'diverged';

/**
 * The chosen point (from `start` at t = 0 along d, whose largest component is `dNorm`), first trying
 * step `t`. `evaluate(t)` evaluates the loss at x + t·d.
 */
export async function strongWolfe<P extends LinePoint>(
  evaluate: (t: number) => Promise<P | SearchStop>,
  start: P,
  t: number,
  dNorm: number,
  o: WolfeOptions,
): Promise<P | SearchStop> {
  let evaluations = 0;
  const at = (step: number) => {
    evaluations++;
    return evaluate(step);
  };
  const decreases = (p: LinePoint) => p.f <= start.f + o.c1 * p.t * start.gtd;
  const flat = (p: LinePoint) => Math.abs(p.gtd) <= -o.c2 * start.gtd;
  let next = await at(t);
  if (typeof next === 'string') return next;
  let previous = start;
  let bracket: [P, P] | null = null;
  // Step out: stop at an acceptable point, or at an interval that holds one.
  while (evaluations < o.maxEvaluations) {
    if (!decreases(next) || (evaluations > 2 && next.f >= previous.f)) {
      bracket = [previous, next];
      break;
    }
    if (flat(next)) return next;
    if (next.gtd >= 0) {
      bracket = [previous, next];
      break;
    }
    const step = cubicMinimum(previous, next, [next.t + 0.01 * (next.t - previous.t), next.t * 10]);
    previous = next;
    next = await at(step);
    if (typeof next === 'string') return next;
  }
  // Out of evaluations while stepping out: the better of the start and the last point.
  if (!bracket) return next.f < start.f ? next : start;
  return zoom(at, bracket, decreases, flat, dNorm, o, () => evaluations);
}

/** Shrinks a bracket around an acceptable step; returns its lower end when out of evaluations or width. */
async function zoom<P extends LinePoint>(
  at: (t: number) => Promise<P | SearchStop>,
  bracket: [P, P],
  decreases: (p: LinePoint) => boolean,
  flat: (p: LinePoint) => boolean,
  dNorm: number,
  o: WolfeOptions,
  evaluations: () => number,
): Promise<P | SearchStop> {
  let [low, high] = bracket[0].f <= bracket[1].f ? [0, 1] : [1, 0];
  let insufficient = false;
  while (evaluations() < o.maxEvaluations) {
    const [a, b] = bracket;
    if (Math.abs(b.t - a.t) * dNorm < o.tolerance) break;
    const [lo, hi] = [Math.min(a.t, b.t), Math.max(a.t, b.t)];
    let t = cubicMinimum(a, b);
    // Too close to an end twice running, or at an end: move a tenth of the bracket inside.
    const margin = 0.1 * (hi - lo);
    if (Math.min(hi - t, t - lo) < margin) {
      if (insufficient || t >= hi || t <= lo) {
        t = Math.abs(t - hi) < Math.abs(t - lo) ? hi - margin : lo + margin;
        insufficient = false;
      } else insufficient = true;
    } else insufficient = false;
    const p = await at(t);
    if (typeof p === 'string') return p;
    if (!decreases(p) || p.f >= bracket[low]!.f) {
      bracket[high] = p;
      [low, high] = bracket[0].f <= bracket[1].f ? [0, 1] : [1, 0];
      continue;
    }
    const done = flat(p);
    // The new low point and the old low must keep a minimum between them.
    if (!done && p.gtd * (bracket[high]!.t - bracket[low]!.t) >= 0) bracket[high] = bracket[low]!;
    bracket[low] = p;
    if (done) break;
  }
  return bracket[low]!;
}

/**
 * The minimiser of the cubic through two points with their slopes, kept within `bounds` (default:
 * between the points); their midpoint when the cubic has no minimum.
 */
export function cubicMinimum(a: LinePoint, b: LinePoint, bounds?: [number, number]): number {
  const [lo, hi] = bounds ?? [Math.min(a.t, b.t), Math.max(a.t, b.t)];
  const d1 = a.gtd + b.gtd - (3 * (a.f - b.f)) / (a.t - b.t);
  const d2Squared = d1 * d1 - a.gtd * b.gtd;
  if (!(d2Squared >= 0)) return (lo + hi) / 2;
  const d2 = Math.sqrt(d2Squared);
  const [near, far] = a.t <= b.t ? [a, b] : [b, a];
  const t = far.t - (far.t - near.t) * ((far.gtd + d2 - d1) / (far.gtd - near.gtd + 2 * d2));
  return Number.isFinite(t) ? Math.min(Math.max(t, lo), hi) : (lo + hi) / 2;
}
