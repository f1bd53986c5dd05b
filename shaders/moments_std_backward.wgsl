// Gradient of moments_std: with σ = sqrt(E[x²] − μ² + eps), dμ = d[c] − d[C + c]·μ/σ and
// dE[x²] = d[C + c]/(2σ). One invocation per channel.
struct Params { n: u32, eps: f32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> m: array<f32>;
@group(0) @binding(2) var<storage, read> d: array<f32>;
@group(0) @binding(3) var<storage, read_write> dm: array<f32>;

fn apply(c: u32) {
  let mean = m[c];
  let sigma = sqrt(max(m[p.n + c] - mean * mean, 0.0) + p.eps);
  dm[c] = d[c] - d[p.n + c] * mean / sigma;
  dm[p.n + c] = d[p.n + c] / (2.0 * sigma);
}

#include "lib/elementwise"
