// Per-channel affine map with a channel permutation, for 3-channel NCHW images:
// y[n,c,p] = clamp(a[c] · x[n, perm[c], p] + b[c], lo, hi). Converts between pixel conventions
// (RGB 0..1, ImageNet-normalised, Caffe BGR 0..255); one invocation per output element.
struct Params { n: u32, plane: u32, lo: f32, hi: f32, perm: vec4u, a: vec4f, b: vec4f }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;

fn apply(i: u32) {
  let pixel = i % p.plane;
  let c = (i / p.plane) % 3u;
  let image = i / (3u * p.plane);
  let v = x[(image * 3u + p.perm[c]) * p.plane + pixel];
  y[i] = clamp(p.a[c] * v + p.b[c], p.lo, p.hi);
}

#include "lib/elementwise"
