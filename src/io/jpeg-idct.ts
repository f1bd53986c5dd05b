// Dequantisation and the inverse DCT of one 8×8 block, in jpeg-js's integer arithmetic (a port of
// poppler's Loeffler–Ligtenberg–Moschytz IDCT, 11 multiplications per 8 points) so that the
// streaming decoder's pixels are jpeg-js's, bit for bit: the same constants (scaled by 4096), the
// same rounding at each stage, the same shortcut for rows and columns without AC terms, the same
// wrap to 32 bits wherever jpeg-js stores into an Int32Array.

/** The zig-zag order: the k-th coefficient in the file is block[ZIGZAG[k]] (row-major). */
export const ZIGZAG = Int32Array.from([
  0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7, 14, 21, 28, 35, 42, 49, 56, 57,
  50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51, 58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63,
]);

const COS1 = 4017; // cos(π/16) × 4096
const SIN1 = 799;
const COS3 = 3406;
const SIN3 = 2276;
const COS6 = 1567;
const SIN6 = 3784;
const SQRT2 = 5793; // √2 × 4096
const SQRT1D2 = 2896; // √2/2 × 4096

/**
 * One 8-point pass over p[base + k × step], k = 0…7, in place. The row pass keeps 4 more bits
 * (shift 8, odd inputs × 16); the column pass rounds at 12 bits.
 */
function pass(p: Int32Array, base: number, step: number, rows: boolean): void {
  const p0 = base;
  const p1 = base + step;
  const p2 = base + 2 * step;
  const p3 = base + 3 * step;
  const p4 = base + 4 * step;
  const p5 = base + 5 * step;
  const p6 = base + 6 * step;
  const p7 = base + 7 * step;
  if (p[p1] === 0 && p[p2] === 0 && p[p3] === 0 && p[p4] === 0 && p[p5] === 0 && p[p6] === 0 && p[p7] === 0) {
    const t = rows ? (SQRT2 * p[p0]! + 512) >> 10 : (SQRT2 * p[p0]! + 8192) >> 14;
    p[p0] = p[p1] = p[p2] = p[p3] = p[p4] = p[p5] = p[p6] = p[p7] = t;
    return;
  }
  const round = rows ? 128 : 2048;
  const shift = rows ? 8 : 12;
  // stage 4
  let v0 = (SQRT2 * p[p0]! + round) >> shift;
  let v1 = (SQRT2 * p[p4]! + round) >> shift;
  let v2 = p[p2]!;
  let v3 = p[p6]!;
  let v4 = (SQRT1D2 * (p[p1]! - p[p7]!) + round) >> shift;
  let v7 = (SQRT1D2 * (p[p1]! + p[p7]!) + round) >> shift;
  let v5 = rows ? p[p3]! << 4 : p[p3]!;
  let v6 = rows ? p[p5]! << 4 : p[p5]!;
  // stage 3
  let t = (v0 - v1 + 1) >> 1;
  v0 = (v0 + v1 + 1) >> 1;
  v1 = t;
  t = (v2 * SIN6 + v3 * COS6 + round) >> shift;
  v2 = (v2 * COS6 - v3 * SIN6 + round) >> shift;
  v3 = t;
  t = (v4 - v6 + 1) >> 1;
  v4 = (v4 + v6 + 1) >> 1;
  v6 = t;
  t = (v7 + v5 + 1) >> 1;
  v5 = (v7 - v5 + 1) >> 1;
  v7 = t;
  // stage 2
  t = (v0 - v3 + 1) >> 1;
  v0 = (v0 + v3 + 1) >> 1;
  v3 = t;
  t = (v1 - v2 + 1) >> 1;
  v1 = (v1 + v2 + 1) >> 1;
  v2 = t;
  t = (v4 * SIN3 + v7 * COS3 + 2048) >> 12;
  v4 = (v4 * COS3 - v7 * SIN3 + 2048) >> 12;
  v7 = t;
  t = (v5 * SIN1 + v6 * COS1 + 2048) >> 12;
  v5 = (v5 * COS1 - v6 * SIN1 + 2048) >> 12;
  v6 = t;
  // stage 1
  p[p0] = v0 + v7;
  p[p7] = v0 - v7;
  p[p1] = v1 + v6;
  p[p6] = v1 - v6;
  p[p2] = v2 + v5;
  p[p5] = v2 - v5;
  p[p3] = v3 + v4;
  p[p4] = v3 - v4;
}

/**
 * Dequantises `block` (64 coefficients, row-major) by `table` and writes its 8×8 samples to
 * out[at + row × stride + column]; `scratch` is 64 Int32 of working space.
 */
export function idctBlock(block: Int32Array, table: Int32Array, scratch: Int32Array, out: Uint8Array, at: number, stride: number): void {
  const p = scratch;
  for (let i = 0; i < 64; i++) p[i] = block[i]! * table[i]!;
  for (let i = 0; i < 8; i++) pass(p, 8 * i, 1, true);
  for (let i = 0; i < 8; i++) pass(p, i, 8, false);
  for (let r = 0; r < 8; r++) {
    for (let c = 0; c < 8; c++) {
      const sample = 128 + ((p[8 * r + c]! + 8) >> 4);
      out[at + r * stride + c] = sample < 0 ? 0 : sample > 255 ? 255 : sample;
    }
  }
}
