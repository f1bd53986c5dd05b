import { describe, expect, it } from 'vitest';
import type { GpuContext } from '../src/gpu/index.js';
import { Tape, Tensor } from '../src/graph/index.js';
import { readImage } from '../src/node/image-files.js';
import { syntheticWeights } from '../src/io/weights/synthetic.js';
import { convertTfjsFolder } from '../src/node/weights-files.js';
import { Vgg19, type VggWeights } from '../src/vgg/index.js';
import { join } from 'node:path';
import { expectClose } from './helpers/compare.js';
import { useGpu } from './helpers/gpu.js';
import { randomArray } from './helpers/random.js';
import { IMAGES, sharedAvailable, TFJS_MODEL } from './helpers/shared.js';
import { vggForward } from './helpers/vgg-oracle.js';

async function compareWithOracle(
  ctx: GpuContext,
  weights: VggWeights,
  image: Float64Array,
  shape: number[],
  layers: number[],
  tolerance: number,
  what: string,
) {
  const vgg = Vgg19.load(ctx, weights, { upTo: Math.max(...layers) });
  const tape = new Tape(ctx, { grad: false });
  const features = vgg.extract(tape, Tensor.leaf(ctx.upload(shape, image)), layers);
  const expected = vggForward(weights, image, shape, layers);
  expect([...features.keys()].sort((a, b) => a - b)).toEqual([...layers].sort((a, b) => a - b));
  for (const layer of layers) {
    const f = features.get(layer)!;
    expect(f.shape).toEqual(expected.get(layer)!.shape);
    expectClose(await f.value.read(), expected.get(layer)!.data, tolerance, `${what} layer ${layer}`);
  }
  tape.dispose();
  vgg.dispose();
}

describe('VGG-19 features', () => {
  const gpu = useGpu();

  it('matches the float64 oracle at every extracted index up to 28 (synthetic weights, 16×20 image)', async () => {
    const shape = [1, 3, 16, 20];
    await compareWithOracle(
      gpu(),
      syntheticWeights(7),
      randomArray(960, 8),
      shape,
      [0, 1, 3, 4, 5, 10, 18, 19, 25, 27, 28],
      1e-4,
      'vgg synthetic',
    ); // 3, 4, 18: after fused conv+ReLU
  });

  it('builds only up to the deepest layer requested and says which weights are missing', () => {
    const ctx = gpu();
    const partial = syntheticWeights(1, 9);
    const vgg = Vgg19.load(ctx, partial, { upTo: 9 });
    expect(vgg.depth).toBe(9);
    vgg.dispose();
    expect(() => Vgg19.load(ctx, partial, { upTo: 10 })).toThrow(/no conv3_1 \(module 10\).*use layers up to module 9/);
  });

  it('average pooling gives different features from max pooling', async () => {
    const ctx = gpu();
    const weights = syntheticWeights(2, 5);
    const image = ctx.upload([1, 3, 8, 8], randomArray(192, 3));
    const run = async (pooling: 'max' | 'avg') => {
      const vgg = Vgg19.load(ctx, weights, { upTo: 5, pooling });
      const tape = new Tape(ctx, { grad: false });
      const values = await vgg.extract(tape, Tensor.leaf(image), [5]).get(5)!.value.read();
      tape.dispose();
      vgg.dispose();
      return values;
    };
    expect(await run('avg')).not.toEqual(await run('max'));
  });

  describe.runIf(sharedAvailable('VGG-19 on real weights', TFJS_MODEL) && sharedAvailable('real image', join(IMAGES, 'tubingen.jpg')))(
    'with the real ../shared weights',
    () => {
      it('matches the oracle up to block3_conv4 (index 16) on a 24×32 crop of tubingen.jpg', async () => {
        const weights = await convertTfjsFolder(TFJS_MODEL, 16);
        const photo = readImage(join(IMAGES, 'tubingen.jpg'));
        // Caffe convention: BGR, 0..255, minus the per-channel mean.
        const [h, w, top, left] = [24, 32, 200, 300];
        const image = new Float64Array(3 * h * w);
        for (let c = 0; c < 3; c++)
          for (let y = 0; y < h; y++)
            for (let x = 0; x < w; x++) {
              const rgb = 2 - c; // B, G, R
              image[(c * h + y) * w + x] = photo.data[((top + y) * photo.width + left + x) * 4 + rgb]! - weights.input.mean[c]!;
            }
        await compareWithOracle(gpu(), weights, image, [1, 3, h, w], [0, 5, 10, 16], 1e-4, 'vgg real');
      });
    },
  );
});
