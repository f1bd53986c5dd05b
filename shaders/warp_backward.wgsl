// Gradient of warp_forward with respect to the image: grad[n, c](q) = Σ_x w_q(x)·dOut[n, c](x) over
// the output pixels x whose clamped sample point x + flow(x) has q among its four bilinear taps
// (lib/warp_taps, shared with warp_forward).
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

#include "lib/warp_taps"

fn apply(i: u32) {
  let plane = p.height * p.width;
  let pixel = i % plane;
  let base = i - pixel;
  let t = warp_taps(pixel);
  let d = d_out[i];
  for (var k = 0u; k < 4u; k++) { add_to(base + t.index[k], d * t.weight[k]); }
}

#include "lib/elementwise"
