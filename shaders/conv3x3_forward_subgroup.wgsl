// 3×3 convolution (see lib/conv3x3) sharing weight loads through subgroups: a workgroup works on one
// block of output channels, and lanes 0..7 of each subgroup load the weights of 8 channels for one
// tap and broadcast them (on lavapipe each load costs a bounds-checked scalar load per SIMD lane).
// Needs subgroups of ≥ 8 invocations (the launcher checks); CO_BLOCK must be a multiple of 8.
enable subgroups;
#include "lib/conv3x3"
#include "lib/lanes8"

const WG: u32 = 8u;

// Grid: x and z number the (row, pixel block) tiles of one image in WG-sized runs; y is
// n × channel blocks. Invocations past the image compute a clamped tile (subgroup operations need
// every lane) and store nothing.
@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) lid: u32, @builtin(subgroup_invocation_id) lane: u32) {
  let px_blocks = (p.width + PX_BLOCK - 1u) / PX_BLOCK;
  let co_blocks = (p.cout + CO_BLOCK - 1u) / CO_BLOCK;
  let tiles = p.height * px_blocks;
  let tile = (wid.x + wid.z * nwg.x) * WG + lid;
  let t = min(tile, tiles - 1u);
  let x0 = (t % px_blocks) * PX_BLOCK;
  let row = t / px_blocks;
  let co0 = (wid.y % co_blocks) * CO_BLOCK;
  let n = wid.y / co_blocks;
  let plane = p.height * p.width;
  let last_row = i32(p.height) - 1;

  // This lane's share of the weight loads: channel co0 + 8h + lane % 8 (clamped in a partial block).
  var wlane: array<u32, CO_BLOCK / 8u>;
  for (var h = 0u; h < CO_BLOCK / 8u; h++) {
    wlane[h] = min(co0 + h * 8u + lane % 8u, p.cout - 1u) * p.cin * 9u;
  }
  var acc: Accumulators;
  for (var ci = 0u; ci < p.cin; ci++) {
    let xplane = (n * p.cin + ci) * plane;
    for (var ky = 0u; ky < 3u; ky++) {
      let iy = i32(row) + i32(ky) - 1;
      let t = input_taps(xplane + u32(clamp(iy, 0, last_row)) * p.width, x0, iy >= 0 && iy <= last_row);
      let wk = ci * 9u + ky * 3u;
      for (var h = 0u; h < CO_BLOCK / 8u; h++) {
        let w0 = lanes8(w[wlane[h] + wk]);
        let w1 = lanes8(w[wlane[h] + wk + 1u]);
        let w2 = lanes8(w[wlane[h] + wk + 2u]);
        for (var j = 0u; j < 8u; j++) {
          for (var q = 0u; q < PX_VECS; q++) {
            acc[h * 8u + j][q] += w0[j] * t.v0[q] + w1[j] * t.v1[q] + w2[j] * t.v2[q];
          }
        }
      }
    }
  }
  if (tile < tiles) { store_outputs(&acc, n, co0, row, x0); }
}
