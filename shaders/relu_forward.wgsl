// ReLU: y = max(x, 0) over a flat f32 array (any shape).
// One invocation per element.
struct Params { n: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;

fn apply(i: u32) {
  let v = x[i];
  y[i] = select(0.0, v, v > 0.0);
}

#include "lib/elementwise"
