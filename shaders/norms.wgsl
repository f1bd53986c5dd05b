// ‖x‖₁ and ‖x‖∞ of a flat f32 array. Each workgroup sums |x| over a grid-strided slice (Kahan
// compensated) and takes the largest |x|, then combines its invocations (lib/workgroup_reduce); it
// writes the pair to out[offset + 2·wg] (sum) and out[offset + 2·wg + 1] (max). With `pairs` = 1, x
// holds such pairs (a first pass's output) and they are combined instead: a second pass of one workgroup.
struct Params { n: u32, pairs: u32, offset: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;

#include "lib/workgroup_reduce"

@compute @workgroup_size(WORKGROUP_REDUCE_SIZE)
fn main(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3u,
        @builtin(num_workgroups) nwg: vec3u) {
  var acc = Compensated(0.0, 0.0);
  var largest = 0.0;
  for (var i = wid.x * WORKGROUP_REDUCE_SIZE + lid; i < p.n; i += nwg.x * WORKGROUP_REDUCE_SIZE) {
    var a = abs(x[i]);
    var m = a;
    if (p.pairs != 0u) {
      a = x[2u * i];
      m = x[2u * i + 1u];
    }
    add_compensated(&acc, a);
    largest = max(largest, m);
  }
  let sum = workgroup_sum(lid, acc.sum);
  let most = workgroup_max(lid, largest);
  if (lid == 0u) {
    out[p.offset + 2u * wid.x] = sum;
    out[p.offset + 2u * wid.x + 1u] = most;
  }
}
