// Per channel of x [C planes of `plane` values]: its range [min, max] and the cumulative histogram
// of its values in WORKGROUP_REDUCE_SIZE equal bins over that range, cdf[c, k] = (count of bins
// < k) / plane for k = 0..bins. One workgroup per channel (channel0 + workgroup id in the outputs):
// a min/max reduction, counts by workgroup atomics, then an inclusive scan of the counts.
struct Params { plane: u32, channel0: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> range: array<f32>;
@group(0) @binding(3) var<storage, read_write> cdf: array<f32>;

#include "lib/workgroup_reduce"
#include "lib/histogram"

var<workgroup> counts: array<atomic<u32>, WORKGROUP_REDUCE_SIZE>;
var<workgroup> scan: array<u32, WORKGROUP_REDUCE_SIZE>;

@compute @workgroup_size(WORKGROUP_REDUCE_SIZE)
fn main(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3u) {
  let bins = WORKGROUP_REDUCE_SIZE;
  let base = wid.x * p.plane;
  var largest = -3.4e38;
  var smallest = 3.4e38;
  for (var i = lid; i < p.plane; i += bins) {
    largest = max(largest, x[base + i]);
    smallest = min(smallest, x[base + i]);
  }
  let hi = workgroup_max(lid, largest);
  let lo = -workgroup_max(lid, -smallest);
  atomicStore(&counts[lid], 0u);
  workgroupBarrier();
  for (var i = lid; i < p.plane; i += bins) {
    atomicAdd(&counts[histogram_bin(histogram_position(x[base + i], lo, hi, bins), bins)], 1u);
  }
  workgroupBarrier();
  scan[lid] = atomicLoad(&counts[lid]);
  workgroupBarrier();
  for (var step = 1u; step < bins; step <<= 1u) {
    var v = scan[lid];
    if (lid >= step) { v += scan[lid - step]; }
    workgroupBarrier();
    scan[lid] = v;
    workgroupBarrier();
  }
  let c = p.channel0 + wid.x;
  cdf[c * (bins + 1u) + lid + 1u] = f32(scan[lid]) / f32(p.plane);
  if (lid == 0u) {
    cdf[c * (bins + 1u)] = 0.0;
    range[2u * c] = lo;
    range[2u * c + 1u] = hi;
  }
}
