// TV-L1 flow, once per warp: the second image I1 [H, W] and its gradient (central differences),
// sampled bilinearly at x + u0(x) (clamped to the image), linearise the brightness constancy
// I1(x + u) - I0(x) ≈ rho_c + ∇I1w · u. Writes data [3, H, W] = (I1x_w, I1y_w, rho_c) with
// rho_c = I1w - ∇I1w · u0 - I0. One invocation per pixel.
struct Params { n: u32, height: u32, width: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> i0: array<f32>;
@group(0) @binding(2) var<storage, read> i1: array<f32>;
@group(0) @binding(3) var<storage, read> flow: array<f32>;
@group(0) @binding(4) var<storage, read_write> data: array<f32>;

fn at(x: i32, y: i32) -> f32 {
  let cx = u32(clamp(x, 0, i32(p.width) - 1));
  let cy = u32(clamp(y, 0, i32(p.height) - 1));
  return i1[cy * p.width + cx];
}

// Central-difference gradient of I1 at a whole pixel (one-sided halves at the border, clamped).
fn gradient_at(x: i32, y: i32) -> vec2f {
  return 0.5 * vec2f(at(x + 1, y) - at(x - 1, y), at(x, y + 1) - at(x, y - 1));
}

fn apply(i: u32) {
  let col = i % p.width;
  let row = i / p.width;
  let u0 = vec2f(flow[i], flow[p.n + i]);
  let s = clamp(vec2f(f32(col), f32(row)) + u0, vec2f(0.0), vec2f(f32(p.width - 1u), f32(p.height - 1u)));
  let x0 = i32(floor(s.x));
  let y0 = i32(floor(s.y));
  let t = s - vec2f(f32(x0), f32(y0));
  let value = mix(mix(at(x0, y0), at(x0 + 1, y0), t.x), mix(at(x0, y0 + 1), at(x0 + 1, y0 + 1), t.x), t.y);
  let g = mix(mix(gradient_at(x0, y0), gradient_at(x0 + 1, y0), t.x), mix(gradient_at(x0, y0 + 1), gradient_at(x0 + 1, y0 + 1), t.x), t.y);
  data[i] = g.x;
  data[p.n + i] = g.y;
  data[2u * p.n + i] = value - dot(g, u0) - i0[i];
}

#include "lib/elementwise"
