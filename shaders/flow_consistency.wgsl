// Ruder, Dosovitskiy, Brox 2016's reliability of a flow w [2, H, W] (frame t's, e.g. backward)
// given the reverse flow ŵ [2, H, W]: 0 where x + w leaves the image (its 2×2 footprint), where
// |w + ŵ(x + w)|² ≥ 0.01(|w|² + |ŵ(x + w)|²) + 0.5 (ŵ bilinear), or on a motion boundary,
// |∇u|² + |∇v|² > 0.01|w|² + 0.002 (central differences of w at x itself, not warped: Ruder's
// consistencyChecker); 1 elsewhere. A vector that is not finite (a hostile .flo) is never reliable:
// tested on the bits, since a comparison with NaN is false and a compiler may assume no NaN.
// One invocation per pixel.
struct Params { n: u32, height: u32, width: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> flow: array<f32>;
@group(0) @binding(2) var<storage, read> other: array<f32>;
@group(0) @binding(3) var<storage, read_write> certainty: array<f32>;

fn w_at(x: i32, y: i32) -> vec2f {
  let j = u32(clamp(y, 0, i32(p.height) - 1)) * p.width + u32(clamp(x, 0, i32(p.width) - 1));
  return vec2f(flow[j], flow[p.n + j]);
}

fn other_at(x: u32, y: u32) -> vec2f {
  let j = y * p.width + x;
  return vec2f(other[j], other[p.n + j]);
}

fn finite(v: vec2f) -> bool {
  let exponent = bitcast<vec2u>(v) & vec2u(0x7f800000u);
  return all(exponent != vec2u(0x7f800000u));
}

fn reliable(col: i32, row: i32) -> bool {
  let w = w_at(col, row);
  if (!finite(w)) { return false; }
  let b = vec2f(f32(col), f32(row)) + w;
  let c = floor(b);
  if (c.x < 0.0 || c.y < 0.0 || c.x + 1.0 >= f32(p.width) || c.y + 1.0 >= f32(p.height)) { return false; }
  let x0 = u32(c.x);
  let y0 = u32(c.y);
  let t = b - c;
  let top = mix(other_at(x0, y0), other_at(x0 + 1u, y0), t.x);
  let back = mix(top, mix(other_at(x0, y0 + 1u), other_at(x0 + 1u, y0 + 1u), t.x), t.y);
  if (!finite(back)) { return false; }
  let sum = w + back;
  if (dot(sum, sum) >= 0.01 * (dot(w, w) + dot(back, back)) + 0.5) { return false; }
  let dx = 0.5 * (w_at(col + 1, row) - w_at(col - 1, row));
  let dy = 0.5 * (w_at(col, row + 1) - w_at(col, row - 1));
  let edge = dot(dx, dx) + dot(dy, dy);
  return finite(vec2f(edge, 0.0)) && edge <= 0.01 * dot(w, w) + 0.002;
}

fn apply(i: u32) {
  certainty[i] = select(0.0, 1.0, reliable(i32(i % p.width), i32(i / p.width)));
}

#include "lib/elementwise"
