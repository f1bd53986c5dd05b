// ReLU gradient: dx = dy where x > 0, else 0 (the subgradient at 0 is 0, as in PyTorch).
// x is the ReLU's input; one invocation per element.
struct Params { n: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> dy: array<f32>;
@group(0) @binding(3) var<storage, read_write> dx: array<f32>;

fn apply(i: u32) {
  dx[i] = select(0.0, dy[i], x[i] > 0.0);
}

#include "lib/elementwise"
