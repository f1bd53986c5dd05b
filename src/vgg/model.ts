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
  /** Fuse bias+ReLU into the conv where the pre-ReLU output is not asked for (default true). */
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
    const advance = (next: Tensor, index: number) => {
      // The previous value, unless asked for, is freed when no backward needs it (a ReLU output
      // read only by the next conv): less memory for the whole backward pass.
      if (x !== image && !outputs.has(index)) tape.releaseUnneeded(x);
      x = next;
    };
    for (let i = 0; i <= deepest; i++) {
      const m = this.modules[i]!;
      const next = this.modules[i + 1];
      const before = this.modules[i - 1]?.index ?? -1;
      if (this.fuseRelu && m.kind === 'conv' && !wanted.has(m.index) && next?.kind === 'relu' && next.index <= deepest) {
        // conv + ReLU in one kernel: the pre-ReLU values are never stored.
        advance(ops.conv3x3Relu(tape, x, this.convs.get(m.index)!), before);
        i++;
        if (wanted.has(next.index)) outputs.set(next.index, x);
        continue;
      }
      advance(this.apply(tape, m, x), before);
      if (wanted.has(m.index)) outputs.set(m.index, x);
    }
    return outputs;
  }

  dispose(): void {
    for (const c of this.convs.values()) for (const t of [c.weight, c.bias, c.flippedWeights] as DeviceTensor[]) t.release();
    this.convs.clear();
  }

  private apply(tape: Tape, m: VggModule, x: Tensor): Tensor {
    switch (m.kind) {
      case 'conv':
        return ops.conv3x3(tape, x, this.convs.get(m.index)!);
      case 'relu':
        return ops.relu(tape, x);
      case 'pool':
        return this.pooling === 'max' ? ops.maxPool(tape, x) : ops.avgPool(tape, x);
    }
  }
}
