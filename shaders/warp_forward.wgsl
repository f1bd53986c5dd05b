// Backward warp of an NCHW image by a flow [1, 2, H, W] in pixels (u along x, v along y):
// out[n, c, y, x] = image[n, c](x + u(x, y), y + v(x, y)), bilinear, the sample point clamped to
// [0, W - 1] × [0, H - 1] (outside reads the nearest border; the taps: lib/warp_taps). One
// invocation per output element.
struct Params { n: u32, height: u32, width: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> image: array<f32>;
@group(0) @binding(2) var<storage, read> flow: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

#include "lib/warp_taps"

fn apply(i: u32) {
  let plane = p.height * p.width;
  let pixel = i % plane;
  let base = i - pixel;
  let t = warp_taps(pixel);
  var sum = 0.0;
  for (var k = 0u; k < 4u; k++) { sum += t.weight[k] * image[base + t.index[k]]; }
  out[i] = sum;
}

#include "lib/elementwise"
