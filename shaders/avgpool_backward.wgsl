// 2×2 average-pool gradient: every input of a window gets a quarter of its output's gradient;
// the floored last row/column gets 0. One invocation per input element.
#include "lib/pool2x2"
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> dy: array<f32>;
@group(0) @binding(2) var<storage, read_write> dx: array<f32>;

fn apply(i: u32) {
  let ox = (i % p.width) / 2u;
  let oy = ((i / p.width) % p.height) / 2u;
  let plane = i / (p.width * p.height);
  var g = 0.0;
  if (ox < p.out_w && oy < p.out_h) { g = 0.25 * dy[(plane * p.out_h + oy) * p.out_w + ox]; }
  dx[i] = g;
}

#include "lib/elementwise"
