// Sum reduction skeleton. The including shader defines `Params` (first fields n: u32, scale: f32),
// `partials: array<f32>` (read_write) and `fn element(i: u32) -> f32`. Each workgroup sums a
// grid-strided slice with Kahan compensation, then a tree in workgroup memory;
// partials[workgroup] = sum * p.scale.
#include "lib/workgroup_reduce"

@compute @workgroup_size(WORKGROUP_REDUCE_SIZE)
fn main(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3u,
        @builtin(num_workgroups) nwg: vec3u) {
  var acc = Compensated(0.0, 0.0);
  for (var i = wid.x * WORKGROUP_REDUCE_SIZE + lid; i < p.n; i += nwg.x * WORKGROUP_REDUCE_SIZE) {
    add_compensated(&acc, element(i));
  }
  let total = workgroup_sum(lid, acc.sum);
  if (lid == 0u) {
    partials[wid.x] = total * p.scale;
  }
}
