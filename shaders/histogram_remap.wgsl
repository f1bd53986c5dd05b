// Histogram matching of x [C planes of `plane` values] to a target's quantile table [C, quantiles]:
// each value's position u in its own channel's distribution (its range and cdf, histogram_cdf,
// linear inside its bin; a constant channel sits at u = 0.5), then the table read at u, linearly
// between entries. One invocation per element; element i of this dispatch is x's offset + i.
struct Params { n: u32, plane: u32, offset: u32, quantiles: u32, bins: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> range: array<f32>;
@group(0) @binding(3) var<storage, read> cdf: array<f32>;
@group(0) @binding(4) var<storage, read> table: array<f32>;
@group(0) @binding(5) var<storage, read_write> out: array<f32>;

#include "lib/histogram"

fn apply(i: u32) {
  let c = (p.offset + i) / p.plane;
  let lo = range[2u * c];
  let hi = range[2u * c + 1u];
  var u = 0.5;
  if (hi > lo) {
    let t = histogram_position(x[i], lo, hi, p.bins);
    let b = histogram_bin(t, p.bins);
    let row = c * (p.bins + 1u);
    u = cdf[row + b] + (t - f32(b)) * (cdf[row + b + 1u] - cdf[row + b]);
  }
  let s = clamp(u, 0.0, 1.0) * f32(p.quantiles - 1u);
  let k = min(p.quantiles - 2u, u32(floor(s)));
  let f = s - f32(k);
  let entry = c * p.quantiles + k;
  out[i] = mix(table[entry], table[entry + 1u], f);
}

#include "lib/elementwise"
