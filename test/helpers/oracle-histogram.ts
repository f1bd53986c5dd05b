// Float64 references of the histogram kernels (src/kernels/histogram.ts) and the YIQ colour space:
// the same algorithm written plainly, per channel. Test oracles only.

type Arr = ArrayLike<number>;

export interface Cdf {
  range: Float64Array;
  cdf: Float64Array;
}

/** Position of v in [0, bins] between lo and hi (0 for a constant channel). */
const position = (v: number, lo: number, hi: number, bins: number) =>
  hi <= lo ? 0 : Math.min(bins, Math.max(0, ((v - lo) / (hi - lo)) * bins));
const binOf = (t: number, bins: number) => Math.min(bins - 1, Math.floor(t));

/** Per channel of x (channels planes of `plane` values): [min, max] and cdf[k] = (values in bins < k) / plane. */
export function histogramCdf(x: Arr, channels: number, plane: number, bins: number): Cdf {
  const range = new Float64Array(channels * 2);
  const cdf = new Float64Array(channels * (bins + 1));
  for (let c = 0; c < channels; c++) {
    const values = Array.from({ length: plane }, (_, i) => x[c * plane + i]!);
    const lo = Math.min(...values);
    const hi = Math.max(...values);
    range[2 * c] = lo;
    range[2 * c + 1] = hi;
    const counts = new Float64Array(bins);
    for (const v of values) counts[binOf(position(v, lo, hi, bins), bins)]!++;
    for (let k = 0; k < bins; k++) cdf[c * (bins + 1) + k + 1] = cdf[c * (bins + 1) + k]! + counts[k]! / plane;
  }
  return { range, cdf };
}

/** Each channel's quantile function at u = q / (quantiles − 1), linear inside the bins. */
export function histogramQuantiles({ range, cdf }: Cdf, bins: number, quantiles: number): Float64Array {
  const channels = range.length / 2;
  const table = new Float64Array(channels * quantiles);
  for (let c = 0; c < channels; c++) {
    const row = c * (bins + 1);
    for (let q = 0; q < quantiles; q++) {
      const u = q / (quantiles - 1);
      let b = 0;
      while (b < bins - 1 && cdf[row + b + 1]! < u) b++;
      const mass = cdf[row + b + 1]! - cdf[row + b]!;
      const inside = mass > 0 ? Math.min(1, Math.max(0, (u - cdf[row + b]!) / mass)) : 0;
      const [lo, hi] = [range[2 * c]!, range[2 * c + 1]!];
      table[c * quantiles + q] = lo + ((b + inside) * (hi - lo)) / bins;
    }
  }
  return table;
}

/** x matched channel by channel to `table`'s quantile functions through x's own CDF `of`. */
export function histogramRemap(x: Arr, plane: number, of: Cdf, table: Arr, bins: number, quantiles: number): Float64Array {
  return Float64Array.from({ length: x.length }, (_, i) => {
    const c = Math.floor(i / plane);
    const [lo, hi] = [of.range[2 * c]!, of.range[2 * c + 1]!];
    let u = 0.5;
    if (hi > lo) {
      const t = position(x[i]!, lo, hi, bins);
      const b = binOf(t, bins);
      const row = c * (bins + 1);
      u = of.cdf[row + b]! + (t - b) * (of.cdf[row + b + 1]! - of.cdf[row + b]!);
    }
    const s = Math.min(1, Math.max(0, u)) * (quantiles - 1);
    const k = Math.min(quantiles - 2, Math.floor(s));
    const f = s - k;
    return table[c * quantiles + k]! * (1 - f) + table[c * quantiles + k + 1]! * f;
  });
}

const TO_YIQ = [
  [0.299, 0.587, 0.114],
  [0.595716, -0.274453, -0.321263],
  [0.211456, -0.522591, 0.311135],
];
const TO_RGB = [
  [1, 0.9563, 0.621],
  [1, -0.2721, -0.6474],
  [1, -1.107, 1.7046],
];

/** A planar [1, 3, plane] image through a 3×3 matrix (rows = output channels), clamped to 0..1 with `clamp`. */
function mix3(x: Arr, plane: number, m: number[][], clamp: boolean): Float64Array {
  const out = new Float64Array(3 * plane);
  for (let i = 0; i < plane; i++)
    for (let r = 0; r < 3; r++) {
      const v = m[r]![0]! * x[i]! + m[r]![1]! * x[plane + i]! + m[r]![2]! * x[2 * plane + i]!;
      out[r * plane + i] = clamp ? Math.min(1, Math.max(0, v)) : v;
    }
  return out;
}

export const rgbToYiq = (x: Arr, plane: number): Float64Array => mix3(x, plane, TO_YIQ, false);
export const yiqToRgb = (x: Arr, plane: number): Float64Array => mix3(x, plane, TO_RGB, true);

/** Colour transfer's reference: source's YIQ channels matched to the blended quantile tables of the references'. */
export function colorTransfer(
  source: Arr,
  plane: number,
  references: Arr[],
  planes: number[],
  blend: number[],
  bins: number,
  quantiles: number,
) {
  const tables = references.map((r, i) => histogramQuantiles(histogramCdf(rgbToYiq(r, planes[i]!), 3, planes[i]!, bins), bins, quantiles));
  const table = tables[0]!.map((_, j) => tables.reduce((sum, t, i) => sum + blend[i]! * t[j]!, 0));
  const yiq = rgbToYiq(source, plane);
  return yiqToRgb(histogramRemap(yiq, plane, histogramCdf(yiq, 3, plane, bins), table, bins, quantiles), plane);
}
