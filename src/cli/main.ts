// wgpu-style's command line. For now: `info` (the adapter and its limits) and `demo` (a VGG-sized
// convolution on the device, timed). Style transfer itself arrives with the style job.

import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { describeAdapter, GpuError, type GpuContext } from '../gpu/index.js';
import { conv3x3Forward, reluForward, sum } from '../kernels/index.js';
import { createNodeContext } from '../node/gpu.js';

const HELP = `wgpu-style — neural style transfer on WebGPU

Usage:
  wgpu-style info [options]     Show the WebGPU adapter, its limits and features
  wgpu-style demo [options]     Run a VGG-sized 3×3 convolution + ReLU on the device and time it

Options:
  --backend <name>   Dawn backend: vulkan, metal, d3d12, opengl, opengles, null
                     (default: the platform's; env WGPU_STYLE_BACKEND)
  --adapter <name>   Use the adapter whose name contains <name> (env WGPU_STYLE_ADAPTER);
                     an unknown name makes Dawn list the adapters it has
  --size <px>        demo: image side in pixels (default 128)
  --channels <n>     demo: input and output channels (default 64)
  -h, --help         Show this help
  -v, --version      Show the version

No GPU? Run \`npm run setup\`: on Debian/Ubuntu it installs Mesa's software Vulkan driver.`;

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      backend: { type: 'string' },
      adapter: { type: 'string' },
      size: { type: 'string', default: '128' },
      channels: { type: 'string', default: '64' },
      help: { type: 'boolean', short: 'h' },
      version: { type: 'boolean', short: 'v' },
    },
  });
  if (values.version) {
    console.log(readVersion());
    return 0;
  }
  const command = positionals[0];
  if (values.help || !command) {
    console.log(HELP);
    return values.help ? 0 : 1;
  }
  if (command !== 'info' && command !== 'demo') {
    console.error(`wgpu-style: unknown command "${command}". Run \`wgpu-style --help\` for the commands.`);
    return 2;
  }
  const size = positiveInt('--size', values.size!);
  const channels = positiveInt('--channels', values.channels!);
  const ctx = await createNodeContext({ backend: values.backend, adapter: values.adapter });
  try {
    console.log(`adapter: ${describeAdapter(ctx.adapter)}`);
    if (command === 'info') printInfo(ctx);
    else await demo(ctx, size, channels);
  } finally {
    ctx.destroy();
  }
  return 0;
}

function printInfo(ctx: GpuContext): void {
  const limits = ctx.device.limits;
  console.log(`features: ${ctx.adapter.features.join(', ')}`);
  console.log(`max storage binding: ${(limits.maxStorageBufferBindingSize / 2 ** 20).toFixed(0)} MiB, ` +
    `max buffer: ${(limits.maxBufferSize / 2 ** 20).toFixed(0)} MiB, ` +
    `workgroup storage: ${limits.maxComputeWorkgroupStorageSize} bytes`);
  console.log(`timestamp queries: ${ctx.profiler.supported ? 'yes' : 'no'}`);
}

async function demo(ctx: GpuContext, size: number, channels: number): Promise<void> {
  const shape = [1, channels, size, size];
  const pixels = size * size;
  const x = ctx.upload(shape, Float32Array.from({ length: channels * pixels }, (_, i) => Math.sin(i * 0.37)));
  const w = ctx.upload([channels, channels, 3, 3], Float32Array.from({ length: channels * channels * 9 }, (_, i) => Math.cos(i * 0.11) * 0.05));
  const run = () => {
    const y = conv3x3Forward(ctx, x, w);
    const r = reluForward(ctx, y);
    const total = sum(ctx, r);
    y.release();
    r.release();
    return total;
  };
  const warm = run(); // compiles the pipelines (lavapipe compiles at first dispatch)
  await warm.read();
  warm.release();
  const runs = 3;
  const started = performance.now();
  let checksum = 0;
  for (let i = 0; i < runs; i++) {
    const total = run();
    checksum = (await total.read())[0]!;
    total.release();
  }
  const ms = (performance.now() - started) / runs;
  const gflop = (2 * 9 * channels * channels * pixels) / 1e9;
  console.log(`conv3x3 ${channels}→${channels} at ${size}×${size} + ReLU + sum: ${ms.toFixed(1)} ms per run ` +
    `(${(gflop / (ms / 1000)).toFixed(1)} GFLOP/s incl. submit and readback), checksum ${checksum.toFixed(3)}`);
}

function positiveInt(name: string, text: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) throw new UsageError(`${name} must be a whole number >= 1, got "${text}"`);
  return value;
}

class UsageError extends Error {}

function readVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    const known = err instanceof GpuError || err instanceof UsageError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS');
    console.error(`wgpu-style: ${known ? (err as Error).message : (err as Error).stack ?? String(err)}`);
    process.exit(known ? 2 : 1);
  },
);
