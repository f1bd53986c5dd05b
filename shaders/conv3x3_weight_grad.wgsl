// Gradients of a 3×3 convolution's weights and bias:
// dw[co,ci,ky,kx] = Σ_{n,r,c} dy[n,co,r,c] · x[n,ci,r+ky-1,c+kx-1];  db[co] = Σ_{n,r,c} dy[n,co,r,c].
// One invocation per (co, ci) pair — ci == Cin computes db[co] — sums its 9 taps over all pixels
// in registers (no workgroup barriers, which are slow on software GPUs). Not used by style transfer.
#include "lib/grid"
struct Params { batch: u32, cin: u32, cout: u32, height: u32, width: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> dy: array<f32>;
@group(0) @binding(3) var<storage, read_write> dw: array<f32>;
@group(0) @binding(4) var<storage, read_write> db: array<f32>;

const WG: u32 = 64u;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = flat_index(gid, nwg, WG);
  if (i >= p.cout * (p.cin + 1u)) { return; }
  let ci = i % (p.cin + 1u);
  let co = i / (p.cin + 1u);
  let plane = p.height * p.width;
  if (ci == p.cin) {
    var sum = 0.0;
    for (var j = 0u; j < p.batch * plane; j++) {
      sum += dy[((j / plane) * p.cout + co) * plane + j % plane];
    }
    db[co] = sum;
    return;
  }
  var acc: array<f32, 9>;
  for (var n = 0u; n < p.batch; n++) {
    let xplane = (n * p.cin + ci) * plane;
    let gplane = (n * p.cout + co) * plane;
    for (var r = 0; r < i32(p.height); r++) {
      for (var c = 0; c < i32(p.width); c++) {
        let g = dy[gplane + u32(r) * p.width + u32(c)];
        for (var ky = 0; ky < 3; ky++) {
          let iy = r + ky - 1;
          if (iy < 0 || iy >= i32(p.height)) { continue; }
          for (var kx = 0; kx < 3; kx++) {
            let ix = c + kx - 1;
            if (ix < 0 || ix >= i32(p.width)) { continue; }
            acc[ky * 3 + kx] += g * x[xplane + u32(iy) * p.width + u32(ix)];
          }
        }
      }
    }
  }
  for (var k = 0u; k < 9u; k++) {
    dw[(co * p.cin + ci) * 9u + k] = acc[k];
  }
}
