// Inner product x·y of two flat f32 arrays times `scale`, one partial sum per workgroup (see
// lib/reduce); reduce_sum adds the partials. The L-BFGS two-loop recursion's inner products
// (s·q, y·r), its curvature pair's y·s and y·y, and the directional derivative g·d.
struct Params { n: u32, scale: f32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> y: array<f32>;
@group(0) @binding(3) var<storage, read_write> partials: array<f32>;

fn element(i: u32) -> f32 {
  return x[i] * y[i];
}

#include "lib/reduce"
