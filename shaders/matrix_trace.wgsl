// out[0] = scale · Σ_i x[i, i] (+ offset[0] where has_offset is 1) for a square [channels,
// channels] matrix: one workgroup, each invocation a strided slice of the diagonal, then a tree
// (lib/workgroup_reduce).
struct Params { channels: u32, scale: f32, has_offset: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> offset: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

#include "lib/workgroup_reduce"

@compute @workgroup_size(WORKGROUP_REDUCE_SIZE)
fn main(@builtin(local_invocation_index) lid: u32) {
  var acc = Compensated(0.0, 0.0);
  for (var i = lid; i < p.channels; i += WORKGROUP_REDUCE_SIZE) {
    add_compensated(&acc, x[i * (p.channels + 1u)]);
  }
  let total = workgroup_sum(lid, acc.sum);
  if (lid == 0u) {
    var v = total * p.scale;
    if (p.has_offset != 0u) { v += offset[0]; }
    out[0] = v;
  }
}
