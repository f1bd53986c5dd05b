// Winograd output transform for conv3x3 (lib/winograd): the M×M output tile tile0 + t of channel co
// is Aᵀ m[·, co, t] A (m [POINTS, cout_pad, tiles_pad]), plus bias[co] with HAS_BIAS, times
// [mask > 0] with MASK (mask has y's shape), stored where it lies inside y [N, Cout, H, W].
// One invocation per (co, t).
struct Params { n: u32, cout: u32, cout_pad: u32, height: u32, width: u32, tiles_w: u32, tiles_h: u32, tile0: u32, tiles: u32, tiles_pad: u32 }
override HAS_BIAS: bool = true;
override MASK: bool = false;
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> m: array<f32>;
@group(0) @binding(2) var<storage, read> bias: array<f32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;
@group(0) @binding(4) var<storage, read> mask: array<f32>;

const M: u32 = 2u;
#include "lib/winograd"

fn apply(i: u32) {
  let co = i / p.tiles;
  let t = i % p.tiles;
  var s: array<f32, POINTS>;
  for (var k = 0u; k < POINTS; k++) { s[k] = m[(k * p.cout_pad + co) * p.tiles_pad + t]; }
  var as_: array<f32, M * ALPHA>; // Aᵀ s
  for (var a = 0u; a < M; a++) {
    for (var b = 0u; b < ALPHA; b++) {
      var acc = 0.0;
      for (var k = 0u; k < ALPHA; k++) { acc += wino_at(a, k) * s[k * ALPHA + b]; }
      as_[a * ALPHA + b] = acc;
    }
  }
  var b0 = 0.0;
  if (HAS_BIAS) { b0 = bias[co]; }
  let g = p.tile0 + t;
  let per_image = p.tiles_w * p.tiles_h;
  let n = g / per_image;
  let y0 = (g % per_image) / p.tiles_w * M;
  let x0 = (g % p.tiles_w) * M;
  let plane = (n * p.cout + co) * p.height * p.width;
  for (var a = 0u; a < M; a++) {
    if (y0 + a >= p.height) { break; }
    for (var b = 0u; b < M; b++) {
      if (x0 + b < p.width) {
        var acc = b0;
        for (var k = 0u; k < ALPHA; k++) { acc += as_[a * ALPHA + k] * wino_at(b, k); }
        let o = plane + (y0 + a) * p.width + x0 + b;
        if (MASK) { acc = select(0.0, acc, mask[o] > 0.0); }
        y[o] = acc;
      }
    }
  }
}

#include "lib/elementwise"
