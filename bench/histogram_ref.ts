// The histogram term on real features against float64 references (issue 26): the style's and the
// content's features at conv1_1, conv2_1 and conv3_1 (blocks 1–3 of Keras's VGG-19, starry_night
// and tubingen at the given size); the device term (the job's own code, unnormalised) against
// (a) the float64 oracle of the same algorithm (256 bins, 256 quantiles: test/helpers/oracle-histogram.ts)
// and (b) exact histogram matching in float64 (each value replaced by the style's value of the same
// rank: sorting, no bins), which tells what the binning costs.
//   npx tsx bench/histogram_ref.ts --weights /tmp/blocks1-3.bin [--size 256]

import { parseArgs } from 'node:util';
import { Tape, Tensor } from '../src/graph/index.js';
import { HISTOGRAM_QUANTILES, histogramBins } from '../src/kernels/index.js';
import { createNodeContext } from '../src/node/gpu.js';
import { histogramLoss, histogramTarget } from '../src/style/histogram-term.js';
import { layerIndex } from '../src/vgg/index.js';
import * as oracle from '../test/helpers/oracle-histogram.js';
import { problemFeatures, PROBLEM_FILE_OPTIONS } from './real-problem.js';

const { values } = parseArgs({
  options: {
    ...PROBLEM_FILE_OPTIONS,
    size: { type: 'string', default: '256' },
  },
});
const size = Number(values.size);
const layers = ['conv1_1', 'conv2_1', 'conv3_1'].map((name) => layerIndex(name));
const ctx = await createNodeContext();
const { tape, content: contentFeatures, style: styleFeatures } = await problemFeatures(ctx, values, size, layers);
const bins = histogramBins(ctx);

/** Σ (x − exact match of x to `style`)² / n, in float64: per channel, rank-for-rank (quantiles of the style at the ranks' levels). */
function exactTerm(x: Float32Array, style: Float32Array, channels: number): number {
  const [plane, splane] = [x.length / channels, style.length / channels];
  let sum = 0;
  for (let c = 0; c < channels; c++) {
    const xs = Array.from(x.subarray(c * plane, (c + 1) * plane), (v, i) => [v, i] as const).sort((a, b) => a[0] - b[0]);
    const ss = Array.from(style.subarray(c * splane, (c + 1) * splane)).sort((a, b) => a - b);
    xs.forEach(([v], rank) => {
      const at = (rank / Math.max(1, plane - 1)) * (splane - 1);
      const k = Math.min(splane - 2, Math.floor(at));
      const r = ss[k]! + (at - k) * (ss[k + 1]! - ss[k]!);
      sum += (v - r) ** 2;
    });
  }
  return sum / x.length;
}

console.log(`${size} px, ${bins} bins, ${HISTOGRAM_QUANTILES} quantiles; term = Σ (F − R)² / F.size, unnormalised`);
for (const layer of layers) {
  const [f, s] = [contentFeatures.get(layer)!, styleFeatures.get(layer)!];
  const table = histogramTarget(tape, s);
  const device = (await histogramLoss(tape, f, table).value.read())[0]!;
  const [fv, sv] = [await f.value.read(), await s.value.read()];
  const channels = f.shape[1]!;
  const plane = fv.length / channels;
  const styleTable = oracle.histogramQuantiles(oracle.histogramCdf(sv, channels, sv.length / channels, bins), bins, HISTOGRAM_QUANTILES);
  const r = oracle.histogramRemap(fv, plane, oracle.histogramCdf(fv, channels, plane, bins), styleTable, bins, HISTOGRAM_QUANTILES);
  const binned = r.reduce((sum, v, i) => sum + (fv[i]! - v) ** 2, 0) / fv.length;
  const exact = exactTerm(fv, sv, channels);
  const rel = (a: number, b: number) => (Math.abs(a - b) / Math.abs(b)).toExponential(2);
  console.log(
    `layer ${layer} [${f.shape}]: device ${device.toPrecision(7)}, float64 same algorithm ${binned.toPrecision(7)} (rel ${rel(device, binned)}), ` +
      `float64 exact matching ${exact.toPrecision(7)} (rel ${rel(device, exact)})`,
  );
  table[0]!.release();
}

// The term's own cost per step (forward and backward at conv1_1 and conv3_1, the bench row's layers),
// timed alone so that a loaded machine's noise in whole steps does not hide it: mean of 10 after one warm-up.
const timed = [layerIndex('conv1_1'), layerIndex('conv3_1')];
const tables = new Map(timed.map((l) => [l, histogramTarget(new Tape(ctx, { grad: false }), styleFeatures.get(l)!)] as const));
const once = async () => {
  const t = new Tape(ctx);
  for (const l of timed) {
    const f = Tensor.leaf(contentFeatures.get(l)!.value, true);
    const [grad] = t.backward(histogramLoss(t, f, tables.get(l)!), [f]);
    grad!.release();
  }
  await ctx.sync();
  t.dispose();
};
await once();
const started = performance.now();
for (let i = 0; i < 10; i++) await once();
console.log(`the term at conv1_1 + conv3_1, forward and backward: ${((performance.now() - started) / 10 / 1000).toFixed(3)} s per step`);
for (const [table] of tables.values()) table!.release();
tape.dispose();
ctx.destroy();
