// Gradient of mean((a - b)^2) with respect to a: da = sign * 2 (a - b) / n * dloss[0]
// (sign = -1 gives the gradient with respect to b). One invocation per element.
#include "lib/grid"
struct Params { n: u32, coefficient: f32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read> dloss: array<f32>;
@group(0) @binding(4) var<storage, read_write> grad: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = flat_index(gid, nwg, 256u);
  if (i >= p.n) { return; }
  grad[i] = p.coefficient * (a[i] - b[i]) * dloss[0];
}
