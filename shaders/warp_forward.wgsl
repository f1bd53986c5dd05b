// Backward warp of an NCHW image by a flow [1, 2, H, W] in pixels (u along x, v along y):
// out[n, c, y, x] = image[n, c](x + u(x, y), y + v(x, y)), bilinear, the sample point clamped to
// [0, W - 1] × [0, H - 1] (outside reads the nearest border). One invocation per output element.
struct Params { n: u32, height: u32, width: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> image: array<f32>;
@group(0) @binding(2) var<storage, read> flow: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

fn apply(i: u32) {
  let plane = p.height * p.width;
  let pixel = i % plane;
  let base = i - pixel;
  let col = pixel % p.width;
  let row = pixel / p.width;
  let sx = clamp(f32(col) + flow[pixel], 0.0, f32(p.width - 1u));
  let sy = clamp(f32(row) + flow[plane + pixel], 0.0, f32(p.height - 1u));
  let x0 = min(u32(floor(sx)), p.width - 1u);
  let y0 = min(u32(floor(sy)), p.height - 1u);
  let x1 = min(x0 + 1u, p.width - 1u);
  let y1 = min(y0 + 1u, p.height - 1u);
  let tx = sx - f32(x0);
  let ty = sy - f32(y0);
  let top = mix(image[base + y0 * p.width + x0], image[base + y0 * p.width + x1], tx);
  let bottom = mix(image[base + y1 * p.width + x0], image[base + y1 * p.width + x1], tx);
  out[i] = mix(top, bottom, ty);
}

#include "lib/elementwise"
