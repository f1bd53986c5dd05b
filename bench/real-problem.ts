// docs/weights.md's real-weights problem, as the benches set it up: blocks 1–3 of Keras's VGG-19
// (converted with --up-to pool3), tubingen × starry_night, content at conv3_4 (weight 0.1), style at
// conv1_1, conv2_1, conv3_1. The command line's files, the device with the machine's name, the
// weights and images read, and the two images' features on the device.

import { cpus } from 'node:os';
import { describeAdapter, type GpuContext } from '../src/gpu/index.js';
import { Tape, Tensor } from '../src/graph/index.js';
import { createNodeContext } from '../src/node/gpu.js';
import { readImage } from '../src/node/image-files.js';
import type { StylizeOptions } from '../src/node/stylize.js';
import { readWeightsFile } from '../src/node/weights-files.js';
import { rgbToNormalized, uploadImage } from '../src/style/image-tensor.js';
import { StyleNetwork } from '../src/style/network.js';
import { Vgg19 } from '../src/vgg/index.js';

/** The layers and content weight of docs/weights.md's command for the partial weights. */
export const BLOCKS_1_3_LOSS = {
  contentLayers: ['conv3_4'],
  styleLayers: ['conv1_1', 'conv2_1', 'conv3_1'],
  contentWeight: 0.1,
} satisfies Partial<StylizeOptions>;

/** Adam's learning rate in docs/weights.md's command. */
export const BLOCKS_1_3_LR = 0.05;

/** The problem at `size` px, one scale, with Adam: bench/style_losses.ts's rows and bench/spatial_control.ts. */
export function adamProblem(size: number) {
  return { size, scales: 1, ...BLOCKS_1_3_LOSS, optimizer: 'adam', lr: BLOCKS_1_3_LR } satisfies Partial<StylizeOptions>;
}

/** parseArgs options: the converted weights, the content and the style image. */
export const PROBLEM_FILE_OPTIONS = {
  weights: { type: 'string', default: '/tmp/blocks1-3.bin' },
  content: { type: 'string', default: '../shared/images/tubingen.jpg' },
  style: { type: 'string', default: '../shared/images/starry_night.jpg' },
} as const;

export interface ProblemFiles {
  weights: string;
  content: string;
  style: string;
}

/** The device and the machine's name for a report: the CPU, its cores, the adapter. */
export async function benchContext(): Promise<{ ctx: GpuContext; machine: string }> {
  const ctx = await createNodeContext();
  const machine = `${cpus()[0]?.model ?? 'unknown CPU'} (${cpus().length} cores), adapter ${describeAdapter(ctx.adapter)}`;
  return { ctx, machine };
}

/** The weights, the content and the style image, read. */
export async function readProblem(files: ProblemFiles) {
  const weights = await readWeightsFile(files.weights);
  const [content, style] = [readImage(files.content), readImage(files.style)];
  return { weights, content, style };
}

/**
 * The content's and the style's features at `layers` on a tape without gradients (the VGG loaded up
 * to the deepest of them), each image `size` px wide (its aspect kept) in the normalised space.
 */
export async function problemFeatures(ctx: GpuContext, files: ProblemFiles, size: number, layers: number[]) {
  const net = new StyleNetwork(Vgg19.load(ctx, await readWeightsFile(files.weights), { upTo: Math.max(...layers) }));
  const normalized = (path: string) => {
    const image = readImage(path);
    const height = Math.round((size * image.height) / image.width);
    const rgb = uploadImage(ctx, image, path, { width: size, height });
    const x = rgbToNormalized(ctx, rgb, size, height);
    rgb.release();
    return x;
  };
  const tape = new Tape(ctx, { grad: false });
  const [content, style] = [normalized(files.content), normalized(files.style)];
  return {
    tape,
    content: net.features(tape, Tensor.leaf(content), layers),
    style: net.features(tape, Tensor.leaf(style), layers),
  };
}
