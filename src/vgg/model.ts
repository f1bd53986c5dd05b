// VGG-19 features on the device, built only up to the deepest layer asked for.

import type { DeviceTensor, GpuContext } from '../gpu/index.js';
import { ops, type ConvWeights, type Tape, type Tensor } from '../graph/index.js';
import { flipConv3x3Weights } from '../kernels/index.js';
import { UserError } from '../util/errors.js';
import { VGG19_FEATURES, type VggModule } from './layers.js';
import type { InputConvention, VggWeights } from './weights.js';

export type Pooling = 'max' | 'avg';

export interface VggOptions {
  /** Deepest module index to build (default 28, as the seed). */
  upTo?: number;
  pooling?: Pooling;
  /** Apply each ReLU in the next conv's loads, its gradient in that conv's backward (default true). */
  fuseRelu?: boolean;
}

export class Vgg19 {
  private constructor(
    readonly ctx: GpuContext,
    readonly modules: readonly VggModule[],
    private readonly convs: Map<number, ConvWeights>,
    readonly pooling: Pooling,
    readonly input: InputConvention,
    readonly fuseRelu: boolean,
  ) {}

  static load(ctx: GpuContext, weights: VggWeights, options: VggOptions = {}): Vgg19 {
    const upTo = options.upTo ?? 28;
    if (!Number.isInteger(upTo) || upTo < 0 || upTo >= VGG19_FEATURES.length) {
      throw new Error(`VGG-19 upTo must be a module index 0–${VGG19_FEATURES.length - 1}, got ${upTo}`);
    }
    const modules = VGG19_FEATURES.slice(0, upTo + 1);
    const convs = new Map<number, ConvWeights>();
    for (const m of modules.filter((mod) => mod.kind === 'conv')) {
      const weight = weights.tensors.get(`${m.name}.weight`);
      const bias = weights.tensors.get(`${m.name}.bias`);
      if (!weight || !bias) {
        throw new UserError(
          `the weights have no ${m.name} (module ${m.index}), needed to build VGG-19 up to module ${upTo}: ` +
            `use layers up to module ${m.index - 1}, or weights that include ${m.name}.`,
        );
      }
      const w = ctx.upload(weight.shape, weight.data, `${m.name}.weight`);
      convs.set(m.index, {
        weight: w,
        bias: ctx.upload(bias.shape, bias.data, `${m.name}.bias`),
        flippedWeights: flipConv3x3Weights(ctx, w),
      });
    }
    return new Vgg19(ctx, modules, convs, options.pooling ?? 'max', weights.input, options.fuseRelu ?? true);
  }

  get depth(): number {
    return this.modules.length - 1;
  }

  /** The outputs of the given modules (index i = output of module i), as the seed's loop collects them. */
  extract(tape: Tape, image: Tensor, layers: readonly number[]): Map<number, Tensor> {
    const wanted = new Set(layers);
    const deepest = Math.max(...layers);
    if (deepest > this.depth) throw new Error(`layer ${deepest} is deeper than this model, built up to module ${this.depth}`);
    const outputs = new Map<number, Tensor>();
    let x = image;
    const step = (next: Tensor) => {
      // The previous value, unless asked for, is freed when no backward reads it (a ReLU output
      // read only by a conv): less memory for the whole backward pass.
      if (x !== image && ![...outputs.values()].includes(x)) tape.releaseUnneeded(x);
      x = next;
    };
    // With fuseRelu a ReLU does not run where it stands: the value stays pre-ReLU (`pending`) and
    // the next conv applies the ReLU as it loads its input (ops.reluConv3x3), its backward masking
    // the gradient as it stores it; no ReLU pass, no ReLU output in memory. A max-pool commutes
    // with ReLU, so it runs on the pre-ReLU values; an average pool does not, and a ReLU or pool
    // output asked for must be the real one, so there the ReLU runs as its own op.
    let pending = false;
    const materialize = () => {
      if (pending) step(ops.relu(tape, x));
      pending = false;
    };
    // On a tape that recomputes, each block (its convs and its pool) is a segment: it keeps its
    // output and the features asked for; the rest is made again when the backward reaches it.
    tape.beginSegment();
    for (const m of this.modules.slice(0, deepest + 1)) {
      if (m.kind === 'relu') {
        pending = true;
        if (!this.fuseRelu || wanted.has(m.index)) materialize();
      } else if (m.kind === 'pool') {
        if (this.pooling === 'avg') materialize();
        step(this.pooling === 'max' ? ops.maxPool(tape, x) : ops.avgPool(tape, x));
        if (wanted.has(m.index)) materialize();
      } else {
        const w = this.convs.get(m.index)!;
        step(pending ? ops.reluConv3x3(tape, x, w) : ops.conv3x3(tape, x, w));
        pending = false;
      }
      if (wanted.has(m.index)) outputs.set(m.index, x);
      if (m.kind === 'pool' || m.index === deepest) {
        tape.endSegment([x, ...outputs.values()]);
        if (m.index !== deepest) tape.beginSegment();
      }
    }
    return outputs;
  }

  dispose(): void {
    for (const c of this.convs.values()) for (const t of [c.weight, c.bias, c.flippedWeights] as DeviceTensor[]) t.release();
    this.convs.clear();
  }
}
