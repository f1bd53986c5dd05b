// Sums the per-split Gram matrices of gram_forward_subgroup: g[b,e] = Σ_s partial[b,s,e],
// e over the C·C entries. One invocation per entry of g.
struct Params { n: u32, entries: u32, splits: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> partial: array<f32>;
@group(0) @binding(2) var<storage, read_write> g: array<f32>;

fn apply(i: u32) {
  let b = i / p.entries;
  let e = i % p.entries;
  var total = 0.0;
  for (var s = 0u; s < p.splits; s++) { total += partial[(b * p.splits + s) * p.entries + e]; }
  g[i] = total;
}

#include "lib/elementwise"
