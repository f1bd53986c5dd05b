// Mean squared error, first pass: per-workgroup partial sums of (a - b)^2 over flat arrays
// (see lib/reduce); reduce_sum then adds the partials and divides by n.
struct Params { n: u32, scale: f32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> partials: array<f32>;

fn element(i: u32) -> f32 {
  let d = a[i] - b[i];
  return d * d;
}

#include "lib/reduce"
