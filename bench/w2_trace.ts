// W2's square-root term alone: tr √M's forward and gradient through the tape, the general way
// (ops.trace of ops.sqrtm: Newton–Schulz, then the Lyapunov backward) against ops.traceSqrtm (the
// gradient ½·M^(−1/2) from the forward's own Z), at each style layer's channel count of blocks 1–3,
// alternating the two in one process so that the machine's load falls on both alike.
//   npx tsx bench/w2_trace.ts [--repeats 9]

import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { describeAdapter, type GpuContext } from '../src/gpu/index.js';
import { ops, Tape, Tensor } from '../src/graph/index.js';
import { createNodeContext } from '../src/node/gpu.js';

const { values } = parseArgs({ options: { repeats: { type: 'string', default: '9' } } });
const repeats = Number(values.repeats);

/** A symmetric positive definite C×C matrix: X·Xᵀ/n + I/10 of a fixed pseudo-random X [C, 2C]. */
function spd(c: number): Float64Array {
  const n = 2 * c;
  const x = Float64Array.from(
    { length: c * n },
    (_, i) => Math.sin(i * 12.9898) * 43758.5453 - Math.floor(Math.sin(i * 12.9898) * 43758.5453) - 0.5,
  );
  return Float64Array.from({ length: c * c }, (_, e) => {
    const [i, j] = [Math.floor(e / c), e % c];
    let s = 0;
    for (let k = 0; k < n; k++) s += x[i * n + k]! * x[j * n + k]!;
    return s / n + (i === j ? 0.1 : 0);
  });
}

type Way = 'trace(sqrtm)' | 'traceSqrtm';

/** Seconds for one forward + backward of −2/C·tr √M, waiting for the gradient. */
async function once(ctx: GpuContext, m: Tensor, way: Way): Promise<number> {
  const start = performance.now();
  const tape = new Tape(ctx);
  const c = m.shape[1]!;
  const loss = way === 'traceSqrtm' ? ops.traceSqrtm(tape, m, 1 / c) : ops.trace(tape, ops.sqrtm(tape, m), 1 / c);
  const [grad] = tape.backward(ops.scale(tape, loss, -2), [m]);
  await grad!.read();
  grad!.release();
  tape.dispose();
  return (performance.now() - start) / 1000;
}

const ctx = await createNodeContext();
console.log(
  `${cpus()[0]?.model ?? 'unknown CPU'} (${cpus().length} cores), adapter ${describeAdapter(ctx.adapter)}; load ${loadavg()[0]!.toFixed(1)}`,
);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
for (const c of [64, 128, 256]) {
  const m = Tensor.leaf(ctx.upload([1, c, c], spd(c)), true);
  const times: Record<Way, number[]> = { 'trace(sqrtm)': [], traceSqrtm: [] };
  for (const way of ['trace(sqrtm)', 'traceSqrtm'] as const) await once(ctx, m, way); // compile
  for (let r = 0; r < repeats; r++) for (const way of ['trace(sqrtm)', 'traceSqrtm'] as const) times[way].push(await once(ctx, m, way));
  const [general, special] = [median(times['trace(sqrtm)']), median(times.traceSqrtm)];
  console.log(
    `C = ${c}: trace(sqrtm) ${(general * 1000).toFixed(1)} ms, traceSqrtm ${(special * 1000).toFixed(1)} ms (${(general / special).toFixed(2)}×), median of ${repeats}`,
  );
  m.value.release();
}
console.log(`load ${loadavg()[0]!.toFixed(1)}`);
process.exit(0);
