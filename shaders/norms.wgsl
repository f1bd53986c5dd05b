// ‖x‖₁ and ‖x‖∞ of a flat f32 array. Each workgroup sums |x| over a grid-strided slice (Kahan
// compensated) and takes the largest |x|, then combines its invocations in a tree; it writes the
// pair to out[offset + 2·wg] (sum) and out[offset + 2·wg + 1] (max). With `pairs` = 1, x holds
// such pairs (a first pass's output) and they are combined instead: a second pass of one workgroup.
struct Params { n: u32, pairs: u32, offset: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;

const NORMS_WG: u32 = 256u;
var<workgroup> sums: array<f32, NORMS_WG>;
var<workgroup> maxes: array<f32, NORMS_WG>;

@compute @workgroup_size(NORMS_WG)
fn main(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3u,
        @builtin(num_workgroups) nwg: vec3u) {
  var sum = 0.0;
  var compensation = 0.0;
  var largest = 0.0;
  for (var i = wid.x * NORMS_WG + lid; i < p.n; i += nwg.x * NORMS_WG) {
    var a = abs(x[i]);
    var m = a;
    if (p.pairs != 0u) {
      a = x[2u * i];
      m = x[2u * i + 1u];
    }
    let y = a - compensation;
    let t = sum + y;
    compensation = (t - sum) - y;
    sum = t;
    largest = max(largest, m);
  }
  sums[lid] = sum;
  maxes[lid] = largest;
  workgroupBarrier();
  for (var half = NORMS_WG / 2u; half > 0u; half >>= 1u) {
    if (lid < half) {
      sums[lid] += sums[lid + half];
      maxes[lid] = max(maxes[lid], maxes[lid + half]);
    }
    workgroupBarrier();
  }
  if (lid == 0u) {
    out[p.offset + 2u * wid.x] = sums[0];
    out[p.offset + 2u * wid.x + 1u] = maxes[0];
  }
}
