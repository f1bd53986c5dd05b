// Per-channel raw moments of features x [C, P] (P = H·W pixels), each pixel weighted by w[p] where
// weighted is 1: out[c] = scale · Σ_p w_p·x[c,p] and, with orders = 2, out[C + c] = scale · Σ_p
// w_p·x[c,p]² (scale = 1/(P·mean w)). One workgroup per channel (workgroup_id.x), a strided
// slice of pixels per invocation, then a tree (lib/workgroup_reduce).
struct Params { channels: u32, pixels: u32, orders: u32, weighted: u32, scale: f32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> w: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

#include "lib/workgroup_reduce"

@compute @workgroup_size(WORKGROUP_REDUCE_SIZE)
fn main(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3u) {
  let c = wid.x;
  let base = c * p.pixels;
  var first = Compensated(0.0, 0.0);
  var second = Compensated(0.0, 0.0);
  for (var i = lid; i < p.pixels; i += WORKGROUP_REDUCE_SIZE) {
    let v = x[base + i];
    var weight = 1.0;
    if (p.weighted != 0u) { weight = w[i]; }
    add_compensated(&first, weight * v);
    add_compensated(&second, weight * v * v);
  }
  let s1 = workgroup_sum(lid, first.sum);
  let s2 = workgroup_sum(lid, second.sum);
  if (lid == 0u) {
    out[c] = s1 * p.scale;
    if (p.orders == 2u) { out[p.channels + c] = s2 * p.scale; }
  }
}
