// One Adam step in place: m = b1·m + (1-b1)·g; v = b2·v + (1-b2)·g²;
// param -= lr · (m / bc1) / (sqrt(v / bc2) + eps), with bc1 = 1 - b1^t, bc2 = 1 - b2^t
// computed by the launcher. One invocation per parameter.
struct Params { n: u32, lr: f32, beta1: f32, beta2: f32, eps: f32, bc1: f32, bc2: f32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> grad: array<f32>;
@group(0) @binding(2) var<storage, read_write> param: array<f32>;
@group(0) @binding(3) var<storage, read_write> m: array<f32>;
@group(0) @binding(4) var<storage, read_write> v: array<f32>;

fn apply(i: u32) {
  let g = grad[i];
  let m1 = p.beta1 * m[i] + (1.0 - p.beta1) * g;
  let v1 = p.beta2 * v[i] + (1.0 - p.beta2) * g * g;
  m[i] = m1;
  v[i] = v1;
  param[i] -= p.lr * (m1 / p.bc1) / (sqrt(v1 / p.bc2) + p.eps);
}

#include "lib/elementwise"
