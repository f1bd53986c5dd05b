// Gradient of mean((a - b)^2) with respect to a: da = sign * 2 (a - b) / n * dloss[0]
// (sign = -1 gives the gradient with respect to b). One invocation per element.
struct Params { n: u32, coefficient: f32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read> dloss: array<f32>;
@group(0) @binding(4) var<storage, read_write> grad: array<f32>;

fn apply(i: u32) {
  grad[i] = p.coefficient * (a[i] - b[i]) * dloss[0];
}

#include "lib/elementwise"
