// Total variation, first pass: per-workgroup partial sums of wx·|x[..,y,x+1] - x[..,y,x]| +
// wy·|x[..,y+1,x] - x[..,y,x]| over an NCHW array viewed as (planes, H, W); wx and wy hold
// 0.5 / (number of horizontal / vertical differences), so the partials add up to the loss.
struct Params { n: u32, scale: f32, height: u32, width: u32, wx: f32, wy: f32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> partials: array<f32>;

fn element(i: u32) -> f32 {
  let col = i % p.width;
  let row = (i / p.width) % p.height;
  var v = 0.0;
  if (col + 1u < p.width) { v += p.wx * abs(x[i + 1u] - x[i]); }
  if (row + 1u < p.height) { v += p.wy * abs(x[i + p.width] - x[i]); }
  return v;
}

#include "lib/reduce"
