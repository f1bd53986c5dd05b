// y = a·x + b·y in place over flat f32 arrays: scaling, adding and accumulating gradients.
// When b is 0, y is not read (a pooled output buffer may hold NaNs). One invocation per element.
struct Params { n: u32, a: f32, b: f32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;

fn apply(i: u32) {
  var r = p.a * x[i];
  if (p.b != 0.0) { r += p.b * y[i]; }
  y[i] = r;
}

#include "lib/elementwise"
