// Gradient of scale · trace(X): dX = scale · dout[0] · I, X [channels, channels]. One invocation
// per entry.
struct Params { n: u32, channels: u32, scale: f32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> dout: array<f32>;
@group(0) @binding(2) var<storage, read_write> dx: array<f32>;

fn apply(e: u32) {
  var v = 0.0;
  if (e / p.channels == e % p.channels) { v = p.scale * dout[0]; }
  dx[e] = v;
}

#include "lib/elementwise"
