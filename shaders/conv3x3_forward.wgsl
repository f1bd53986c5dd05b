// 3×3 convolution (see lib/conv3x3) for adapters without subgroups: each invocation loads its own
// weights. Invocations are numbered flat over (n, channel block, row, pixel block) so that small
// images with many channels still fill whole workgroups.
#include "lib/grid"
#include "lib/conv3x3"

const WG: u32 = 64u;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let px_blocks = (p.width + PX_BLOCK - 1u) / PX_BLOCK;
  let co_blocks = (p.cout + CO_BLOCK - 1u) / CO_BLOCK;
  let i = flat_index(gid, nwg, WG);
  if (i >= p.batch * co_blocks * p.height * px_blocks) { return; }
  let x0 = (i % px_blocks) * PX_BLOCK;
  let row = (i / px_blocks) % p.height;
  let co0 = ((i / (px_blocks * p.height)) % co_blocks) * CO_BLOCK;
  let n = i / (px_blocks * p.height * co_blocks);
  let plane = p.height * p.width;

  // Weight offsets per output channel, clamped so the loads of a partial block stay in bounds.
  var wbase: array<u32, CO_BLOCK>;
  for (var j = 0u; j < CO_BLOCK; j++) {
    wbase[j] = min(co0 + j, p.cout - 1u) * p.cin * 9u;
  }
  var acc: Accumulators;
  for (var ci = 0u; ci < p.cin; ci++) {
    let xplane = (n * p.cin + ci) * plane;
    for (var ky = 0u; ky < 3u; ky++) {
      let iy = i32(row) + i32(ky) - 1;
      if (iy < 0 || iy >= i32(p.height)) { continue; }
      let t = input_taps(xplane + u32(iy) * p.width, x0, true);
      let wk = ci * 9u + ky * 3u;
      for (var j = 0u; j < CO_BLOCK; j++) {
        let wi = wbase[j] + wk;
        let w0 = w[wi];
        let w1 = w[wi + 1u];
        let w2 = w[wi + 2u];
        for (var q = 0u; q < PX_VECS; q++) {
          acc[j][q] += w0 * t.v0[q] + w1 * t.v1[q] + w2 * t.v2[q];
        }
      }
    }
  }
  store_outputs(&acc, n, co0, row, x0);
}
