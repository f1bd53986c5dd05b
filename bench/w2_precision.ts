// How many digits W2's float32 covariance keeps on real features: Σ = E[f·fᵀ] − μ·μᵀ as the product
// forms it (raw moments, stats-w2.ts) against the centred covariance of the same features in
// float64, per style layer of blocks 1–3 at 256 px, and the W2 term (content vs style image) on the
// device against the float64 oracle with an exact square root (test/helpers/oracle-matrix.ts).
//   npx tsx bench/w2_precision.ts --weights /tmp/blocks1-3.bin [--size 256] [--iterations 20]
// Measured (2026-12-07, tubingen × starry_night, 256 px): Σ's entries agree to ~7e-7 of |Σ|; the term
// is 1.7 % (conv1_1), 4.6 % (conv2_1), 4.2 % (conv3_1) above float64's with 12 iterations, 0.4–0.9 %
// with 16, ≤ 0.3 % with 20, and NaN with 28 (float32's coupled iteration diverges once converged).

import { parseArgs } from 'node:util';
import { ops } from '../src/graph/index.js';
import { createNodeContext } from '../src/node/gpu.js';
import { styleStatistic } from '../src/style/style-statistics.js';
import { W2_EPS } from '../src/style/stats-w2.js';
import { matmul, SQRTM_ITERATIONS, traceSqrtmForward } from '../src/kernels/index.js';
import { layerIndex } from '../src/vgg/index.js';
import * as oracle from '../test/helpers/oracle-matrix.js';
import { problemFeatures, PROBLEM_FILE_OPTIONS } from './real-problem.js';

const { values } = parseArgs({
  options: {
    ...PROBLEM_FILE_OPTIONS,
    size: { type: 'string', default: '256' },
    iterations: { type: 'string', default: '20' },
  },
});
const size = Number(values.size);
const more = Number(values.iterations);
const names = ['conv1_1', 'conv2_1', 'conv3_1'];
const layers = names.map((name) => layerIndex(name));
const ctx = await createNodeContext();
const { tape, content: cf, style: sf } = await problemFeatures(ctx, values, size, layers);
const w2 = styleStatistic('w2');
for (const [i, layer] of layers.entries()) {
  const [f, s] = [cf.get(layer)!, sf.get(layer)!];
  const [c, p, sp] = [f.shape[1]!, f.shape[2]! * f.shape[3]!, s.shape[2]! * s.shape[3]!];
  // The device's Σ of the content features: E[f·fᵀ] − μ·μᵀ (no eps) through the loss's own ops.
  const mean = ops.moments(tape, f, 1);
  const srm = ops.scale(tape, ops.gram(tape, f), c);
  const cov = await ops.matmul(tape, mean, mean, { transA: true, alpha: -1 }, { d: srm, beta: 1 }).value.read();
  const x = await f.value.read();
  const mu = Float64Array.from({ length: c }, (_, k) => x.subarray(k * p, (k + 1) * p).reduce((a, v) => a + v, 0) / p);
  const exact = oracle
    .matmul(
      Float64Array.from(x, (v, e) => v - mu[Math.floor(e / p)]!),
      [c, p],
      Float64Array.from(x, (v, e) => v - mu[Math.floor(e / p)]!),
      [c, p],
      false,
      true,
    )
    .map((v) => v / p);
  let [worst, scale] = [0, 0];
  exact.forEach((v, e) => {
    worst = Math.max(worst, Math.abs(cov[e]! - v));
    scale = Math.max(scale, Math.abs(v));
  });
  const target = w2.prepare!(
    ctx,
    w2.of(tape, s).map((t) => ctx.copy(t)),
  );
  const device = (await w2.loss(tape, f, target).value.read())[0]!;
  // The root term with `more` iterations instead of SQRTM_ITERATIONS: what the iteration count leaves.
  const covEps = ctx.upload(
    [c, c],
    Float64Array.from(cov, (v, e) => v + (e % (c + 1) === 0 ? W2_EPS : 0)),
  );
  const half = matmul(ctx, target[1]!, covEps);
  const m = matmul(ctx, half, target[1]!);
  const roots = [SQRTM_ITERATIONS, more].map((n) => traceSqrtmForward(ctx, m, 1 / c, false, n).trace);
  const [t12, tMore] = (await Promise.all(roots.map(async (t) => (await t.read())[0]!))) as [number, number];
  for (const t of [...target, covEps, half, m, ...roots]) t.release();
  const deviceMore = device - 2 * (tMore - t12);
  const reference = oracle.w2Loss(x, await s.value.read(), c, p, W2_EPS, undefined, sp);
  console.log(
    `${names[i]} (C = ${c}, ${p} px): |μ| up to ${Math.max(...mu.map(Math.abs)).toPrecision(3)}; Σ's worst error ${worst.toExponential(2)} ` +
      `(of |Σ| up to ${scale.toExponential(2)}; eps ${W2_EPS}); W2 term ${device.toPrecision(6)} vs float64 ${reference.toPrecision(6)} ` +
      `(${(Math.abs(device - reference) / reference).toExponential(2)} relative); with ${more} iterations ${deviceMore.toPrecision(6)} ` +
      `(${(Math.abs(deviceMore - reference) / reference).toExponential(2)})`,
  );
}
tape.dispose();
process.exit(0);
