// Weights for the input gradient of a 3×3 convolution: wf[ci,co,ky,kx] = w[co,ci,2-ky,2-kx]
// (channels transposed, taps rotated 180°), so dx = conv3x3_forward(dy, wf) without bias.
// Run once per weight tensor. One invocation per weight.
struct Params { n: u32, cin: u32, cout: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> w: array<f32>;
@group(0) @binding(2) var<storage, read_write> wf: array<f32>;

fn apply(i: u32) {
  let tap = i % 9u;
  let co = (i / 9u) % p.cout;
  let ci = i / (9u * p.cout);
  wf[i] = w[(co * p.cin + ci) * 9u + (8u - tap)];
}

#include "lib/elementwise"
