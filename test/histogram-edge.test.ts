// Edge cases of the histogram kernels, colour transfer and their place in a session (review of
// part C): a grey image recoloured, the style targets a --color-transfer content session keeps,
// the options refused without a style image (they crashed in the run with a stack trace), a
// resume refused for another --histogram-weight saying which, L-BFGS with the 6 reported losses.

import { describe, expect, it } from 'vitest';
import { identityDifferences } from '../src/io/checkpoint-file.js';
import { syntheticWeights } from '../src/io/weights/synthetic.js';
import type { DeviceTensor, GpuContext } from '../src/gpu/index.js';
import { colorYiq } from '../src/kernels/index.js';
import { planJob } from '../src/plan/plan-job.js';
import { transferColors } from '../src/style/color-transfer.js';
import { StyleSession } from '../src/style/session.js';
import { useGpu } from './helpers/gpu.js';
import { HostObjective, runDevice, type HostFunction } from './helpers/lbfgs-device.js';
import type { Evaluation } from '../src/optim/types.js';
import { rng } from './helpers/random.js';
import { texture } from './helpers/video-clip.js';

const gpu = useGpu();

describe('colour transfer of a grey image', () => {
  it('gives it one even tint (its chroma is constant 0, not rounding noise spread over the reference)', async () => {
    const ctx = gpu();
    const [h, w] = [8, 16];
    const plane = h * w;
    const grey = new Float64Array(3 * plane).map((_, i) => Math.fround((i % plane) / plane)); // a grey ramp
    const next = rng(3);
    const colourful = new Float64Array(3 * plane).map(() => next());
    const [source, reference] = [ctx.upload([1, 3, h, w], grey), ctx.upload([1, 3, h, w], colourful)];
    const out = transferColors(ctx, source, [reference], [1]);
    const yiq = colorYiq(ctx, out);
    const v = await yiq.read();
    for (const t of [source, reference, out, yiq]) t.release();
    for (const channel of [1, 2]) {
      const chroma = Array.from(v.subarray(channel * plane, (channel + 1) * plane));
      // Before the fix: I spread over -0.46..0.38 (the reference's range), by the rounding's sign.
      expect(Math.max(...chroma) - Math.min(...chroma), `YIQ channel ${channel}`).toBeLessThan(1e-3);
    }
  });
});

describe('a --color-transfer content session', () => {
  it("keeps the style targets of the current content only (a video's frames: one set, not one per frame)", async () => {
    const ctx = gpu();
    const settings = { contentLayers: [12], styleLayers: [0, 5], autotune: false, size: 32, scales: 1, steps: 1 } as const;
    const plan = planJob({ ...settings, colorTransfer: 'content' }, 32, 24, 1);
    const session = new StyleSession(ctx, syntheticWeights(2, 12), [texture(24, 24, 50, 9)], plan);
    try {
      const live: number[] = [];
      for (const seed of [1, 2, 3]) {
        await session.run(texture(32, 24, seed, seed), plan);
        live.push(ctx.memory().liveBytes);
      }
      expect(session.styleTargetComputations).toBe(3);
      expect(live[2]).toBe(live[1]); // before the fix: one more target set per frame, up to 8
    } finally {
      session.dispose();
    }
  });
});

describe('without a style image', () => {
  const plan = (settings: object) => () => planJob({ size: 32, scales: 1, styleWeight: 0, ...settings }, 32, 24, 0);
  it('refuses --histogram-weight and --color-transfer in one sentence each, naming the fix (the CLI says the flags)', () => {
    expect(plan({ histogramWeight: 1 })).toThrow(
      /histogramWeight is 1 but there is no style image to match the histograms to: give a style image, or set it to 0/,
    );
    expect(plan({ colorTransfer: 'style' })).toThrow(/colorTransfer is style but there is no style image to take the colours from/);
    expect(plan({ colorTransfer: 'content' })).toThrow(/colorTransfer is content but there is no style image to give the colours to/);
    expect(plan({})).not.toThrow();
  });
});

describe('--histogram-weight alone', () => {
  it('is something to optimise (it was refused as "all weights 0")', () => {
    const alone = { size: 32, scales: 1, contentWeight: 0, styleWeight: 0, tvWeight: 0 };
    expect(() => planJob({ ...alone, histogramWeight: 1 }, 32, 24, 1)).not.toThrow();
    expect(() => planJob(alone, 32, 24, 1)).toThrow(/are all 0, which leaves nothing to optimise/);
  });
});

describe('a checkpoint of a run with another --histogram-weight', () => {
  it('is refused naming the field of the loss that differs (the whole loss, cut short, read the same)', () => {
    const loss = (weight: number) => ({
      contentLayers: [25],
      styleLayers: [0, 5, 10, 19, 28],
      contentWeight: 5,
      styleWeight: 1000,
      histogram: { weight, layers: [0, 5] },
    });
    const identity = (weight: number) => ({ settings: { lr: 1, loss: loss(weight) }, inputs: {}, weights: 'w' });
    expect(identityDifferences(identity(5), identity(4))).toEqual([
      'setting loss.histogram was {"weight":5,"layers":[0,5]}, now {"weight":4,"layers":[0,5]}',
    ]);
    expect(identityDifferences(identity(5), identity(5))).toEqual([]);
  });
});

/** The style job's evaluation: 6 reported losses, the temporal and histogram terms after the total. */
class SixLosses extends HostObjective {
  constructor(
    private readonly gpu: GpuContext,
    image: DeviceTensor,
    fn: HostFunction,
  ) {
    super(gpu, image, fn);
  }
  readonly made: Evaluation[] = [];
  override async evaluate() {
    const ev = await super.evaluate();
    const total = await ev.losses.read();
    ev.losses.release();
    this.made.push({ ...ev, losses: this.gpu.upload([6], [0, 0, 0, total[3]!, 7, 9], 'losses') });
    return this.made.at(-1)!;
  }
}

describe('L-BFGS with the temporal and histogram terms reported', () => {
  it('steps as with 4 losses and gives all 6 back (they overwrote its constants 0 and 1: a crash, or a wrong direction)', async () => {
    const fn: HostFunction = (x) => ({ f: x.reduce((a, v, i) => a + (i + 1) * v * v, 0), g: x.map((v, i) => 2 * (i + 1) * v) });
    const x0 = [1, -2, 0.5, 3];
    const plan = { kind: 'lbfgs', history: 3, lineSearch: 'none', lr: 1 } as const;
    const four = await runDevice(gpu(), x0, 6, plan, (image) => new HostObjective(gpu(), image, fn));
    let objective: SixLosses | undefined;
    const six = await runDevice(gpu(), x0, 6, plan, (image) => (objective = new SixLosses(gpu(), image, fn)));
    expect(six.iterates).toEqual(four.iterates);
    expect(objective!.made.map((ev) => Array.from(ev.values!).slice(4))).toEqual(objective!.made.map(() => [7, 9]));
    expect(six.losses).toEqual(four.losses);
  });
});
