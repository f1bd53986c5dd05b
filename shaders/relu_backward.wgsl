// ReLU gradient: dx = dy where x > 0, else 0 (the subgradient at 0 is 0, as in PyTorch).
// x is the ReLU's input; one invocation per element.
#include "lib/grid"
struct Params { n: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> dy: array<f32>;
@group(0) @binding(3) var<storage, read_write> dx: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = flat_index(gid, nwg, 256u);
  if (i >= p.n) { return; }
  dx[i] = select(0.0, dy[i], x[i] > 0.0);
}
