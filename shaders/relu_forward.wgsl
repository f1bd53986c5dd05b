// ReLU: y = max(x, 0) over a flat f32 array; one invocation per element.
#include "lib/grid"
struct Params { n: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = flat_index(gid, nwg, 256u);
  if (i >= p.n) { return; }
  let v = x[i];
  y[i] = select(0.0, v, v > 0.0);
}
