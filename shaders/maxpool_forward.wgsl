// 2×2 max-pool, stride 2, NCHW viewed as (planes, H, W); odd sizes floor (the last row/column
// is dropped, as in PyTorch). Ties go to the first maximum in row-major window order.
// One invocation per output element.
struct Params { n: u32, height: u32, width: u32, out_h: u32, out_w: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;

fn apply(o: u32) {
  let ox = o % p.out_w;
  let oy = (o / p.out_w) % p.out_h;
  let plane = o / (p.out_w * p.out_h);
  let base = (plane * p.height + 2u * oy) * p.width + 2u * ox;
  var m = x[base];
  m = select(m, x[base + 1u], x[base + 1u] > m);
  m = select(m, x[base + p.width], x[base + p.width] > m);
  m = select(m, x[base + p.width + 1u], x[base + p.width + 1u] > m);
  y[o] = m;
}

#include "lib/elementwise"
