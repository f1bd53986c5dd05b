// Gradient of moments_forward: dx[c,p] = scale · w_p · (dm[c] + 2·x[c,p]·dm[C + c]) (the second
// term with orders = 2; w_p = 1 unless weighted). One invocation per element of x [C, P].
struct Params { n: u32, channels: u32, pixels: u32, orders: u32, weighted: u32, scale: f32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> w: array<f32>;
@group(0) @binding(3) var<storage, read> dm: array<f32>;
@group(0) @binding(4) var<storage, read_write> dx: array<f32>;

fn apply(e: u32) {
  let c = e / p.pixels;
  var weight = 1.0;
  if (p.weighted != 0u) { weight = w[e % p.pixels]; }
  var g = dm[c];
  if (p.orders == 2u) { g += 2.0 * x[e] * dm[p.channels + c]; }
  dx[e] = p.scale * weight * g;
}

#include "lib/elementwise"
