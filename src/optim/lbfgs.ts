// L-BFGS on the image, as torch.optim.LBFGS and jcjohnson/neural-style run it: the direction
// d = −H·g from the two-loop recursion over the last m curvature pairs with H₀ = (y·s / y·y)·I, a
// pair kept only when y·s > 1e-10, the first step of a scale lr·min(1, 1/‖g‖₁), then steps of lr
// (or a strong Wolfe line search). Everything image-sized stays on the device: the history, the
// recursion (axpy_dot passes, each finishing one inner product on the device and using it in the
// next vector update), the pair's inner products (dot) and the steps (axpby). Per evaluation one
// small tensor of scalars comes back: the losses, y·s, y·y, g·d and the norms the step lengths
// and tolerances need.

import type { DeviceTensor, GpuContext } from '../gpu/index.js';
import { axpby, AxpyDotChain, dotInto, normsInto } from '../kernels/index.js';
import { CurvatureHistory } from './lbfgs-history.js';
import { MIN_CURVATURE, noDescent, toleranceMet, type LbfgsNumbers } from './lbfgs-state.js';
import { strongWolfe, WOLFE_DEFAULTS, type LinePoint } from './line-search.js';
import type { Evaluation, LbfgsPlan, Objective, Optimizer, OptimizerState, StepEnd } from './types.js';

export interface LbfgsSettings extends LbfgsPlan {
  lr: number;
  /** The line search's constants (default torch's: c1 1e-4, c2 0.9). */
  wolfe?: Partial<typeof WOLFE_DEFAULTS>;
}

/**
 * Slots of the scalars tensor; the recursion's products s·q and y·r follow at INNER + slot and INNER + m + slot.
 * The slots before `zero` take an evaluation's reported losses (the style job's 6: content, style, TV, total,
 * temporal, histogram). There were 4: a video's temporal term overwrote the constant 0, the histogram term the 1.
 */
const SLOT = { losses: 0, zero: 8, one: 9, gtd: 10, ys: 11, yy: 12, gNorm1: 13, gNormInf: 14, dNorm1: 15, dNormInf: 16 } as const;
const LOSS_ROOM = SLOT.zero;
const INNER = 17;

type Scalars = Record<keyof typeof SLOT, number> & { loss: number };
type Trial = LinePoint & { grad: DeviceTensor; ys: number; yy: number; gNormInf: number };

export class Lbfgs implements Optimizer {
  readonly kind = 'lbfgs';
  readonly readsLosses = true;
  iteration = 0;
  /** Which tolerance ended the scale, with its numbers, once a step returned 'converged'. */
  ended: string | null = null;
  private image: DeviceTensor | null = null;
  private history: CurvatureHistory | null = null;
  private scalars: DeviceTensor | null = null;
  private direction: DeviceTensor | null = null;
  /** The line search's starting image. */
  private start: DeviceTensor | null = null;
  /** The gradient and loss at the last point evaluated: the image (line search), or the image before the last step. */
  private grad: DeviceTensor | null = null;
  private loss = 0;
  private gradNorm1 = 0;
  /** The last step moved the image by t·direction. */
  private t = 0;
  /** H₀ = gamma·I. */
  private gamma = 1;

  constructor(
    private readonly ctx: GpuContext,
    private readonly settings: LbfgsSettings,
  ) {}

  private get searching(): boolean {
    return this.settings.lineSearch === 'strong-wolfe';
  }

  begin(image: DeviceTensor, _scale: unknown, resume?: { step: number; state: OptimizerState }): void {
    const { ctx } = this;
    const m = this.settings.history;
    this.image = image;
    this.history = new CurvatureHistory(ctx, image.shape, m);
    this.scalars = ctx.upload([INNER + 2 * m], Object.assign(new Float32Array(INNER + 2 * m), { [SLOT.one]: 1 }), 'lbfgs scalars');
    this.direction = ctx.zeros(image.shape, 'lbfgs direction');
    this.start = this.searching ? ctx.empty(image.shape, 'line search start') : null;
    [this.iteration, this.loss, this.gradNorm1, this.t, this.gamma] = [0, 0, 0, 0, 1];
    this.ended = null;
    if (resume) this.restore(resume.state);
  }

  step(objective: Objective, budget: number): Promise<StepEnd> {
    return this.searching ? this.searchStep(objective, budget) : this.fixedStep(objective);
  }

  /** One evaluation, then a step of lr (the first one of the scale scaled down by ‖g‖₁). */
  private async fixedStep(objective: Objective): Promise<StepEnd> {
    const ev = await objective.evaluate();
    const previous = this.grad;
    if (previous) this.formPair(ev.grad, previous, this.t);
    this.gradientNorms(ev.grad);
    const r = await this.read(ev);
    if (!Number.isFinite(r.loss)) return this.dropped(ev.grad);
    if (previous) this.keepPair(this.t, r.ys, r.yy);
    previous?.release();
    const change = previous ? Math.abs(r.loss - this.loss) : null;
    [this.grad, this.loss, this.gradNorm1] = [ev.grad, r.loss, r.gNorm1];
    if (this.converged(r.gNormInf, previous ? this.t * r.dNormInf : null, change)) return 'converged';
    // Without --tolerance-change nothing needs g·d or ‖d‖∞ here, and nothing is read before the step.
    const tolerance = this.settings.toleranceChange;
    this.computeDirection(this.grad, tolerance !== undefined);
    if (tolerance !== undefined) {
      normsInto(this.ctx, this.direction!, this.scalars!, SLOT.dNorm1);
      const { gtd } = await this.read(null);
      if (gtd > -tolerance) return this.met(noDescent(tolerance, gtd));
    }
    this.t = this.firstLength();
    axpby(this.ctx, this.t, this.direction!, 1, this.image!);
    this.iteration++;
    this.ctx.submit();
    return null;
  }

  /** A direction, then a strong Wolfe line search along it within the budget. */
  private async searchStep(objective: Objective, budget: number): Promise<StepEnd> {
    const { ctx } = this;
    let used = 0;
    // Before a first evaluation made by this step: put back if the search is stopped (see below).
    const before = this.grad ? null : { loss: this.loss, gradNorm1: this.gradNorm1 };
    if (!this.grad) {
      const ev = await objective.evaluate();
      used++;
      this.gradientNorms(ev.grad);
      const r = await this.read(ev);
      if (!Number.isFinite(r.loss)) return this.dropped(ev.grad);
      [this.grad, this.loss, this.gradNorm1] = [ev.grad, r.loss, r.gNorm1];
      if (this.converged(r.gNormInf, null, null)) return 'converged';
      if (used === budget) return null;
    }
    this.computeDirection(this.grad, true);
    normsInto(ctx, this.direction!, this.scalars!, SLOT.dNorm1);
    const { gtd, dNormInf } = await this.read(null);
    const tolerance = this.settings.toleranceChange;
    if (tolerance !== undefined && gtd > -tolerance) return this.met(noDescent(tolerance, gtd));
    ctx.copyInto(this.image!, this.start!);
    const trials: Trial[] = [];
    const origin: Trial = { t: 0, f: this.loss, gtd, grad: this.grad, ys: 0, yy: 0, gNormInf: Infinity };
    const wolfe = { ...WOLFE_DEFAULTS, ...this.settings.wolfe, maxEvaluations: budget - used };
    const chosen = await strongWolfe((t) => this.trial(objective, t, trials), origin, this.firstLength(), dNormInf, wolfe);
    for (const p of trials) if (p !== chosen) p.grad.release();
    ctx.copyInto(this.start!, this.image!);
    if (typeof chosen === 'string') {
      // A stopped step counts for nothing (the job saves the step count from before it), so the
      // gradient this step evaluated at its start must go too: a run resumed from here evaluates it again.
      if (chosen === 'aborted' && before) {
        this.grad!.release();
        [this.grad, this.loss, this.gradNorm1] = [null, before.loss, before.gradNorm1];
      }
      return chosen;
    }
    this.iteration++;
    if (chosen === origin) return this.converged(Infinity, 0, 0) ? 'converged' : null;
    axpby(ctx, chosen.t, this.direction!, 1, this.image!);
    // Its y again (later trials wrote theirs over it); y·s and y·y came with the trial.
    this.formY(chosen.grad, this.grad);
    this.keepPair(chosen.t, chosen.ys, chosen.yy);
    this.grad.release();
    const change = Math.abs(chosen.f - this.loss);
    [this.grad, this.loss, this.t] = [chosen.grad, chosen.f, chosen.t];
    ctx.submit();
    return this.converged(chosen.gNormInf, chosen.t * dNormInf, change) ? 'converged' : null;
  }

  /** Evaluates the loss at start + t·direction, with what the pair would be if this point is chosen. */
  private async trial(objective: Objective, t: number, trials: Trial[]): Promise<Trial | 'aborted' | 'diverged'> {
    if (objective.stopping) return 'aborted';
    const { ctx } = this;
    ctx.copyInto(this.start!, this.image!);
    axpby(ctx, t, this.direction!, 1, this.image!);
    const ev = await objective.evaluate();
    this.formPair(ev.grad, this.grad!, t);
    dotInto(ctx, ev.grad, this.direction!, this.scalars!, SLOT.gtd);
    this.gradientNorms(ev.grad);
    const r = await this.read(ev);
    if (!Number.isFinite(r.loss)) return this.dropped(ev.grad);
    const point = { t, f: r.loss, gtd: r.gtd, grad: ev.grad, ys: r.ys, yy: r.yy, gNormInf: r.gNormInf };
    trials.push(point);
    return point;
  }

  /** ‖g‖₁ and ‖g‖∞ into their slots when something needs them: the first step's length, --tolerance-grad. */
  private gradientNorms(g: DeviceTensor): void {
    if (this.iteration === 0 || this.settings.toleranceGrad !== undefined) normsInto(this.ctx, g, this.scalars!, SLOT.gNorm1);
  }

  /** The first step of a scale is scaled down by ‖g‖₁ (torch's and neural-style's); later ones are lr. */
  private firstLength(): number {
    return this.iteration === 0 ? this.settings.lr * Math.min(1, 1 / this.gradNorm1) : this.settings.lr;
  }

  /** y = g − previous into the history's next y; y·s and y·y (s = t·direction) into the scalars. */
  private formPair(g: DeviceTensor, previous: DeviceTensor, t: number): void {
    const y = this.formY(g, previous);
    dotInto(this.ctx, y, this.direction!, this.scalars!, SLOT.ys, t);
    dotInto(this.ctx, y, y, this.scalars!, SLOT.yy);
  }

  private formY(g: DeviceTensor, previous: DeviceTensor): DeviceTensor {
    const y = this.history!.yNext;
    this.ctx.copyInto(g, y);
    axpby(this.ctx, -1, previous, 1, y);
    return y;
  }

  /** An evaluation whose loss is not finite: its gradient is not kept. */
  private dropped(grad: DeviceTensor): 'diverged' {
    grad.release();
    return 'diverged';
  }

  /** Keeps the pair formed last if its curvature is positive enough, and rescales H₀ by it. */
  private keepPair(t: number, ys: number, yy: number): void {
    if (!(ys > MIN_CURVATURE)) return;
    this.history!.push(t, this.direction!, ys);
    this.gamma = ys / yy;
  }

  /** direction ← −H·g by the two-loop recursion, all on the device; with `gtd`, also g·d into its slot. */
  private computeDirection(g: DeviceTensor, gtd: boolean): void {
    const { ctx } = this;
    const [d, sc] = [this.direction!, this.scalars!];
    const pairs = this.history!.pairs();
    const m = this.history!.capacity;
    if (pairs.length === 0) {
      axpby(ctx, -this.gamma, g, 0, d);
      if (gtd) dotInto(ctx, g, d, sc, SLOT.gtd);
      return;
    }
    const chain = new AxpyDotChain(ctx, sc, d);
    const last = pairs.length - 1;
    // d ← −g; each pass then finishes the inner product the one before started.
    chain.pass({ x: g, b: 0, c: -1, i: SLOT.one, z: pairs[last]!.s });
    // Newest to oldest: d ← d − ρ(s·d)·y; the oldest also applies H₀ (d ← γ·(d − ρ(s·d)·y)).
    for (let k = last; k >= 0; k--) {
      const { y, ys, slot } = pairs[k]!;
      const b = k === 0 ? this.gamma : 1;
      chain.pass({ x: y, b, c: b / ys, i: SLOT.zero, store: INNER + slot, z: k > 0 ? pairs[k - 1]!.s : pairs[0]!.y });
    }
    // Oldest to newest: d ← d + ρ(s·q − y·d)·s, s·q kept from the first loop.
    for (let k = 0; k <= last; k++) {
      const { s, ys, slot } = pairs[k]!;
      const next = k < last ? pairs[k + 1]!.y : gtd ? g : undefined;
      chain.pass({ x: s, b: 1, c: 1 / ys, i: INNER + slot, store: INNER + m + slot, z: next });
    }
    if (gtd) chain.finish(SLOT.gtd);
    chain.release();
  }

  /** torch's tolerance tests after an evaluation: true (and `ended` says which) when one is met. */
  private converged(gradNormInf: number, stepNormInf: number | null, change: number | null): boolean {
    this.ended = toleranceMet(this.settings, gradNormInf, stepNormInf, change);
    return this.ended !== null;
  }

  private met(why: string): 'converged' {
    this.ended = why;
    return 'converged';
  }

  /** The one read-back: the scalars tensor, with the evaluation's losses copied in first. */
  private async read(ev: Evaluation | null): Promise<Scalars> {
    if (ev && ev.losses.size > LOSS_ROOM) throw new Error(`L-BFGS: ${ev.losses.size} loss values, room for ${LOSS_ROOM}`);
    if (ev) this.ctx.copyInto(ev.losses, this.scalars!, SLOT.losses);
    const values = await this.scalars!.read();
    if (ev) ev.values = values.slice(0, ev.losses.size);
    const out = Object.fromEntries(Object.entries(SLOT).map(([k, i]) => [k, values[i]!])) as Scalars;
    out.loss = values[3]!;
    return out;
  }

  async state(): Promise<OptimizerState> {
    const { vectors, ys } = await this.history!.save();
    if (this.grad) vectors.grad = await this.grad.read();
    if (!this.searching && this.iteration > 0) vectors.direction = await this.direction!.read();
    const { iteration, loss, gradNorm1, t, gamma } = this;
    const numbers: LbfgsNumbers = { iteration, loss, gradNorm1, t, gamma, ys };
    return { kind: 'lbfgs', vectors, numbers: { ...numbers } };
  }

  private restore(state: OptimizerState): void {
    const n = state.numbers as unknown as LbfgsNumbers;
    const { vectors } = state;
    this.history!.restore(vectors, n.ys);
    [this.iteration, this.loss, this.gradNorm1, this.t, this.gamma] = [n.iteration, n.loss, n.gradNorm1, n.t, n.gamma];
    if (vectors.grad) this.grad = this.ctx.upload(this.image!.shape, vectors.grad, 'lbfgs gradient');
    if (vectors.direction) {
      this.ctx.write(this.direction!, vectors.direction);
      normsInto(this.ctx, this.direction!, this.scalars!, SLOT.dNorm1);
    }
  }

  end(): void {
    for (const t of [this.scalars, this.direction, this.start, this.grad]) t?.release();
    this.history?.release();
    this.scalars = this.direction = this.start = this.grad = this.image = this.history = null;
  }
}
