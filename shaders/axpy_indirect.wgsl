// y = b·y + c·(s[i] − s[j])·x in place, the coefficient read from device scalars s rather than
// passed in, so that the L-BFGS two-loop recursion runs without a read-back: s[i] and s[j] are
// inner products computed on the device (j names a slot holding 0 when there is one term).
// One invocation per element.
struct Params { n: u32, b: f32, c: f32, i: u32, j: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> s: array<f32>;
@group(0) @binding(2) var<storage, read> x: array<f32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;

fn apply(k: u32) {
  let a = p.c * (s[p.i] - s[p.j]);
  y[k] = p.b * y[k] + a * x[k];
}

#include "lib/elementwise"
