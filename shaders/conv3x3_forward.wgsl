// 3×3 convolution, stride 1, zero padding 1, NCHW, weights [Cout, Cin, 3, 3]:
// y[n,co,r,c] = bias[co] + Σ_{ci,ky,kx} w[co,ci,ky,kx] · x[n,ci,r+ky-1,c+kx-1].
// One invocation computes CO_BLOCK output channels × PX_BLOCK neighbouring pixels of one row,
// holding a (PX_BLOCK + 2)-pixel input window in registers (8×8 measured ~2× faster than 4×4 on
// lavapipe); invocations are numbered flat over (n, channel block, row, pixel block) so that
// small images with many channels still fill whole workgroups.
// Also the input gradient, run on flipped weights (conv3x3.ts).
#include "lib/grid"
struct Params { batch: u32, cin: u32, cout: u32, height: u32, width: u32 }
override HAS_BIAS: bool = true;
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> w: array<f32>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read_write> y: array<f32>;

const CO_BLOCK: u32 = 8u;
const PX_VECS: u32 = 2u;
const PX_BLOCK: u32 = 4u * PX_VECS;
const WINDOW: u32 = PX_BLOCK + 2u;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let px_blocks = (p.width + PX_BLOCK - 1u) / PX_BLOCK;
  let co_blocks = (p.cout + CO_BLOCK - 1u) / CO_BLOCK;
  let i = flat_index(gid, nwg, 64u);
  if (i >= p.batch * co_blocks * p.height * px_blocks) { return; }
  let x0 = (i % px_blocks) * PX_BLOCK;
  let row = (i / px_blocks) % p.height;
  let co0 = ((i / (px_blocks * p.height)) % co_blocks) * CO_BLOCK;
  let n = i / (px_blocks * p.height * co_blocks);
  let plane = p.height * p.width;
  let last_col = i32(p.width) - 1;

  // Weight offsets per output channel, clamped so the loads of a partial block stay in bounds.
  var wbase: array<u32, CO_BLOCK>;
  for (var j = 0u; j < CO_BLOCK; j++) {
    wbase[j] = min(co0 + j, p.cout - 1u) * p.cin * 9u;
  }
  var acc: array<array<vec4f, PX_VECS>, CO_BLOCK>;
  for (var ci = 0u; ci < p.cin; ci++) {
    let xplane = (n * p.cin + ci) * plane;
    for (var ky = 0u; ky < 3u; ky++) {
      let iy = i32(row) + i32(ky) - 1;
      if (iy < 0 || iy >= i32(p.height)) { continue; }
      let xrow = xplane + u32(iy) * p.width;
      var win: array<f32, WINDOW>;
      for (var k = 0u; k < WINDOW; k++) {
        let ix = i32(x0) + i32(k) - 1;
        win[k] = select(0.0, x[xrow + u32(clamp(ix, 0, last_col))], ix >= 0 && ix <= last_col);
      }
      var v0: array<vec4f, PX_VECS>;
      var v1: array<vec4f, PX_VECS>;
      var v2: array<vec4f, PX_VECS>;
      for (var q = 0u; q < PX_VECS; q++) {
        let b = q * 4u;
        v0[q] = vec4f(win[b], win[b + 1u], win[b + 2u], win[b + 3u]);
        v1[q] = vec4f(win[b + 1u], win[b + 2u], win[b + 3u], win[b + 4u]);
        v2[q] = vec4f(win[b + 2u], win[b + 3u], win[b + 4u], win[b + 5u]);
      }
      let wk = ci * 9u + ky * 3u;
      for (var j = 0u; j < CO_BLOCK; j++) {
        let wi = wbase[j] + wk;
        let w0 = w[wi];
        let w1 = w[wi + 1u];
        let w2 = w[wi + 2u];
        for (var q = 0u; q < PX_VECS; q++) {
          acc[j][q] += w0 * v0[q] + w1 * v1[q] + w2 * v2[q];
        }
      }
    }
  }
  for (var j = 0u; j < CO_BLOCK; j++) {
    let co = co0 + j;
    if (co >= p.cout) { break; }
    var b = 0.0;
    if (HAS_BIAS) { b = bias[co]; }
    let out = ((n * p.cout + co) * p.height + row) * p.width + x0;
    for (var k = 0u; k < PX_BLOCK; k++) {
      if (x0 + k < p.width) { y[out + k] = acc[j][k / 4u][k % 4u] + b; }
    }
  }
}
