// Writes MXNet NDArray list files (.params) for tests that need shapes the committed fixtures
// (scripts/make-mxnet-fixtures.py) do not have: other architectures, damaged headers, whole VGG-19s.
// The layout is MXNet's (src/ndarray/ndarray.cc), as in the Python generator.

export type Header = 'v2' | 'v3' | 'v1' | 'legacy';

export interface ParamsArray {
  name: string;
  shape: number[];
  /** Default: the V2 header. */
  header?: Header;
  /** Default: 0.5 everywhere (dense, finite, compresses well). */
  data?: Float32Array;
}

const MAGIC: Record<Exclude<Header, 'legacy'>, number> = { v1: 0xf993fac8, v2: 0xf993fac9, v3: 0xf993faca };

/** One NDArray list file: u64 0x112, u64 0, the arrays, then their names. */
export function paramsFile(arrays: readonly ParamsArray[]): Uint8Array {
  const parts: Uint8Array[] = [u64(0x112), u64(0), u64(arrays.length), ...arrays.map(arrayBytes), u64(arrays.length)];
  for (const a of arrays) {
    const name = new TextEncoder().encode(a.name);
    parts.push(u64(name.byteLength), name);
  }
  return concat(parts);
}

function arrayBytes(a: ParamsArray): Uint8Array {
  const header = a.header ?? 'v2';
  const head: number[] = [];
  const dims: Uint8Array[] = [];
  if (header === 'legacy') {
    head.push(a.shape.length, ...a.shape);
  } else {
    head.push(MAGIC[header]);
    if (header !== 'v1') head.push(0); // storage type: dense
    head.push(a.shape.length);
    for (const d of a.shape) dims.push(i64(d));
  }
  const count = a.shape.reduce((x, y) => x * y, 1);
  const data = a.data ?? new Float32Array(count).fill(0.5);
  const tail = Uint32Array.of(1, 0, 0); // context: CPU 0; type flag: float32
  return concat([u32s(head), ...dims, new Uint8Array(tail.buffer), new Uint8Array(data.buffer, data.byteOffset, data.byteLength)]);
}

const u32s = (values: number[]) => new Uint8Array(Uint32Array.from(values, (v) => v >>> 0).buffer);
const u64 = (v: number) => new Uint8Array(BigUint64Array.of(BigInt(v)).buffer);
const i64 = (v: number) => new Uint8Array(BigInt64Array.of(BigInt(v)).buffer);

export const concat = (parts: readonly Uint8Array[]): Uint8Array => new Uint8Array(Buffer.concat(parts));

/** Gluon's save_parameters names for convs given by feature index and channels: features.0.weight, features.0.bias, ... */
export function gluonConvs(convs: ReadonlyArray<{ index: number; cin: number; cout: number }>): ParamsArray[] {
  return convs.flatMap((c): ParamsArray[] => [
    { name: `features.${c.index}.weight`, shape: [c.cout, c.cin, 3, 3] },
    { name: `features.${c.index}.bias`, shape: [c.cout] },
  ]);
}
