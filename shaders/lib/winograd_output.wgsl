// The Winograd output transform's arithmetic, shared by conv3x3_winograd_output (scalar stores) and
// conv3x3_winograd_output_vec4: the M×M output tiles t4·4 .. t4·4+3 of channel co, which lie side
// by side in one tile row (the launcher pads rows to 4 tiles), are Aᵀ m[·, co, t] A, plus bias[co]
// with HAS_BIAS; m [POINTS, cout_pad, tiles_pad] is read as vec4s, or with TRANSPOSED (the GEMM ran
// with its operands' roles swapped: conv3x3_winograd.ts) mt [POINTS, tiles_pad, cout_pad] as floats.
// The including shader declares `m` and `mt` (the same buffer), `bias`, `Params` and `p` and stores
// the result.
const M: u32 = 2u;
#include "lib/winograd"
override HAS_BIAS: bool = true;
override MASK: bool = false;
override TRANSPOSED: bool = false;

const ROW: u32 = 4u * M; // output pixels of one row of the four tiles

struct Outputs {
  // rows[a][j]: row a of the four tiles, pixel j = tile · M + column.
  rows: array<array<f32, ROW>, M>,
  // The first output pixel (row 0, column 0 of the first tile) in y, and its row and column.
  base: u32,
  y0: u32,
  x0: u32,
}

fn output_tiles(co: u32, t4: u32) -> Outputs {
  let tvecs = p.tiles_pad / 4u;
  var s: array<vec4f, POINTS>;
  if (TRANSPOSED) {
    for (var k = 0u; k < POINTS; k++) {
      for (var q = 0u; q < 4u; q++) { s[k][q] = mt[(k * p.tiles_pad + t4 * 4u + q) * p.cout_pad + co]; }
    }
  } else {
    for (var k = 0u; k < POINTS; k++) { s[k] = m[(k * p.cout_pad + co) * tvecs + t4]; }
  }
  var as_: array<vec4f, M * ALPHA>; // Aᵀ s
  for (var a = 0u; a < M; a++) {
    for (var b = 0u; b < ALPHA; b++) {
      var acc = vec4f(0.0);
      for (var k = 0u; k < ALPHA; k++) { acc += wino_at(a, k) * s[k * ALPHA + b]; }
      as_[a * ALPHA + b] = acc;
    }
  }
  var b0 = 0.0;
  if (HAS_BIAS) { b0 = bias[co]; }
  var out: Outputs;
  for (var a = 0u; a < M; a++) {
    for (var b = 0u; b < M; b++) {
      var acc = vec4f(b0);
      for (var k = 0u; k < ALPHA; k++) { acc += as_[a * ALPHA + k] * wino_at(b, k); }
      for (var q = 0u; q < 4u; q++) { out.rows[a][q * M + b] = acc[q]; }
    }
  }
  let g = p.tile0 + t4 * 4u;
  let per_image = p.tiles_w * p.tiles_h;
  out.y0 = (g % per_image) / p.tiles_w * M;
  out.x0 = (g % p.tiles_w) * M;
  out.base = ((g / per_image * p.cout + co) * p.height + out.y0) * p.width + out.x0;
  return out;
}
