// Temporal loss, first pass: per-workgroup partial sums of c·(x − goal)² over flat NCHW arrays,
// the certainty c [1, 1, H, W] broadcast over batch and channels (element i of a chunk starting at
// flat index `offset` reads c[(offset + i) mod plane]); reduce_sum adds the partials (lib/reduce).
struct Params { n: u32, scale: f32, plane: u32, offset: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> goal: array<f32>;
@group(0) @binding(3) var<storage, read> certainty: array<f32>;
@group(0) @binding(4) var<storage, read_write> partials: array<f32>;

fn element(i: u32) -> f32 {
  let d = x[i] - goal[i];
  return certainty[(p.offset + i) % p.plane] * d * d;
}

#include "lib/reduce"
