// TV-L1 flow, once per warp: the second image I1 [H, W] and its gradient (central differences),
// sampled bicubically (Keys, a = -0.5) at x + u0(x) (clamped to the image), linearise the brightness constancy
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

// Keys' cubic convolution weights (a = -0.5) of the samples at offsets -1, 0, 1, 2 from floor(s).
fn cubic_weights(t: f32) -> vec4f {
  let t2 = t * t;
  let t3 = t2 * t;
  return vec4f(-0.5 * t3 + t2 - 0.5 * t, 1.5 * t3 - 2.5 * t2 + 1.0, -1.5 * t3 + 2.0 * t2 + 0.5 * t, 0.5 * t3 - 0.5 * t2);
}

fn apply(i: u32) {
  let col = i % p.width;
  let row = i / p.width;
  let u0 = vec2f(flow[i], flow[p.n + i]);
  let s = clamp(vec2f(f32(col), f32(row)) + u0, vec2f(0.0), vec2f(f32(p.width - 1u), f32(p.height - 1u)));
  let x0 = i32(floor(s.x));
  let y0 = i32(floor(s.y));
  let wx = cubic_weights(s.x - f32(x0));
  let wy = cubic_weights(s.y - f32(y0));
  var value = 0.0;
  var g = vec2f(0.0);
  for (var j = 0; j < 4; j++) {
    for (var k = 0; k < 4; k++) {
      let weight = wx[k] * wy[j];
      value += weight * at(x0 + k - 1, y0 + j - 1);
      g += weight * gradient_at(x0 + k - 1, y0 + j - 1);
    }
  }
  data[i] = g.x;
  data[p.n + i] = g.y;
  data[2u * p.n + i] = value - dot(g, u0) - i0[i];
}

#include "lib/elementwise"
