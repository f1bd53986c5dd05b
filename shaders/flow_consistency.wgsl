// Ruder, Dosovitskiy, Brox 2016's reliability of a flow w [2, H, W] (frame t's, e.g. backward)
// given the reverse flow ŵ [2, H, W]: 0 where x + w leaves the image (its 2×2 footprint), where
// |w + ŵ(x + w)|² ≥ 0.01(|w|² + |ŵ(x + w)|²) + 0.5 (ŵ bilinear, the warp's taps: lib/warp_taps),
// or on a motion boundary, |∇u|² + |∇v|² > 0.01|w|² + 0.002 (central differences of w at x itself,
// not warped: Ruder's consistencyChecker); 1 elsewhere. A vector that is not finite (a hostile
// .flo) is never reliable: tested on the bits, since a comparison with NaN is false and a compiler
// may assume no NaN. One invocation per pixel.
struct Params { n: u32, height: u32, width: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> flow: array<f32>;
@group(0) @binding(2) var<storage, read> other: array<f32>;
@group(0) @binding(3) var<storage, read_write> certainty: array<f32>;

fn w_at(x: i32, y: i32) -> vec2f {
  let j = u32(clamp(y, 0, i32(p.height) - 1)) * p.width + u32(clamp(x, 0, i32(p.width) - 1));
  return vec2f(flow[j], flow[p.n + j]);
}

#include "lib/warp_taps"

fn finite(v: vec2f) -> bool {
  return is_finite(v.x) && is_finite(v.y);
}

fn reliable(i: u32) -> bool {
  let col = i32(i % p.width);
  let row = i32(i / p.width);
  let w = w_at(col, row);
  if (!finite(w)) { return false; }
  // Ruder's footprint test: x + w's 2×2 bilinear taps all inside the image (the taps' clamp then
  // changes nothing).
  let c = floor(vec2f(f32(col), f32(row)) + w);
  if (c.x < 0.0 || c.y < 0.0 || c.x + 1.0 >= f32(p.width) || c.y + 1.0 >= f32(p.height)) { return false; }
  let t = warp_taps(i);
  var back = vec2f(0.0);
  for (var k = 0u; k < 4u; k++) { back += t.weight[k] * vec2f(other[t.index[k]], other[p.n + t.index[k]]); }
  if (!finite(back)) { return false; }
  let sum = w + back;
  if (dot(sum, sum) >= 0.01 * (dot(w, w) + dot(back, back)) + 0.5) { return false; }
  let dx = 0.5 * (w_at(col + 1, row) - w_at(col - 1, row));
  let dy = 0.5 * (w_at(col, row + 1) - w_at(col, row - 1));
  let edge = dot(dx, dx) + dot(dy, dy);
  return is_finite(edge) && edge <= 0.01 * dot(w, w) + 0.002;
}

fn apply(i: u32) {
  certainty[i] = select(0.0, 1.0, reliable(i));
}

#include "lib/elementwise"
