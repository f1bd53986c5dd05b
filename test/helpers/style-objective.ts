// The style loss at a tiny size on synthetic weights, as an L-BFGS test problem: the same loss the
// job optimises (src/style/loss.ts), evaluated on the device, either for the device optimiser
// (recorded at once) or for the float64 oracle (an image uploaded, f and ∇f read back).

import type { DeviceTensor, GpuContext } from '../../src/gpu/index.js';
import { Tape, Tensor } from '../../src/graph/index.js';
import { syntheticWeights } from '../../src/io/weights/synthetic.js';
import { inputScale } from '../../src/style/convention.js';
import { computeTargets, releaseTargets, styleTransferLoss, type LossConfig, type Targets } from '../../src/style/loss.js';
import { StyleNetwork } from '../../src/style/network.js';
import type { Evaluation, Objective } from '../../src/optim/types.js';
import { Vgg19 } from '../../src/vgg/index.js';
import { randomArray } from './random.js';

export class StyleProblem {
  readonly shape: [number, number, number, number];
  readonly x0: Float64Array;
  private readonly net: StyleNetwork;
  private readonly targets: Targets;
  private readonly loss: LossConfig;

  constructor(
    private readonly ctx: GpuContext,
    width: number,
    height: number,
    config: Omit<LossConfig, 'contentNormalizer' | 'styleNormalizer'>,
  ) {
    this.shape = [1, 3, height, width];
    const size = 3 * width * height;
    const deepest = Math.max(...config.contentLayers, ...config.styleLayers);
    this.net = new StyleNetwork(Vgg19.load(ctx, syntheticWeights(3, deepest), { upTo: deepest }));
    const k = inputScale(this.net.vgg.input);
    this.loss = { ...config, contentNormalizer: 1 / k ** 2, styleNormalizer: 1 / k ** 4 };
    const content = ctx.upload(this.shape, randomArray(size, 11));
    const style = ctx.upload(this.shape, randomArray(size, 12));
    this.targets = computeTargets(ctx, this.net, content, [style], this.loss);
    content.release();
    style.release();
    this.x0 = Float64Array.from(randomArray(size, 13), (v, i) => Math.fround(0.5 * v + 0.2 * Math.sin(i)));
  }

  /** Records the loss and its gradient at `image`. */
  record(image: DeviceTensor): Evaluation {
    const tape = new Tape(this.ctx);
    const x = Tensor.leaf(image, true, 'image');
    const terms = styleTransferLoss(tape, this.net, x, this.targets, this.loss);
    const losses = this.ctx.zeros([4], 'losses');
    this.ctx.copyInto(terms.total.value, losses, 3);
    const [grad] = tape.backward(terms.total, [x]);
    tape.dispose();
    return { grad: grad!, losses, values: null };
  }

  /** The device optimiser's objective on `image`. */
  objective(image: DeviceTensor): Objective & { evaluations: number } {
    const problem = this;
    return {
      stopping: false,
      evaluations: 0,
      evaluate() {
        this.evaluations++;
        return problem.record(image);
      },
    };
  }

  /** For the oracle: f and ∇f at x (rounded to f32, as the device sees it). */
  async host(x: Float64Array): Promise<{ f: number; g: Float64Array }> {
    const image = this.ctx.upload(this.shape, x);
    const ev = this.record(image);
    const [losses, grad] = [await ev.losses.read(), await ev.grad.read()];
    for (const t of [image, ev.losses, ev.grad]) t.release();
    return { f: losses[3]!, g: Float64Array.from(grad) };
  }

  dispose(): void {
    releaseTargets(this.targets);
    this.net.vgg.dispose();
  }
}
