// S[b,i,j] = scale · (dG[b,i,j] + dG[b,j,i]), the symmetric matrix gram_backward_subgroup
// multiplies X by. One invocation per entry.
struct Params { n: u32, channels: u32, scale: f32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> dg: array<f32>;
@group(0) @binding(2) var<storage, read_write> s: array<f32>;

fn apply(e: u32) {
  let c = p.channels;
  let b = e / (c * c);
  let i = (e / c) % c;
  let j = e % c;
  s[e] = p.scale * (dg[e] + dg[b * c * c + j * c + i]);
}

#include "lib/elementwise"
