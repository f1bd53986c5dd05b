// One step of the long-term certainties (Ruder et al. 2016): for the j-th earlier frame, nearest
// first, out = max(c_j − Σ_{k<j} c_k, 0), so nearer frames take precedence; `sum` holds Σ_{k<j} c_k
// and gets c_j added. One invocation per pixel of [1, 1, H, W].
struct Params { n: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> certainty: array<f32>;
@group(0) @binding(2) var<storage, read_write> sum: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

fn apply(i: u32) {
  let c = certainty[i];
  out[i] = max(c - sum[i], 0.0);
  sum[i] = sum[i] + c;
}

#include "lib/elementwise"
