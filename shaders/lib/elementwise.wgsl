// One invocation per element. The including shader defines `Params` (first field n: u32), the
// uniform `p`, and `fn apply(i: u32)`, which does the work for element i < p.n.
#include "lib/grid"

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = flat_index(gid, nwg, 256u);
  if (i >= p.n) { return; }
  apply(i);
}
