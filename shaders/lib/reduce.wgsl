// Sum reduction skeleton. The including shader defines `Params` (first fields n: u32, scale: f32),
// `partials: array<f32>` (read_write) and `fn element(i: u32) -> f32`. Each workgroup sums a
// grid-strided slice with Kahan compensation, then a tree in workgroup memory;
// partials[workgroup] = sum * p.scale.
const REDUCE_WG: u32 = 256u;
var<workgroup> scratch: array<f32, REDUCE_WG>;

@compute @workgroup_size(REDUCE_WG)
fn main(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3u,
        @builtin(num_workgroups) nwg: vec3u) {
  var sum = 0.0;
  var compensation = 0.0;
  let stride = nwg.x * REDUCE_WG;
  for (var i = wid.x * REDUCE_WG + lid; i < p.n; i += stride) {
    let y = element(i) - compensation;
    let t = sum + y;
    compensation = (t - sum) - y;
    sum = t;
  }
  scratch[lid] = sum;
  workgroupBarrier();
  for (var half = REDUCE_WG / 2u; half > 0u; half >>= 1u) {
    if (lid < half) {
      scratch[lid] += scratch[lid + half];
    }
    workgroupBarrier();
  }
  if (lid == 0u) {
    partials[wid.x] = scratch[0] * p.scale;
  }
}
