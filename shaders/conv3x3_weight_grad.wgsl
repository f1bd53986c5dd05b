// Gradients of a 3×3 convolution's weights and bias:
// dw[co,ci,ky,kx] = Σ_{n,r,c} dy[n,co,r,c] · x[n,ci,r+ky-1,c+kx-1];  db[co] = Σ_{n,r,c} dy[n,co,r,c].
// One workgroup per (ci, co) — ci == Cin computes db[co] — sums its 9 taps over all pixels:
// strided per invocation, then a tree in workgroup memory. Not used by style transfer.
struct Params { batch: u32, cin: u32, cout: u32, height: u32, width: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> dy: array<f32>;
@group(0) @binding(3) var<storage, read_write> dw: array<f32>;
@group(0) @binding(4) var<storage, read_write> db: array<f32>;

const WG: u32 = 64u;
var<workgroup> partial: array<array<f32, 9>, WG>;

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3u) {
  let ci = wid.x;
  let co = wid.y;
  let is_bias = ci == p.cin;
  let plane = p.height * p.width;
  var acc: array<f32, 9>;
  for (var i = lid; i < p.batch * plane; i += WG) {
    let n = i / plane;
    let pix = i % plane;
    let g = dy[(n * p.cout + co) * plane + pix];
    if (is_bias) {
      acc[0] += g;
      continue;
    }
    let row = i32(pix / p.width);
    let col = i32(pix % p.width);
    let xplane = (n * p.cin + ci) * plane;
    for (var ky = 0; ky < 3; ky++) {
      let iy = row + ky - 1;
      if (iy < 0 || iy >= i32(p.height)) { continue; }
      for (var kx = 0; kx < 3; kx++) {
        let ix = col + kx - 1;
        if (ix < 0 || ix >= i32(p.width)) { continue; }
        acc[ky * 3 + kx] += g * x[xplane + u32(iy) * p.width + u32(ix)];
      }
    }
  }
  partial[lid] = acc;
  workgroupBarrier();
  for (var half = WG / 2u; half > 0u; half >>= 1u) {
    if (lid < half) {
      for (var k = 0u; k < 9u; k++) {
        partial[lid][k] += partial[lid + half][k];
      }
    }
    workgroupBarrier();
  }
  if (lid == 0u) {
    if (is_bias) {
      db[co] = partial[0][0];
    } else {
      for (var k = 0u; k < 9u; k++) {
        dw[(co * p.cin + ci) * 9u + k] = partial[0][k];
      }
    }
  }
}
