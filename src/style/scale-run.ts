// One scale's evaluations as the optimiser asks for them (the loss and its gradient at the image),
// and what the job does with each once its losses are known: the progress reports, the last image
// whose loss was finite (to fall back on), and divergence.

import type { DeviceTensor, GpuContext } from '../gpu/index.js';
import { Tape, Tensor } from '../graph/index.js';
import { lossWatch, watchLoss } from '../kernels/index.js';
import type { StyleProgress } from './job-types.js';
import { optionFlag } from '../util/option-flag.js';
import { hasTemporalTerm, styleTransferLoss, type LossConfig, type LossTerms, type Targets } from './loss.js';
import type { StyleNetwork } from './network.js';
import type { Evaluation, Objective } from '../optim/types.js';
import type { Scale } from './job-types.js';

export interface ScaleSetup {
  ctx: GpuContext;
  net: StyleNetwork;
  loss: LossConfig;
  targets: Targets;
  /** The image being optimised (the optimiser changes it in place). */
  image: DeviceTensor;
  /** 0-based, of `scales`. */
  index: number;
  scales: number;
  scale: Scale;
  printEvery: number;
  signal?: AbortSignal;
  /** When the job started (performance.now()). */
  started: number;
  /** Evaluations the run made before this scale. */
  evaluationsBefore: number;
  /** The optimiser reads every evaluation's losses, so each one is known (and checked). */
  readsLosses: boolean;
  /** Recompute each VGG block's activations in the backward instead of keeping them (the memory plan's choice). */
  recompute: boolean;
  onProgress: (progress: StyleProgress) => void;
}

interface Pending {
  evaluation: Evaluation;
  step: number;
  /** The image as evaluated, kept when its loss will be known (to become the last good one). */
  image: DeviceTensor | null;
}

export class ScaleRun implements Objective {
  /** Evaluations made in this scale. */
  step: number;
  private readonly leaf: Tensor;
  private pending: Pending[] = [];
  private lastGood: DeviceTensor;
  /** The step whose image lastGood is (firstStep: the scale's start). */
  private lastGoodStep: number;
  /** The first step whose loss was not finite, recorded on the device (loss_watch): losses are read only at reports. */
  private readonly watch: DeviceTensor;
  private since = performance.now();
  private stepsSince = 0;

  constructor(
    private readonly setup: ScaleSetup,
    firstStep: number,
  ) {
    this.step = firstStep;
    this.leaf = Tensor.leaf(setup.image, true, 'image');
    this.lastGood = setup.ctx.copy(setup.image, 'last good image');
    this.lastGoodStep = firstStep;
    this.watch = lossWatch(setup.ctx);
  }

  get stopping(): boolean {
    return this.setup.signal?.aborted ?? false;
  }

  get evaluations(): number {
    return this.setup.evaluationsBefore + this.step;
  }

  evaluate(): Evaluation {
    const { ctx } = this.setup;
    const step = ++this.step;
    const { grad, losses } = lossAndGradient(this.setup, this.leaf, this.watch, step);
    const known = this.setup.readsLosses || this.reports(step);
    const image = known ? ctx.copy(this.setup.image, 'evaluated image') : null;
    const evaluation: Evaluation = { grad, losses, values: null };
    this.pending.push({ evaluation, step, image });
    return evaluation;
  }

  /**
   * After a step: reports the evaluations due (and the last one when `last`, with why the scale `ended`), keeps the last image
   * with a finite loss. A loss that is not finite puts that image back and returns why.
   */
  async settle(iteration: number, last: boolean, ended?: string): Promise<string | null> {
    const pending = this.pending;
    this.pending = [];
    let stop: string | null = null;
    for (const [k, p] of pending.entries()) {
      this.stepsSince++;
      const report = this.reports(p.step) || (last && k === pending.length - 1);
      const values: Float32Array | null = stop ? null : (p.evaluation.values ?? (report ? await p.evaluation.losses.read() : null));
      p.evaluation.losses.release();
      if (values && !Number.isFinite(values[3]!)) {
        stop = await this.divergence(values);
        this.setup.ctx.copyInto(this.lastGood, this.setup.image);
      } else if (values && p.image) {
        [this.lastGood, p.image] = [p.image, this.lastGood];
        this.lastGoodStep = p.step;
      }
      p.image?.release();
      if (values && report && !stop) this.report(p.step, iteration, values, last && k === pending.length - 1 ? ended : undefined);
    }
    return stop;
  }

  dispose(): void {
    for (const p of this.pending) for (const t of [p.evaluation.losses, p.image]) t?.release();
    this.lastGood.release();
    this.watch.release();
  }

  /**
   * Why the run stops, once a read loss is not finite: the step where it first was (from the
   * device's record, not the report that found it) and what to change. A loss already not finite
   * at a scale's first step, before the optimiser moved anything, is not --lr's doing: the loss
   * weights' when each term (`read`, that step's values) is finite, else the network's weights'.
   */
  private async divergence(read: Float32Array): Promise<string> {
    const [at, value] = await this.watch.read();
    const { loss, index } = this.setup;
    const weights = (['contentWeight', 'styleWeight', 'tvWeight'] as const).map((k) => `${optionFlag(k)} ${loss[k]}`).join(', ');
    const where = `step ${at} of scale ${index + 1}`;
    const terms = ['content', 'style', 'TV'].flatMap((term, i) => (Number.isFinite(read[i]!) ? [] : [`the ${term} loss was ${read[i]}`]));
    if (at === 1 && terms.length > 0)
      return `${terms.join(' and ')} at ${where}, before any step: the VGG weights (--weights) give values 32-bit floats cannot hold; check that file`;
    if (at === 1)
      return `the loss was ${value} at ${where}, before any step: the loss weights (${weights}) make it overflow 32-bit floats; use smaller ones`;
    const kept = this.lastGoodStep === 0 ? "the scale's starting image" : `the image from step ${this.lastGoodStep}`;
    return `the loss became ${value} at ${where}; kept ${kept}, whose loss was finite (try a smaller ${optionFlag('lr')}, or smaller loss weights: ${weights})`;
  }

  private reports(step: number): boolean {
    return step === 1 || step === this.setup.scale.steps || step % this.setup.printEvery === 0;
  }

  private report(step: number, iteration: number, [content, style, tv, total, temporal, histogram]: Float32Array, ended?: string): void {
    const { loss, scale } = this.setup;
    const now = performance.now();
    this.setup.onProgress({
      scale: this.setup.index + 1,
      scales: this.setup.scales,
      step,
      steps: scale.steps,
      iteration,
      evaluations: this.setup.evaluationsBefore + step,
      width: scale.width,
      height: scale.height,
      content: loss.contentWeight ? content! : null,
      style: loss.styleWeight ? style! : null,
      tv: loss.tvWeight ? tv! : null,
      temporal: hasTemporalTerm(loss) ? temporal! : null,
      histogram: loss.histogram?.weight ? histogram! : null,
      total: total!,
      seconds: (now - this.setup.started) / 1000,
      stepSeconds: (now - this.since) / 1000 / this.stepsSince,
      ...(ended ? { ended } : {}),
    });
    this.since = now;
    this.stepsSince = 0;
  }
}

/**
 * One evaluation's work on the device: the loss at the image `leaf`, its values in one small
 * tensor (collect) watched for divergence (`watch`, at `step`), and the image's gradient. The
 * memory plan counts this (src/plan/memory-model.ts).
 */
export function lossAndGradient(
  setup: Pick<ScaleSetup, 'ctx' | 'net' | 'targets' | 'loss' | 'recompute'>,
  leaf: Tensor,
  watch: DeviceTensor,
  step: number,
): { grad: DeviceTensor; losses: DeviceTensor } {
  const { ctx, net, targets, loss } = setup;
  const tape = new Tape(ctx, { recompute: setup.recompute });
  const terms = styleTransferLoss(tape, net, leaf, targets, loss);
  const losses = collect(ctx, terms);
  watchLoss(ctx, losses, watch, step);
  const [grad] = tape.backward(terms.total, [leaf]);
  tape.dispose();
  return { grad: grad!, losses };
}

/**
 * The loss values of an evaluation in one small tensor: content, style, TV, total, temporal, histogram (0 for
 * a term left out). The total stays at index 3, where watchLoss and the optimisers read it.
 */
function collect(ctx: GpuContext, terms: LossTerms): DeviceTensor {
  const values = ctx.zeros([6], 'reported losses');
  [terms.content, terms.style, terms.tv, terms.total, terms.temporal, terms.histogram].forEach(
    (t, i) => t && ctx.copyInto(t.value, values, i),
  );
  return values;
}
