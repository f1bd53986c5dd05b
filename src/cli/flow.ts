// `wgpu-style flow a.png b.png -o f.flo`: the optical flow of src/flow between two images, written
// as Middlebury .flo and as a colour-coded PNG beside it, so that anyone can check it.

import { extname } from 'node:path';
import { encodeImage } from '../io/image.js';
import { encodeFlo, flowToRgba } from '../io/flo.js';
import { opticalFlow } from '../flow/index.js';
import { createNodeContext } from '../node/gpu.js';
import { readImage } from '../node/image-files.js';
import { PreparedWrite } from '../node/safe-write.js';
import { uploadImage } from '../style/image-tensor.js';
import { DEVICE_OPTIONS, DEVICE_OPTIONS_HELP } from './demo.js';
import { UsageError } from './errors.js';
import { number } from './options.js';
import { parseCommand } from './parse.js';

export const FLOW_HELP = `Usage: wgpu-style flow <a> <b> -o <flow.flo> [options]

Dense optical flow from image a to image b (PNG or JPEG, the same size), computed on the GPU:
for each pixel of a, how far it moves to reach b, in pixels (u to the right, v down), so that
a(x, y) ≈ b(x + u, y + v) (Middlebury's convention). Writes the Middlebury .flo file and, beside
it, the flow as a colour-coded PNG (flow.png: hue = direction, saturation = speed; Baker et al.'s
colour wheel), which any .flo viewer, OpenCV (cv2.readOpticalFlow) or numpy can check.

  -o, --output <file>  The .flo file to write (the PNG goes beside it, .flo -> .png)
  --max-motion <px>    Speed shown at full saturation in the PNG (default: the largest in the flow)
${DEVICE_OPTIONS_HELP}
  -h, --help           Show this help

Example
  wgpu-style flow frame1.png frame2.png -o flow.flo     # writes flow.flo and flow.png`;

export async function flowCommand(args: string[]): Promise<number> {
  const options = { ...DEVICE_OPTIONS, output: { type: 'string', short: 'o' }, 'max-motion': { type: 'string' } } as const;
  const { values, positionals } = parseCommand({ args, options, allowPositionals: true }, 'flow');
  if (values.help) {
    console.log(FLOW_HELP);
    return 0;
  }
  if (positionals.length !== 2)
    throw new UsageError('flow: give two images: wgpu-style flow <a> <b> -o <flow.flo> (see wgpu-style flow --help)');
  const output = values.output;
  if (!output) throw new UsageError('flow: give the .flo file to write with -o, such as -o flow.flo');
  if (extname(output).toLowerCase() !== '.flo')
    throw new UsageError(`-o ${output}: the flow is written as .flo; give a name ending in .flo`);
  const maxMotion = values['max-motion'] === undefined ? undefined : number('--max-motion', values['max-motion']);
  if (maxMotion !== undefined && !(maxMotion > 0)) throw new UsageError(`--max-motion must be a number > 0, got ${maxMotion}`);
  const [pathA, pathB] = positionals as [string, string];
  const pngPath = `${output.slice(0, -extname(output).length)}.png`;
  // Both outputs checked before any work: never over an input, in a folder that takes files.
  const flo = PreparedWrite.prepare(output, { what: '-o', inputs: positionals, example: 'flow.flo' });
  const png = PreparedWrite.prepare(pngPath, { what: 'the colour-coded PNG', inputs: positionals, fix: 'choose another -o' });
  const a = readImage(pathA);
  const b = readImage(pathB);
  if (a.width !== b.width || a.height !== b.height)
    throw new UsageError(`${pathB} is ${b.width}×${b.height} but ${pathA} is ${a.width}×${a.height}; the two images must be the same size`);
  const ctx = await createNodeContext({ backend: values.backend, adapter: values.adapter, compute: true });
  let data: Float32Array;
  const started = performance.now();
  try {
    const [from, to] = [uploadImage(ctx, a, 'a'), uploadImage(ctx, b, 'b')];
    const flow = opticalFlow(ctx, from, to);
    data = await flow.read();
    for (const t of [from, to, flow]) t.release();
  } finally {
    ctx.destroy();
  }
  const seconds = (performance.now() - started) / 1000;
  flo.commit(encodeFlo(a.width, a.height, data));
  png.commit(encodeImage(pngPath, flowToRgba(a.width, a.height, data, maxMotion)));
  console.error(`wrote ${output} and ${pngPath} (${a.width}×${a.height}, ${describeFlow(data)}) in ${seconds.toFixed(1)} s`);
  return 0;
}

/** "mean motion 2.31 px, largest 5.02 px". */
function describeFlow(data: Float32Array): string {
  const plane = data.length / 2;
  let sum = 0;
  let largest = 0;
  for (let i = 0; i < plane; i++) {
    const m = Math.hypot(data[i]!, data[plane + i]!);
    sum += m;
    largest = Math.max(largest, m);
  }
  return `mean motion ${(sum / plane).toFixed(2)} px, largest ${largest.toFixed(2)} px`;
}
