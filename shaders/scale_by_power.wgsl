// y = x · s[0]^exponent, s a one-value tensor on the device (a Frobenius norm's square, so that a
// matrix is normalised without reading the norm back), s ≥ 0 unless the exponent is 1. One
// invocation per element.
struct Params { n: u32, exponent: f32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> s: array<f32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;

fn apply(i: u32) {
  // WGSL's pow is undefined for s < 0: the exponent 1 (a gradient's dOut, of any sign) multiplies by s itself.
  let factor = select(pow(s[0], p.exponent), s[0], p.exponent == 1.0);
  y[i] = x[i] * factor;
}

#include "lib/elementwise"
