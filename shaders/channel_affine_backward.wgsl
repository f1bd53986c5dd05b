// Gradient of channel_affine_forward (without clamping): dx[n, perm[c], p] = a[c] · dy[n, c, p].
// perm is a permutation, so each input channel receives exactly one output channel's gradient;
// `inverse` maps an input channel back to that output channel. One invocation per input element.
struct Params { n: u32, plane: u32, inverse: vec4u, a: vec4f }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> dy: array<f32>;
@group(0) @binding(2) var<storage, read_write> dx: array<f32>;

fn apply(i: u32) {
  let pixel = i % p.plane;
  let k = (i / p.plane) % 3u;
  let image = i / (3u * p.plane);
  let c = p.inverse[k];
  dx[i] = p.a[c] * dy[(image * 3u + c) * p.plane + pixel];
}

#include "lib/elementwise"
