// 2×2 max-pool, stride 2 (see lib/pool2x2). Ties go to the first maximum in row-major window
// order.
// One invocation per output element.
#include "lib/pool2x2"
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;

fn apply(o: u32) {
  let base = output_window(o);
  var m = x[base];
  m = select(m, x[base + 1u], x[base + 1u] > m);
  m = select(m, x[base + p.width], x[base + p.width] > m);
  m = select(m, x[base + p.width + 1u], x[base + p.width + 1u] > m);
  y[o] = m;
}

#include "lib/elementwise"
