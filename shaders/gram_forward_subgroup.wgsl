// Gram matrix by ranges of k through subgroups: out[b,s,i,j] = scale · Σ_{k in split s} X[b,i,k] ·
// X[b,j,k], X viewed as [batch, C, N] (N = H·W); with one split `out` is G, else gram_reduce adds
// the splits. A workgroup owns I_BLOCK rows i, an invocation J_BLOCK rows j: per k it loads its own
// J_BLOCK values, and lanes 0..7 load the I_BLOCK values and broadcast them. Needs subgroups of ≥ 8.
enable subgroups;
#include "lib/lanes8"
struct Params { channels: u32, n: u32, chunk: u32, splits: u32, scale: f32 }
override ALIGNED: bool = false;
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> x4: array<vec4f>; // the same buffer as x
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

const I_BLOCK: u32 = 16u;
const J_BLOCK: u32 = 8u;
const WG: u32 = 8u;

// Grid: x = runs of WG invocations over blocks of j, y = blocks of i, z = batch × splits.
// G is symmetric: workgroups wholly below the diagonal return at once, the rest write (i,j) and (j,i).
@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32,
        @builtin(subgroup_invocation_id) lane: u32) {
  let c = p.channels;
  let i0 = wid.y * I_BLOCK;
  if ((wid.x + 1u) * WG * J_BLOCK <= i0) { return; } // every j here is below every i: mirrored
  let j0 = (wid.x * WG + lid) * J_BLOCK;
  let b = wid.z / p.splits;
  let split = wid.z % p.splits;
  let base = b * c * p.n;
  let k_begin = split * p.chunk;
  let k_end = min(p.n, k_begin + p.chunk);
  var rj: array<u32, J_BLOCK>; // rows this invocation reads, clamped into the matrix
  for (var r = 0u; r < J_BLOCK; r++) { rj[r] = base + min(j0 + r, c - 1u) * p.n; }
  var ri: array<u32, I_BLOCK / 8u>; // rows lane % 8 reads for the workgroup
  for (var h = 0u; h < I_BLOCK / 8u; h++) { ri[h] = base + min(i0 + h * 8u + lane % 8u, c - 1u) * p.n; }

  var acc: array<array<f32, J_BLOCK>, I_BLOCK>;
  if (ALIGNED) { // N, k_begin and the chunk are multiples of 4: four k per vec4 load
    for (var k = k_begin / 4u; k < k_end / 4u; k++) {
      var xj: array<vec4f, J_BLOCK>;
      for (var r = 0u; r < J_BLOCK; r++) { xj[r] = x4[rj[r] / 4u + k]; }
      for (var h = 0u; h < I_BLOCK / 8u; h++) {
        let xi = lanes8v(x4[ri[h] / 4u + k]);
        for (var a = 0u; a < 8u; a++) {
          for (var r = 0u; r < J_BLOCK; r++) { acc[h * 8u + a][r] += dot(xi[a], xj[r]); }
        }
      }
    }
  } else {
    for (var k = k_begin; k < k_end; k++) {
      var xj: array<f32, J_BLOCK>;
      for (var r = 0u; r < J_BLOCK; r++) { xj[r] = x[rj[r] + k]; }
      for (var h = 0u; h < I_BLOCK / 8u; h++) {
        let xi = lanes8(x[ri[h] + k]);
        for (var a = 0u; a < 8u; a++) {
          for (var r = 0u; r < J_BLOCK; r++) { acc[h * 8u + a][r] += xi[a] * xj[r]; }
        }
      }
    }
  }
  let o = (b * p.splits + split) * c * c;
  for (var a = 0u; a < I_BLOCK; a++) {
    let i = i0 + a;
    if (i >= c) { break; }
    for (var r = 0u; r < J_BLOCK; r++) {
      let j = j0 + r;
      if (j < c) {
        out[o + i * c + j] = acc[a][r] * p.scale;
        out[o + j * c + i] = acc[a][r] * p.scale;
      }
    }
  }
}
