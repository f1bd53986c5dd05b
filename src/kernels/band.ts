// Tensors larger than one storage binding. A tensor is one buffer of up to maxBufferSize, but a
// kernel may bind at most maxStorageBufferBindingSize of it (128 MiB on lavapipe and by default in
// browsers: a 64-channel activation of 1448×1448). Kernels whose tensors exceed that run band by
// band, with the same shaders:
//   - elementwise kernels and the sums (ReLU, axpby, MSE) bind one aligned range of each tensor at a
//     time (GpuContext.range): no copies;
//   - kernels with rows (conv3x3, the 2×2 pools, Gram) copy a band of rows of every channel, with
//     the halo rows a 3×3 window needs, into a tensor that fits, run on it and copy the band's
//     rows of the result back (copies have no binding limit). A conv's halo rows are computed and
//     dropped: 2 rows in every band, under 1 % at the band heights 128 MiB allows.
// Which tensors fit is decided by ctx.bindingBytes (the adapter's limit, or a test's cap).

import { forEachDistinct } from '../gpu/counting.js';
import type { DeviceTensor, GpuContext, Shape } from '../gpu/index.js';
import { formatShape } from '../gpu/index.js';

/** Whether every tensor (or shape) fits one binding. */
export function fitsBinding(ctx: GpuContext, ...tensors: Array<DeviceTensor | Shape>): boolean {
  const limit = ctx.bindingBytes;
  return tensors.every((t) => ('shape' in t ? t.bytes : t.reduce((a, b) => a * b, 1) * 4) <= limit);
}

/** Element ranges [offset, offset + count) of a tensor of `n` elements that each fit one binding, offsets aligned. */
export function flatChunks(ctx: GpuContext, n: number): Array<{ offset: number; count: number }> {
  const align = ctx.bindingAlignment;
  const per = Math.floor(ctx.bindingBytes / 4 / align) * align;
  if (per <= 0) throw new Error(`flatChunks: a binding of ${ctx.bindingBytes} bytes holds no aligned chunk`);
  const chunks = [];
  for (let offset = 0; offset < n; offset += per) chunks.push({ offset, count: Math.min(per, n - offset) });
  return chunks;
}

/**
 * One tensor of a row-banded kernel: its rows for the band of domain rows [r0, r1) are
 * [stride·r0 − halo, stride·r1 + halo), clipped to the tensor, and the last band takes every row
 * left (a pool's odd last row).
 */
export interface BandTensor {
  t: DeviceTensor | Shape;
  stride?: 1 | 2;
  halo?: 0 | 1;
}

export interface RowBand {
  /** Domain rows of this band. */
  r0: number;
  r1: number;
  /** Per tensor (in the order given), its rows [start, end). */
  rows: Array<[number, number]>;
}

function shapeOf(t: DeviceTensor | Shape): Shape {
  return 'shape' in t ? t.shape : t;
}

function rowsOf(b: BandTensor, r0: number, r1: number, domainRows: number): [number, number] {
  const height = shapeOf(b.t)[2]!;
  const stride = b.stride ?? 1;
  const halo = b.halo ?? 0;
  const start = Math.max(0, stride * r0 - halo);
  const end = r1 === domainRows ? height : Math.min(height, stride * r1 + halo);
  return [start, end];
}

/** Bytes of `rows` rows of every channel of a [N, C, H, W] tensor. */
function rowBytes(shape: Shape, rows: number): number {
  const [n, c, , w] = shape as [number, number, number, number];
  return n * c * rows * w * 4;
}

/**
 * Bands of `domainRows` rows such that every tensor's band fits one binding (`rowsPerBand` forces
 * a height, for tests). `kernel` names the kernel in the error when not even one row fits.
 */
export function planRowBands(
  ctx: GpuContext,
  kernel: string,
  domainRows: number,
  tensors: readonly BandTensor[],
  rowsPerBand?: number,
): RowBand[] {
  const limit = ctx.bindingBytes;
  let rows = rowsPerBand ?? domainRows;
  if (rowsPerBand === undefined) {
    for (const b of tensors) {
      const shape = shapeOf(b.t);
      const fit = Math.floor(limit / rowBytes(shape, 1)); // tensor rows one binding holds
      const stride = b.stride ?? 1;
      rows = Math.min(rows, Math.floor((fit - 2 * (b.halo ?? 0) - (stride - 1)) / stride));
    }
  }
  if (rows < 1) {
    const widest = tensors.map((b) => formatShape(shapeOf(b.t))).join(', ');
    throw new Error(
      `${kernel}: not even one row band of ${widest} (with its halo) fits the ${limit}-byte binding limit; the image is too wide`,
    );
  }
  const bands: RowBand[] = [];
  for (let r0 = 0; r0 < domainRows; r0 += rows) {
    const r1 = Math.min(domainRows, r0 + rows);
    bands.push({ r0, r1, rows: tensors.map((b) => rowsOf(b, r0, r1, domainRows)) });
  }
  return bands;
}

/** Rows [start, end) of every channel of x [N, C, H, W], as a new tensor [N, C, end − start, W]. */
export function gatherRows(ctx: GpuContext, x: DeviceTensor, start: number, end: number, name: string): DeviceTensor {
  const [n, c, h, w] = x.shape as [number, number, number, number];
  const rows = end - start;
  const band = ctx.empty([n, c, rows, w], name);
  for (let plane = 0; plane < n * c; plane++) ctx.copyElements(x, (plane * h + start) * w, band, plane * rows * w, rows * w);
  return band;
}

/** Copies rows [from, from + count) of every channel of `band` into rows [to, to + count) of `target`. */
export function scatterRows(ctx: GpuContext, band: DeviceTensor, from: number, count: number, target: DeviceTensor, to: number): void {
  const [n, c, bh, w] = band.shape as [number, number, number, number];
  const h = target.shape[2]!;
  if (target.shape[0] !== n || target.shape[1] !== c || target.shape[3] !== w)
    throw new Error(`scatterRows: band ${formatShape(band.shape)} does not match ${formatShape(target.shape)}`);
  for (let plane = 0; plane < n * c; plane++) ctx.copyElements(band, (plane * bh + from) * w, target, (plane * h + to) * w, count * w);
}

/**
 * A kernel with rows run band by band: `inputs` are gathered per band, `run` maps them to the
 * band's output, whose rows for the band start at the returned `offset` (a conv's band output
 * starts with the halo row it computed from zero padding), and those rows are copied into a tensor
 * of `output.t`'s shape.
 */
export function rowBanded(
  ctx: GpuContext,
  spec: {
    kernel: string;
    domainRows: number;
    inputs: ReadonlyArray<BandTensor & { t: DeviceTensor }>;
    output: BandTensor & { t: Shape };
    /** Tensors `run` makes per band beyond its output rows (a conv's halo rows), for sizing bands only. */
    scratch?: readonly BandTensor[];
    name: string;
    rowsPerBand?: number;
    run: (bands: DeviceTensor[], band: RowBand) => { y: DeviceTensor; offset: number };
  },
): DeviceTensor {
  const all = [...spec.inputs, spec.output, ...(spec.scratch ?? [])];
  const y = ctx.empty(spec.output.t, spec.name);
  // Bands of the same heights allocate alike (a counting device runs one: src/gpu/counting.ts).
  const heights = (band: RowBand) => `${band.r1 - band.r0} ${band.rows.map(([a, b]) => b - a).join()}`;
  forEachDistinct(ctx, planRowBands(ctx, spec.kernel, spec.domainRows, all, spec.rowsPerBand), heights, (band) => {
    const parts = spec.inputs.map((b, i) => gatherRows(ctx, b.t, band.rows[i]![0], band.rows[i]![1], `${spec.kernel} band input`));
    const out = spec.run(parts, band);
    const [start, end] = band.rows[spec.inputs.length]!;
    scatterRows(ctx, out.y, out.offset, end - start, y, start);
    for (const p of parts) p.release();
    out.y.release();
  });
  return y;
}
