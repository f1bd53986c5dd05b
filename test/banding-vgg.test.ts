// The seed loss's gradient through VGG-19 with bindings capped (GpuContext.capBinding), so that the
// large layers run band by band (src/kernels/band.ts), equals the unbanded one. Each kernel banded:
// test/banding.test.ts.

import { describe, expect, it, vi } from 'vitest';
import type { GpuContext } from '../src/gpu/index.js';
import { Tape, Tensor } from '../src/graph/index.js';
import { syntheticWeights } from '../src/io/weights/synthetic.js';
import { computeTargets, releaseTargets, styleTransferLoss, type LossConfig, type Targets } from '../src/style/loss.js';
import { SEED_LOSS } from '../src/plan/settings.js';
import { StyleNetwork } from '../src/style/network.js';
import { moduleShapes, Vgg19 } from '../src/vgg/index.js';
import { capped, expectLikeUnbanded } from './helpers/banding.js';
import { useGpu } from './helpers/gpu.js';
import { randomArray, size } from './helpers/random.js';

const gpu = useGpu();

/** Conv layers of VGG-19 up to `upTo` whose input or output exceeds `cap` bytes at h × w. */
function bandedConvs(h: number, w: number, upTo: number, cap: number): string[] {
  return moduleShapes(h, w, upTo).flatMap(({ module: m, input: [, mh, mw] }) =>
    m.kind === 'conv' && Math.max(m.cin, m.cout) * mh * mw * 4 > cap ? [m.name] : [],
  );
}

/** The loss's gradient at a [1, 3, h, w] image with bindings capped at `cap`, and the labels of the conv bands run. */
async function lossGradient(ctx: GpuContext, net: StyleNetwork, targets: Targets, loss: LossConfig, [h, w]: number[], cap: number | null) {
  const x = ctx.upload([1, 3, h!, w!], randomArray(3 * h! * w!, 73));
  const dispatch = vi.spyOn(ctx, 'dispatch');
  const grad = capped(ctx, cap, () => {
    const tape = new Tape(ctx);
    const image = Tensor.leaf(x, true, 'image');
    const [g] = tape.backward(styleTransferLoss(tape, net, image, targets, loss).total, [image]);
    tape.dispose();
    return g!;
  });
  const convBandLabels = new Set(dispatch.mock.calls.map(([d]) => d.label).filter((l) => / rows \d+–\d+$/.test(l)));
  dispatch.mockRestore();
  const values = await grad.read();
  x.release();
  grad.release();
  return { grad: values, convs: new Set([...convBandLabels].map((l) => l.replace(/ rows .*/, ''))) };
}

// The cap must hold the largest weights, bound whole: 512·512·9·4 bytes through layer 28 (block 1
// banded at 188×197), 256·256·9·4 through layer 12 (blocks 1 and 2 banded at 141×139). Banded
// convs, pools, ReLUs and Gram backward give the unbanded bits; the Grams of banded layers are
// sums over bands, a few f32 roundings off (2·10⁻⁷ relative), which the loss's gradient inherits
// (measured 1.1·10⁻⁷ and 6·10⁻⁸ relative to its largest value): 10⁻⁶ leaves a margin and still catches a
// band's rows lost, doubled or misplaced, which change the gradient in its leading digits.
const SEED_CASES: Array<{ name: string; loss: LossConfig; size: [number, number]; cap: number; banded: string[] }> = [
  { name: 'the seed loss (layers 0–28)', loss: SEED_LOSS, size: [188, 197], cap: 512 * 512 * 9 * 4, banded: ['conv1_1', 'conv1_2'] },
  {
    name: 'a seed loss on blocks 1–3 (content 12, style 0, 5, 10)',
    loss: { ...SEED_LOSS, contentLayers: [12], styleLayers: [0, 5, 10] },
    size: [141, 139],
    cap: 256 * 256 * 9 * 4,
    banded: ['conv1_1', 'conv1_2', 'conv2_1', 'conv2_2'],
  },
];

describe('banding: the seed loss through VGG-19', () => {
  for (const c of SEED_CASES) {
    it(`${c.name}: the gradient at ${c.size.join('×')} with ${c.banded.join(', ')} banded is the unbanded one`, async () => {
      const ctx = gpu();
      const upTo = Math.max(...c.loss.contentLayers, ...c.loss.styleLayers);
      expect(bandedConvs(...c.size, upTo, c.cap)).toEqual(c.banded);
      const net = new StyleNetwork(Vgg19.load(ctx, syntheticWeights(9, upTo), { upTo }));
      const shape = [1, 3, ...c.size];
      const [content, style] = [81, 82].map((seed) => ctx.upload(shape, randomArray(size(shape), seed)));
      const targets = computeTargets(ctx, net, content!, [style!], c.loss);
      const plain = await lossGradient(ctx, net, targets, c.loss, c.size, null);
      const banded = await lossGradient(ctx, net, targets, c.loss, c.size, c.cap);
      expect(plain.convs.size).toBe(0);
      // Each banded layer's forward and input gradient ran band by band.
      expect(banded.convs.size).toBe(2 * c.banded.length);
      expectLikeUnbanded(banded.grad, plain.grad, 1e-6, `${c.name} gradient`);
      releaseTargets(targets);
      content!.release();
      style!.release();
      net.vgg.dispose();
    });
  }
});
