// Resamples one axis of a tensor viewed as [outer, len_in, inner] to [outer, len_out, inner].
// Shrinking averages the exact footprint of each output sample (area filter: antialiased);
// enlarging interpolates linearly between pixel centres (half-pixel, edges clamped).
// Two dispatches (rows, then columns) resize an image. One invocation per output element.
struct Params { n: u32, len_in: u32, len_out: u32, inner: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;

fn apply(i: u32) {
  let k = i % p.inner;
  let o = (i / p.inner) % p.len_out;
  let outer = i / (p.inner * p.len_out);
  let base = outer * p.len_in * p.inner + k;
  let scale = f32(p.len_in) / f32(p.len_out);
  var value = 0.0;
  if (scale > 1.0) {
    let lo = f32(o) * scale;
    let hi = lo + scale;
    let last = min(u32(ceil(hi)), p.len_in);
    for (var j = u32(floor(lo)); j < last; j++) {
      let weight = min(hi, f32(j + 1u)) - max(lo, f32(j));
      value += weight * x[base + j * p.inner];
    }
    value /= scale;
  } else {
    let src = clamp((f32(o) + 0.5) * scale - 0.5, 0.0, f32(p.len_in - 1u));
    let j0 = u32(floor(src));
    let j1 = min(j0 + 1u, p.len_in - 1u);
    let t = src - f32(j0);
    value = (1.0 - t) * x[base + j0 * p.inner] + t * x[base + j1 * p.inner];
  }
  y[i] = value;
}

#include "lib/elementwise"
