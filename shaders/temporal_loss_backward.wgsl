// Gradient of the temporal loss Σ c·(x − goal)² / size with respect to x:
// grad = coefficient·c·(x − goal)·dloss[0], coefficient = 2 / size, c [1, 1, H, W] broadcast over
// batch and channels as in temporal_loss_forward. One invocation per element.
struct Params { n: u32, plane: u32, offset: u32, coefficient: f32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> goal: array<f32>;
@group(0) @binding(3) var<storage, read> certainty: array<f32>;
@group(0) @binding(4) var<storage, read> dloss: array<f32>;
@group(0) @binding(5) var<storage, read_write> grad: array<f32>;

fn apply(i: u32) {
  grad[i] = p.coefficient * certainty[(p.offset + i) % p.plane] * (x[i] - goal[i]) * dloss[0];
}

#include "lib/elementwise"
