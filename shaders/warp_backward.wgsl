// Gradient of warp_forward with respect to the image: grad[n, c](q) = Σ_x w_q(x)·dOut[n, c](x) over
// the output pixels x whose clamped sample point x + flow(x) has q among its four bilinear taps.
// One invocation per element of dOut scatters its weighted taps. WGSL has no float atomics: each add
// is a compare-exchange loop on the f32's bits (grad must start zeroed).
struct Params { n: u32, height: u32, width: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> flow: array<f32>;
@group(0) @binding(2) var<storage, read> d_out: array<f32>;
@group(0) @binding(3) var<storage, read_write> grad: array<atomic<u32>>;

fn add_to(index: u32, value: f32) {
  if (value == 0.0) { return; }
  var old = atomicLoad(&grad[index]);
  loop {
    let result = atomicCompareExchangeWeak(&grad[index], old, bitcast<u32>(bitcast<f32>(old) + value));
    if (result.exchanged) { break; }
    old = result.old_value;
  }
}

fn apply(i: u32) {
  let plane = p.height * p.width;
  let pixel = i % plane;
  let base = i - pixel;
  let col = pixel % p.width;
  let row = pixel / p.width;
  let sx = clamp(f32(col) + flow[pixel], 0.0, f32(p.width - 1u));
  let sy = clamp(f32(row) + flow[plane + pixel], 0.0, f32(p.height - 1u));
  let x0 = min(u32(floor(sx)), p.width - 1u);
  let y0 = min(u32(floor(sy)), p.height - 1u);
  let x1 = min(x0 + 1u, p.width - 1u);
  let y1 = min(y0 + 1u, p.height - 1u);
  let tx = sx - f32(x0);
  let ty = sy - f32(y0);
  let d = d_out[i];
  add_to(base + y0 * p.width + x0, d * (1.0 - tx) * (1.0 - ty));
  add_to(base + y0 * p.width + x1, d * tx * (1.0 - ty));
  add_to(base + y1 * p.width + x0, d * (1.0 - tx) * ty);
  add_to(base + y1 * p.width + x1, d * tx * ty);
}

#include "lib/elementwise"
