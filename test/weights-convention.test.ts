// Weights in torchvision's convention (what .pth and .params files convert to) run as PyTorch runs
// them: the network sees (rgb − mean) / std with rgb in 0..1, and the loss is not rescaled. The
// device's loss is compared with PyTorch's formula computed in float64 (test/helpers/vgg-oracle.ts).

import { describe, expect, it } from 'vitest';
import { Tape, Tensor } from '../src/graph/index.js';
import { memorySource } from '../src/io/weights/bytes.js';
import { syntheticWeights } from '../src/io/weights/synthetic.js';
import { convertTorch } from '../src/io/weights/torch.js';
import { computeTargets, styleTransferLoss, type LossConfig } from '../src/style/loss.js';
import { StyleNetwork } from '../src/style/network.js';
import { TORCHVISION_INPUT, Vgg19 } from '../src/vgg/index.js';
import { relativeError } from './helpers/compare.js';
import { useGpu } from './helpers/gpu.js';
import { rng } from './helpers/random.js';
import { oracleLoss, oracleTargets } from './helpers/vgg-oracle.js';
import { fixture } from './helpers/weights-fixtures.js';

const SHAPE = [1, 3, 16, 16] as const;
const PIXELS = 16 * 16;
const CONFIG: LossConfig = { contentLayers: [8], styleLayers: [1, 6, 10], contentWeight: 1, styleWeight: 1e3, tvWeight: 0 };

/** An RGB image in 0..1, planar (what the job uploads), with float32 values. */
const rgbImage = (seed: number) => {
  const next = rng(seed);
  return Float64Array.from({ length: 3 * PIXELS }, () => Math.fround(next()));
};

/** PyTorch's input: transforms.Normalize(mean, std) of an RGB tensor in 0..1. */
const normalize = (rgb: Float64Array) =>
  rgb.map((v, i) => Math.fround((v - TORCHVISION_INPUT.mean[Math.floor(i / PIXELS)]!) / TORCHVISION_INPUT.std[Math.floor(i / PIXELS)]!));

describe("torchvision's input convention", () => {
  const gpu = useGpu();

  it('a converted .pth carries it: no input transform in front of conv1_1 and an input scale of 1', async () => {
    const weights = await convertTorch(memorySource(fixture('vgg19-expanded.pth'), 'vgg19.pth'), { upTo: 10 });
    expect(weights.input).toEqual(TORCHVISION_INPUT);
    const vgg = Vgg19.load(gpu(), weights, { upTo: 10 });
    const net = new StyleNetwork(vgg);
    expect(net.toNetwork).toBeNull();
    expect(net.inputScale).toBe(1);
    vgg.dispose();
  });

  it("computes the loss PyTorch's formula gives (float64 oracle) on a 16×16 image", async () => {
    const ctx = gpu();
    const weights = syntheticWeights(7, 10); // torchvision's convention, like every .pth
    const vgg = Vgg19.load(ctx, weights, { upTo: 10 });
    const net = new StyleNetwork(vgg);
    const loss: LossConfig = { ...CONFIG, contentNormalizer: 1 / net.inputScale ** 2, styleNormalizer: 1 / net.inputScale ** 4 };
    const [content, style, image] = [rgbImage(1), rgbImage(2), rgbImage(3)].map(normalize);
    // The optimised image lives in the normalised space, which for these weights is the network's own.
    const upload = (values: Float64Array) => ctx.upload([...SHAPE], Float32Array.from(values));
    const targets = computeTargets(ctx, net, upload(content!), [upload(style!)], loss);
    const tape = new Tape(ctx);
    const terms = styleTransferLoss(tape, net, Tensor.leaf(upload(image!)), targets, loss);
    const device = {
      content: (await terms.content!.value.read())[0]!,
      style: (await terms.style!.value.read())[0]!,
      total: (await terms.total.value.read())[0]!,
    };
    tape.dispose();
    vgg.dispose();
    const oracle = oracleLoss(weights, image!, SHAPE, oracleTargets(weights, content!, style!, SHAPE, CONFIG), CONFIG);
    for (const term of ['content', 'style', 'total'] as const) {
      expect(relativeError([device[term]], [oracle[term]]), `${term}: device ${device[term]}, oracle ${oracle[term]}`).toBeLessThan(1e-4);
    }
    expect(device.style).toBeGreaterThan(0);
  });
});
