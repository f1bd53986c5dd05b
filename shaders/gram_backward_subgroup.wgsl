// Gram gradient through subgroups: dX[b,i,k] = Σ_j S[b,i,j] · X[b,j,k], S = scale · (dG + dGᵀ)
// from gram_symmetrize, X viewed as [batch, C, N]. A workgroup owns I_BLOCK rows i of dX, an
// invocation 4·K_VECS neighbouring k: per j it loads its own X[j, k..], and lanes 0..7 load
// S[j, i0..] and broadcast it. ALIGNED (N a multiple of 4) loads vec4s. Needs subgroups of ≥ 8.
enable subgroups;
#include "lib/lanes8"
struct Params { channels: u32, n: u32 }
override ALIGNED: bool = false;
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> x4: array<vec4f>; // the same buffer as x
@group(0) @binding(3) var<storage, read> s: array<f32>;
@group(0) @binding(4) var<storage, read_write> dx: array<f32>;

const I_BLOCK: u32 = 16u;
const K_VECS: u32 = 2u;
const K_BLOCK: u32 = 4u * K_VECS;
const WG: u32 = 8u;

// Grid: x and z number the k blocks in runs of WG invocations, y = batch × blocks of i.
// Invocations past the end compute a clamped block (subgroup operations need every lane) and
// store nothing.
@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) lid: u32, @builtin(subgroup_invocation_id) lane: u32) {
  let c = p.channels;
  let i_blocks = (c + I_BLOCK - 1u) / I_BLOCK;
  let k_blocks = (p.n + K_BLOCK - 1u) / K_BLOCK;
  let kb = (wid.x + wid.z * nwg.x) * WG + lid;
  let k0 = min(kb, k_blocks - 1u) * K_BLOCK;
  let i0 = (wid.y % i_blocks) * I_BLOCK;
  let b = wid.y / i_blocks;
  let xbase = b * c * p.n;
  let sbase = b * c * c;
  var si: array<u32, I_BLOCK / 8u>; // column of S that lane % 8 reads for the workgroup
  for (var h = 0u; h < I_BLOCK / 8u; h++) { si[h] = min(i0 + h * 8u + lane % 8u, c - 1u); }

  var acc: array<array<vec4f, K_VECS>, I_BLOCK>;
  for (var j = 0u; j < c; j++) {
    let row = xbase + j * p.n + k0;
    var xv: array<vec4f, K_VECS>;
    for (var q = 0u; q < K_VECS; q++) {
      if (ALIGNED) {
        xv[q] = select(vec4f(0.0), x4[row / 4u + q], k0 + 4u * q < p.n);
      } else {
        for (var e = 0u; e < 4u; e++) {
          let k = k0 + 4u * q + e;
          xv[q][e] = select(0.0, x[min(row + 4u * q + e, xbase + j * p.n + p.n - 1u)], k < p.n);
        }
      }
    }
    for (var h = 0u; h < I_BLOCK / 8u; h++) {
      let sv = lanes8(s[sbase + j * c + si[h]]);
      for (var a = 0u; a < 8u; a++) {
        for (var q = 0u; q < K_VECS; q++) { acc[h * 8u + a][q] += sv[a] * xv[q]; }
      }
    }
  }
  if (kb >= k_blocks) { return; }
  for (var a = 0u; a < I_BLOCK; a++) {
    let i = i0 + a;
    if (i >= c) { break; }
    let o = xbase + i * p.n + k0;
    for (var e = 0u; e < K_BLOCK; e++) {
      if (k0 + e < p.n) { dx[o + e] = acc[a][e / 4u][e % 4u]; }
    }
  }
}
