// Optical flow input: a grey image [H, W] smoothed by the 3×3 binomial filter ([1 2 1] / 4 along
// each axis, edges clamped), which damps the aliasing and noise the linearised data term is most
// sensitive to. One invocation per pixel.
struct Params { n: u32, height: u32, width: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> grey: array<f32>;
@group(0) @binding(2) var<storage, read_write> smoothed: array<f32>;

fn apply(i: u32) {
  let col = i32(i % p.width);
  let row = i32(i / p.width);
  let taps = vec3f(0.25, 0.5, 0.25);
  var sum = 0.0;
  for (var j = 0; j < 3; j++) {
    let y = u32(clamp(row + j - 1, 0, i32(p.height) - 1));
    for (var k = 0; k < 3; k++) {
      let x = u32(clamp(col + k - 1, 0, i32(p.width) - 1));
      sum += taps[j] * taps[k] * grey[y * p.width + x];
    }
  }
  smoothed[i] = sum;
}

#include "lib/elementwise"
