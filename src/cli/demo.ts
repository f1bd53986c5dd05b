// `wgpu-style info` and `wgpu-style demo`: the adapter, and a timed VGG-sized convolution.

import { totalmem } from 'node:os';
import { describeAdapter, type GpuContext } from '../gpu/index.js';
import { conv3x3Forward, reluForward, sum } from '../kernels/index.js';
import { createNodeContext } from '../node/gpu.js';
import { SEED_LOSS } from '../plan/settings.js';
import { defaultMaxMemoryMiB, IMAGE_BOUND_WHOLE, largestActivation, largestFittingSide, tensorOverLimit } from '../plan/memory-plan.js';
import { deepestLayer } from '../style/loss.js';
import { positiveInt, UsageError } from './errors.js';
import { parseCommand } from './parse.js';

export const DEVICE_OPTIONS = {
  backend: { type: 'string' },
  adapter: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

export const DEVICE_OPTIONS_HELP = `  --backend <name>   Dawn backend: vulkan, metal, d3d12, opengl, opengles, null
                     (default: the platform's; env WGPU_STYLE_BACKEND)
  --adapter <name>   Use the adapter whose name contains <name> (env WGPU_STYLE_ADAPTER);
                     an unknown name lists the adapters there are`;

export const DEMO_DEFAULTS = { size: 128, channels: 64 };

const INFO_HELP = `Usage: wgpu-style info [options]

Shows the WebGPU adapter, its features, the limits that bound image sizes and the largest
square image a full style step (default settings) fits in.

${DEVICE_OPTIONS_HELP}
  --max-memory <MiB> The GPU memory budget to plan with (default: 3/4 of this machine's memory)
  -h, --help         Show this help`;

const DEMO_HELP = `Usage: wgpu-style demo [options]

Runs a 3×3 convolution + ReLU + sum of VGG's size on the device and times it.

${DEVICE_OPTIONS_HELP}
  --size <px>        Image side in pixels (default ${DEMO_DEFAULTS.size})
  --channels <n>     Input and output channels (default ${DEMO_DEFAULTS.channels})
  -h, --help         Show this help`;

export async function infoCommand(args: string[]): Promise<number> {
  const { values } = parseCommand({ args, options: { ...DEVICE_OPTIONS, 'max-memory': { type: 'string' } } }, 'info');
  if (values.help) {
    console.log(INFO_HELP);
    return 0;
  }
  const budgetMiB = values['max-memory'] === undefined ? undefined : positiveInt('--max-memory', values['max-memory']);
  const ctx = await createNodeContext(values);
  try {
    const limits = ctx.device.limits;
    console.log(`adapter: ${describeAdapter(ctx.adapter)}`);
    console.log(`features: ${ctx.adapter.features.join(', ')}`);
    console.log(
      `max storage binding: ${(limits.maxStorageBufferBindingSize / 2 ** 20).toFixed(0)} MiB, ` +
        `max buffer: ${(limits.maxBufferSize / 2 ** 20).toFixed(0)} MiB, workgroup storage: ${limits.maxComputeWorkgroupStorageSize} bytes`,
    );
    console.log(`timestamp queries: ${ctx.profiler.supported ? 'yes' : 'no'}`);
    for (const line of sizeLines(ctx, budgetMiB)) console.log(line);
  } finally {
    ctx.destroy();
  }
  return 0;
}

export async function demoCommand(args: string[]): Promise<number> {
  const { values } = parseCommand(
    {
      args,
      options: {
        ...DEVICE_OPTIONS,
        size: { type: 'string', default: String(DEMO_DEFAULTS.size) },
        channels: { type: 'string', default: String(DEMO_DEFAULTS.channels) },
      },
    },
    'demo',
  );
  if (values.help) {
    console.log(DEMO_HELP);
    return 0;
  }
  const size = positiveInt('--size', values.size);
  const channels = positiveInt('--channels', values.channels);
  // Dawn's null backend accepts the dispatches and runs none of them: nothing to time.
  const ctx = await createNodeContext({ ...values, compute: true });
  try {
    checkFits(ctx, size, channels);
    console.log(`adapter: ${describeAdapter(ctx.adapter)}`);
    await timeConv(ctx, size, channels);
  } finally {
    ctx.destroy();
  }
  return 0;
}

/**
 * The memory budget, and the largest square image a full step of the default job fits in
 * (memory-plan.ts): within the budget, the largest activation within maxBufferSize and the image
 * (or, once nothing on Adam's path binds it whole, one plane of it) within
 * maxStorageBufferBindingSize (tensorOverLimit), each bound shown.
 */
function sizeLines(ctx: GpuContext, given: number | undefined): string[] {
  const host = totalmem();
  const budgetMiB = given ?? defaultMaxMemoryMiB(host);
  const budget = budgetMiB * 2 ** 20;
  const limits = { bufferBytes: ctx.maxBufferBytes, bindingBytes: ctx.bindingBytes };
  const job = {
    scales: [],
    loss: SEED_LOSS,
    pooling: 'max',
    optimizer: { kind: 'adam' },
    styleScale: 1,
    subgroups: ctx.subgroupsOf8,
    ...limits,
  } as const;
  const upTo = deepestLayer(SEED_LOSS);
  const square = { width: 1, height: 1 };
  const within = (only: Partial<typeof limits>) =>
    largestFittingSide(job, square, Infinity, (w, h) => tensorOverLimit(upTo, w, h, only) === null);
  const [bufferSide, imageSide] = [within({ bufferBytes: limits.bufferBytes }), within({ bindingBytes: limits.bindingBytes })];
  const [withCheckpointing, without] = [true, false].map((recompute) => largestFittingSide(job, square, budget, () => true, recompute));
  const largest = largestFittingSide(job, square, budget);
  const whole = IMAGE_BOUND_WHOLE.adam;
  const bound =
    whole.length > 0
      ? `the image [1, 3, H, W] is bound whole by ${whole.join(' and ')}`
      : 'one plane [1, 1, H, W] of the image is bound whole by resize';
  const { shape, name } = largestActivation(upTo, bufferSide + 1, bufferSide + 1);
  return [
    `memory budget: ${budgetMiB} MiB (${given ? '--max-memory' : `the default, 3/4 of this machine's ${bytesText(host)}: WebGPU does not say how much the adapter has; --max-memory sets it`})`,
    `largest square image a full step fits (default settings, Adam): ${largest}×${largest} px ` +
      `(the buffer limit allows ${bufferSide} px: one more and ${name} [${shape.join(', ')}] passes ${bytesText(limits.bufferBytes)}; ` +
      `the binding limit ${imageSide} px: ${bound}, activations past ${bytesText(limits.bindingBytes)} ` +
      `run band by band; the budget ${withCheckpointing} px with checkpointing, ${without} px without)`,
  ];
}

/**
 * The demo's tensors must each fit one storage-buffer binding: the weights [C, C, 3, 3], which every
 * conv binds whole, and the image [1, C, S, S] too — its conv would run band by band
 * (src/kernels/band.ts), but the sum the demo times after it binds its input whole.
 */
function checkFits(ctx: GpuContext, size: number, channels: number): void {
  const limit = ctx.maxBindingBytes;
  const limitText = `this adapter binds at most ${bytesText(limit)} per storage buffer (maxStorageBufferBindingSize)`;
  const maxChannels = Math.min(Math.floor(limit / 4 / (size * size)), Math.floor(Math.sqrt(limit / 4 / 9)));
  const weightBytes = 4 * channels * channels * 9;
  if (weightBytes > limit) {
    throw new UsageError(
      `--channels ${channels} is too many: the weights [${channels}, ${channels}, 3, 3] need ${bytesText(weightBytes)} but ${limitText}; the most that fits at --size ${size} is ${maxChannels}`,
    );
  }
  const imageBytes = 4 * channels * size * size;
  if (imageBytes > limit) {
    const maxSize = Math.floor(Math.sqrt(limit / 4 / channels));
    const fewer = maxChannels >= 1 ? `, or at most --channels ${maxChannels} at --size ${size}` : '';
    throw new UsageError(
      `--size ${size} with --channels ${channels} is too large: the image [1, ${channels}, ${size}, ${size}] needs ${bytesText(imageBytes)} but ${limitText}; the largest --size that fits ${channels} channels is ${maxSize}${fewer}`,
    );
  }
}

function bytesText(bytes: number): string {
  const units = ['MiB', 'GiB', 'TiB', 'PiB'];
  let value = bytes / 2 ** 20;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) [value, unit] = [value / 1024, unit + 1];
  return `${value.toFixed(1)} ${units[unit]}`;
}

async function timeConv(ctx: GpuContext, size: number, channels: number): Promise<void> {
  const pixels = size * size;
  const x = ctx.upload(
    [1, channels, size, size],
    Float32Array.from({ length: channels * pixels }, (_, i) => Math.sin(i * 0.37)),
  );
  const w = ctx.upload(
    [channels, channels, 3, 3],
    Float32Array.from({ length: channels * channels * 9 }, (_, i) => Math.cos(i * 0.11) * 0.05),
  );
  const run = async () => {
    const y = conv3x3Forward(ctx, x, w);
    const r = reluForward(ctx, y);
    const total = sum(ctx, r);
    const [value] = await total.read();
    for (const t of [y, r, total]) t.release();
    return value!;
  };
  await run(); // compiles the pipelines (lavapipe compiles at the first dispatch)
  const runs = 3;
  const started = performance.now();
  let checksum = 0;
  for (let i = 0; i < runs; i++) checksum = await run();
  const ms = (performance.now() - started) / runs;
  const gflop = (2 * 9 * channels * channels * pixels) / 1e9;
  console.log(
    `conv3x3 ${channels}→${channels} at ${size}×${size} + ReLU + sum: ${ms.toFixed(1)} ms per run ` +
      `(${(gflop / (ms / 1000)).toFixed(1)} GFLOP/s incl. submit and readback), checksum ${checksum.toFixed(3)}`,
  );
}
