// Colour space of an RGB image [N, 3, H, W] (planar): to_rgb = 0 maps RGB to YIQ (lib/yiq's rgb_to_yiq),
// to_rgb = 1 maps YIQ back to RGB, clamped to 0..1. One invocation per pixel.
struct Params { n: u32, plane: u32, to_rgb: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;

#include "lib/yiq"

fn apply(i: u32) {
  let pixel = i % p.plane;
  let base = (i / p.plane) * 3u * p.plane + pixel;
  let v = vec3f(x[base], x[base + p.plane], x[base + 2u * p.plane]);
  var y = rgb_to_yiq(v);
  if (p.to_rgb == 1u) { y = clamp(TO_RGB * v, vec3f(0.0), vec3f(1.0)); }
  out[base] = y.x;
  out[base + p.plane] = y.y;
  out[base + 2u * p.plane] = y.z;
}

#include "lib/elementwise"
