// Winograd conv3x3, the products, as conv3x3_winograd_gemm (m[ξ, co, t] = Σ_ci u[ξ, ci, co] ·
// v[ξ, ci, t]) but sharing the loads of u through subgroups: for each ci, lanes 0..7 each load 4
// channels of u (of a block of 32) and broadcast them (on lavapipe every load is per lane). An
// invocation owns CO_BLOCK channels × T_VECS vec4s of tiles. Needs subgroups of ≥ 8; CO_BLOCK is
// 16 or a multiple of 32.
enable subgroups;
#include "lib/lanes8"
struct Params { cin: u32, cout_pad: u32, tiles_pad: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> u: array<vec4f>;
@group(0) @binding(2) var<storage, read> v: array<vec4f>;
@group(0) @binding(3) var<storage, read_write> m: array<vec4f>;

const CO_BLOCK: u32 = 32u;
const T_VECS: u32 = 2u;
const WG: u32 = 8u;

// Grid: x = runs of WG invocations over blocks of T_VECS vec4s of tiles, y = channel blocks,
// z = points. Invocations past the tiles compute a clamped block (subgroup operations need every
// lane) and store nothing.
@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32,
        @builtin(subgroup_invocation_id) lane: u32) {
  let tvecs = p.tiles_pad / 4u;
  let blocks = (tvecs + T_VECS - 1u) / T_VECS;
  let block = wid.x * WG + lid;
  let t0 = min(block, blocks - 1u) * T_VECS;
  let co0 = wid.y * CO_BLOCK;
  let xi = wid.z;
  let cvecs = p.cout_pad / 4u;
  const LANE_VECS = min(CO_BLOCK / 4u, 8u); // vec4s of u one broadcast round shares
  let ulane = co0 / 4u + lane % LANE_VECS;
  var acc: array<array<vec4f, T_VECS>, CO_BLOCK>;
  for (var ci = 0u; ci < p.cin; ci++) {
    let vrow = (xi * p.cin + ci) * tvecs;
    var vv: array<vec4f, T_VECS>;
    for (var q = 0u; q < T_VECS; q++) { vv[q] = v[vrow + min(t0 + q, tvecs - 1u)]; }
    for (var h = 0u; h < CO_BLOCK / 4u / LANE_VECS; h++) {
      let uu = lanes8v(u[(xi * p.cin + ci) * cvecs + ulane + h * 8u]);
      for (var k = 0u; k < LANE_VECS; k++) {
        for (var j = 0u; j < 4u; j++) {
          for (var q = 0u; q < T_VECS; q++) { acc[(h * LANE_VECS + k) * 4u + j][q] += uu[k][j] * vv[q]; }
        }
      }
    }
  }
  if (block >= blocks) { return; }
  for (var c = 0u; c < CO_BLOCK; c++) {
    let row = (xi * p.cout_pad + co0 + c) * tvecs;
    for (var q = 0u; q < T_VECS; q++) {
      if (t0 + q < tvecs) { m[row + t0 + q] = acc[c][q]; }
    }
  }
}
