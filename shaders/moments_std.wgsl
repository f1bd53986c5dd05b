// Raw moments m = [μ (C), E[x²] (C)] to [μ, σ] with σ = sqrt(max(E[x²] − μ², 0) + eps). One
// invocation per channel.
struct Params { n: u32, eps: f32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> m: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;

fn apply(c: u32) {
  let mean = m[c];
  out[c] = mean;
  out[p.n + c] = sqrt(max(m[p.n + c] - mean * mean, 0.0) + p.eps);
}

#include "lib/elementwise"
