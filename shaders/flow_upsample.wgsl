// A coarse flow [2, h, w] brought to a finer level [2, H, W]: bilinear between pixel centres
// (half-pixel, edges clamped), each component scaled by its axis's ratio (W / w for u, H / h
// for v) since a flow is in pixels. One invocation per output element.
struct Params { n: u32, height: u32, width: u32, coarse_h: u32, coarse_w: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> coarse: array<f32>;
@group(0) @binding(2) var<storage, read_write> fine: array<f32>;

fn apply(i: u32) {
  let plane = p.height * p.width;
  let k = i / plane;
  let pixel = i % plane;
  let ratio = vec2f(f32(p.width) / f32(p.coarse_w), f32(p.height) / f32(p.coarse_h));
  let last = vec2f(f32(p.coarse_w - 1u), f32(p.coarse_h - 1u));
  let s = clamp((vec2f(f32(pixel % p.width), f32(pixel / p.width)) + 0.5) / ratio - 0.5, vec2f(0.0), last);
  let x0 = u32(floor(s.x));
  let y0 = u32(floor(s.y));
  let x1 = min(x0 + 1u, p.coarse_w - 1u);
  let y1 = min(y0 + 1u, p.coarse_h - 1u);
  let t = s - vec2f(f32(x0), f32(y0));
  let base = k * p.coarse_h * p.coarse_w;
  let top = mix(coarse[base + y0 * p.coarse_w + x0], coarse[base + y0 * p.coarse_w + x1], t.x);
  let bottom = mix(coarse[base + y1 * p.coarse_w + x0], coarse[base + y1 * p.coarse_w + x1], t.x);
  fine[i] = mix(top, bottom, t.y) * select(ratio.y, ratio.x, k == 0u);
}

#include "lib/elementwise"
