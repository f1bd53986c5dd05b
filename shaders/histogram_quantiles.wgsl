// A channel's quantile function sampled at u = q / (quantiles - 1), q = 0..quantiles-1, from its
// range and cdf (histogram_cdf): the first bin b whose upper edge has cdf >= u, and the value
// linearly inside it, lo + (b + (u - cdf[b]) / (cdf[b+1] - cdf[b])) * width. One invocation per
// entry of table [C, quantiles].
struct Params { n: u32, quantiles: u32, bins: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> range: array<f32>;
@group(0) @binding(2) var<storage, read> cdf: array<f32>;
@group(0) @binding(3) var<storage, read_write> table: array<f32>;

fn apply(i: u32) {
  let c = i / p.quantiles;
  let u = f32(i % p.quantiles) / f32(p.quantiles - 1u);
  let row = c * (p.bins + 1u);
  // Binary search over the bins' upper edges k + 1 (cdf is non-decreasing, cdf[bins] = 1).
  var first = 0u;
  var last = p.bins - 1u;
  while (first < last) {
    let mid = (first + last) / 2u;
    if (cdf[row + mid + 1u] >= u) { last = mid; } else { first = mid + 1u; }
  }
  let below = cdf[row + first];
  let mass = cdf[row + first + 1u] - below;
  let inside = select(0.0, clamp((u - below) / mass, 0.0, 1.0), mass > 0.0);
  let lo = range[2u * c];
  let hi = range[2u * c + 1u];
  table[i] = lo + (f32(first) + inside) * (hi - lo) / f32(p.bins);
}

#include "lib/elementwise"
