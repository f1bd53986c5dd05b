// One invocation per element. The including shader defines `Params` (first field n: u32), the
// uniform `p`, and `fn apply(i: u32)`, which does the work for element i < p.n.
#include "lib/grid"

const ELEMENTWISE_WG: u32 = 256u;

@compute @workgroup_size(ELEMENTWISE_WG)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = flat_index(gid, nwg, ELEMENTWISE_WG);
  if (i >= p.n) { return; }
  apply(i);
}
