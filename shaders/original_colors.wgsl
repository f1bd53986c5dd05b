// Keeps the content's colours: takes the luminance Y of `styled` and the chroma (I, Q of YIQ)
// of `content`, both RGB 0..1 NCHW images of the same size, and returns RGB clamped to 0..1.
// One invocation per pixel.
struct Params { n: u32, plane: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> styled: array<f32>;
@group(0) @binding(2) var<storage, read> content: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

#include "lib/yiq"

fn apply(i: u32) {
  let pixel = i % p.plane;
  let base = (i / p.plane) * 3u * p.plane + pixel;
  let s = vec3f(styled[base], styled[base + p.plane], styled[base + 2u * p.plane]);
  let c = vec3f(content[base], content[base + p.plane], content[base + 2u * p.plane]);
  let yiq = vec3f((TO_YIQ * s).x, (TO_YIQ * c).yz);
  let rgb = clamp(TO_RGB * yiq, vec3f(0.0), vec3f(1.0));
  out[base] = rgb.x;
  out[base + p.plane] = rgb.y;
  out[base + 2u * p.plane] = rgb.z;
}

#include "lib/elementwise"
