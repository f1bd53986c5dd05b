// Sum of a flat f32 array times `scale`, one partial per workgroup (see lib/reduce).
// Used as the second pass of every reduction: partial sums -> one scalar.
struct Params { n: u32, scale: f32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> partials: array<f32>;

fn element(i: u32) -> f32 {
  return x[i];
}

#include "lib/reduce"
