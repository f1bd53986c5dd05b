// wgpu-style's side of the benchmark: every kernel on every VGG shape, timed with GPU timestamps
// (wall time around a full sync when the adapter has none), plus the device-peak probes.

import { measureGpuMs, type DeviceTensor, type GpuContext } from '../src/gpu/index.js';
import * as k from '../src/kernels/index.js';
import { bytes, flops, type KernelCase, type Pass } from './shapes.js';
import type { BenchRecord } from './record.js';
import { summarize } from './record.js';

type Run = () => DeviceTensor[];

function random(ctx: GpuContext, shape: number[]): DeviceTensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return ctx.upload(
    shape,
    Float32Array.from({ length: n }, (_, i) => Math.sin(i * 12.9898) * 0.5),
  );
}

function passes(ctx: GpuContext, c: KernelCase): Array<[Pass, Run, DeviceTensor[]]> {
  const x = random(ctx, c.shape);
  switch (c.op) {
    case 'conv3x3': {
      const w = random(ctx, [c.cout!, c.shape[1]!, 3, 3]);
      const b = random(ctx, [c.cout!]);
      const flipped = k.flipConv3x3Weights(ctx, w);
      const dy = random(ctx, [c.shape[0]!, c.cout!, c.shape[2]!, c.shape[3]!]);
      return [
        ['forward', () => [k.conv3x3Forward(ctx, x, w, b)], [x, w, b, flipped, dy]],
        ['input-grad', () => [k.conv3x3InputGrad(ctx, dy, flipped)], []],
        ['weight-grad', () => Object.values(k.conv3x3WeightGrad(ctx, x, dy)), []],
      ];
    }
    case 'relu': {
      const dy = random(ctx, c.shape);
      return [
        ['forward', () => [k.reluForward(ctx, x)], [x, dy]],
        ['backward', () => [k.reluBackward(ctx, x, dy)], []],
      ];
    }
    case 'maxpool': {
      const [n, ch, h, w] = c.shape as [number, number, number, number];
      const dy = random(ctx, [n, ch, Math.floor(h / 2), Math.floor(w / 2)]);
      return [
        ['forward', () => [k.maxPool2x2Forward(ctx, x)], [x, dy]],
        ['backward', () => [k.maxPool2x2Backward(ctx, x, dy)], []],
      ];
    }
    case 'gram': {
      const dg = random(ctx, [c.shape[0]!, c.shape[1]!, c.shape[1]!]);
      return [
        ['forward', () => [k.gramForward(ctx, x)], [x, dg]],
        ['backward', () => [k.gramBackward(ctx, x, dg)], []],
      ];
    }
    case 'mse': {
      const target = random(ctx, c.shape);
      const d = ctx.upload([1], [1]);
      return [
        ['forward', () => [k.mseForward(ctx, x, target)], [x, target, d]],
        ['backward', () => [k.mseBackward(ctx, x, target, d)], []],
      ];
    }
    case 'tv': {
      const d = ctx.upload([1], [1]);
      return [
        ['forward', () => [k.tvForward(ctx, x)], [x, d]],
        ['backward', () => [k.tvBackward(ctx, x, d)], []],
      ];
    }
    case 'adam': {
      const [g, m, v] = [random(ctx, c.shape), ctx.zeros(c.shape), ctx.zeros(c.shape)];
      return [['step', () => (k.adamStep(ctx, { param: x, grad: g, m, v }, 1, { lr: 0.01 }), []), [x, g, m, v]]];
    }
  }
}

export async function benchKernels(
  ctx: GpuContext,
  cases: KernelCase[],
  size: number,
  runs: number,
  log: (s: string) => void,
): Promise<BenchRecord[]> {
  const records: BenchRecord[] = [];
  for (const c of cases) {
    const list = passes(ctx, c);
    for (const [pass, run] of list) {
      const times = await measureGpuMs(ctx, run, runs);
      const record = summarize(
        { impl: 'wgpu-style', op: c.op, pass, layer: c.layer, shape: c.cout ? [...c.shape, c.cout] : c.shape, size },
        times,
        flops(c, pass),
        bytes(c, pass),
      );
      records.push(record);
      log(`  ${c.op} ${pass} [${record.shape.join(',')}] ${record.medianMs.toFixed(3)} ms`);
    }
    for (const [, , owned] of list) for (const t of owned) t.release();
  }
  return records;
}

/** Matmul GFLOP/s and copy GB/s this adapter reaches with simple register-blocked kernels (and, with subgroups, the Gram backward's subgroup matmul). */
export async function probePeak(ctx: GpuContext, runs: number, quick: boolean): Promise<{ matmulGflops: number; copyGbps: number }> {
  const n = quick ? 256 : 1024;
  const a = random(ctx, [n, n]);
  const b = random(ctx, [n, n]);
  // An invocation computes an 8×8 block of C. x dispatches four times the workgroups the columns
  // need (the extra ones return at once), as every recorded run so far did, to keep them comparable.
  const [wgX, wgY] = ctx.workgroupSize('bench_matmul');
  const matmulGroups = [n / (2 * wgX), n / (8 * wgY)] as const;
  const matmul = await measureGpuMs(
    ctx,
    () => {
      const out = ctx.empty([n, n]);
      ctx.dispatch({
        kernel: 'bench_matmul',
        label: `bench_matmul ${n}`,
        params: { m: n, n, k: n },
        buffers: [a.buffer, b.buffer, out.buffer],
        workgroups: matmulGroups,
      });
      return [out];
    },
    runs,
  );
  // Where subgroups exist, the Gram backward is a faster matmul (S·X: [n,n]·[n,n], plus the
  // symmetrising pass over S, which makes it a slight underestimate); the probe keeps the best.
  let subgroupMatmul: number[] = [];
  if (ctx.subgroupsOf8) {
    const side = Math.sqrt(n);
    const x = random(ctx, [1, n, side, side]);
    const dg = random(ctx, [1, n, n]);
    subgroupMatmul = await measureGpuMs(ctx, () => [k.gramBackward(ctx, x, dg)], runs);
    x.release();
    dg.release();
  }
  const elements = quick ? 1 << 20 : 1 << 24;
  const x = random(ctx, [elements]);
  const copy = await measureGpuMs(
    ctx,
    () => {
      const out = ctx.empty([elements]);
      ctx.dispatch({
        kernel: 'bench_copy',
        label: 'bench_copy',
        params: { n: elements / 4 },
        buffers: [x.buffer, out.buffer],
        workgroups: k.gridFor(ctx, elements / 4, 'bench_copy'),
      });
      return [out];
    },
    runs,
  );
  for (const t of [a, b, x]) t.release();
  const best = (t: number[]) => Math.min(...t);
  const matmulMs = Math.min(best(matmul), subgroupMatmul.length ? best(subgroupMatmul) : Infinity);
  return { matmulGflops: (2 * n ** 3) / (matmulMs * 1e6), copyGbps: (2 * elements * 4) / (best(copy) * 1e6) };
}
