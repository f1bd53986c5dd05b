// Gradient of the total variation loss (see tv_forward) times dloss[0]. Each element collects
// the signs of the up to four differences it takes part in; sign(0) = 0 is the subgradient.
// One invocation per element of the (planes, H, W) view.
struct Params { n: u32, height: u32, width: u32, wx: f32, wy: f32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> dloss: array<f32>;
@group(0) @binding(3) var<storage, read_write> grad: array<f32>;

fn apply(i: u32) {
  let col = i % p.width;
  let row = (i / p.width) % p.height;
  let v = x[i];
  var g = 0.0;
  if (col + 1u < p.width) { g -= p.wx * sign(x[i + 1u] - v); }
  if (col > 0u) { g += p.wx * sign(v - x[i - 1u]); }
  if (row + 1u < p.height) { g -= p.wy * sign(x[i + p.width] - v); }
  if (row > 0u) { g += p.wy * sign(v - x[i - p.width]); }
  grad[i] = g * dloss[0];
}

#include "lib/elementwise"
