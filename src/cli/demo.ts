// `wgpu-style info` and `wgpu-style demo`: the adapter, and a timed VGG-sized convolution.

import { parseArgs } from 'node:util';
import { describeAdapter, type GpuContext } from '../gpu/index.js';
import { conv3x3Forward, reluForward, sum } from '../kernels/index.js';
import { createNodeContext } from '../node/gpu.js';
import { positiveInt } from './errors.js';

export const DEVICE_OPTIONS = {
  backend: { type: 'string' },
  adapter: { type: 'string' },
} as const;

export async function infoCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: DEVICE_OPTIONS });
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
  } finally {
    ctx.destroy();
  }
  return 0;
}

export async function demoCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { ...DEVICE_OPTIONS, size: { type: 'string', default: '128' }, channels: { type: 'string', default: '64' } } });
  const size = positiveInt('--size', values.size);
  const channels = positiveInt('--channels', values.channels);
  const ctx = await createNodeContext(values);
  try {
    console.log(`adapter: ${describeAdapter(ctx.adapter)}`);
    await timeConv(ctx, size, channels);
  } finally {
    ctx.destroy();
  }
  return 0;
}

async function timeConv(ctx: GpuContext, size: number, channels: number): Promise<void> {
  const pixels = size * size;
  const x = ctx.upload([1, channels, size, size], Float32Array.from({ length: channels * pixels }, (_, i) => Math.sin(i * 0.37)));
  const w = ctx.upload([channels, channels, 3, 3], Float32Array.from({ length: channels * channels * 9 }, (_, i) => Math.cos(i * 0.11) * 0.05));
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
