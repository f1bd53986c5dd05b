// Winograd output transform for conv3x3 (lib/winograd): the M×M output tile tile0 + t of channel co
// is Aᵀ m[·, co, t] A (m [POINTS, cout_pad, tiles_pad]), plus bias[co] with HAS_BIAS, times
// [mask > 0] with MASK (mask has y's shape), stored where it lies inside y [N, Cout, H, W].
// One invocation per (co, 4 tiles), loading m as vec4s.
struct Params { n: u32, cout: u32, cout_pad: u32, height: u32, width: u32, tiles_w: u32, tiles_h: u32, tile0: u32, tiles: u32, tiles_pad: u32 }
override HAS_BIAS: bool = true;
override MASK: bool = false;
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> m: array<vec4f>;
@group(0) @binding(2) var<storage, read> bias: array<f32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;
@group(0) @binding(4) var<storage, read> mask: array<f32>;

const M: u32 = 2u;
#include "lib/winograd"

fn apply(i: u32) {
  let tvecs = p.tiles_pad / 4u;
  let co = i / tvecs;
  let t4 = i % tvecs;
  var s: array<vec4f, POINTS>;
  for (var k = 0u; k < POINTS; k++) { s[k] = m[(k * p.cout_pad + co) * tvecs + t4]; }
  var as_: array<vec4f, M * ALPHA>; // Aᵀ s
  for (var a = 0u; a < M; a++) {
    for (var b = 0u; b < ALPHA; b++) {
      var acc = vec4f(0.0);
      for (var k = 0u; k < ALPHA; k++) { acc += wino_at(a, k) * s[k * ALPHA + b]; }
      as_[a * ALPHA + b] = acc;
    }
  }
  var b0 = 0.0;
  if (HAS_BIAS) { b0 = bias[co]; }
  let per_image = p.tiles_w * p.tiles_h;
  for (var q = 0u; q < 4u; q++) {
    let t = t4 * 4u + q;
    if (t >= p.tiles) { break; }
    let g = p.tile0 + t;
    let y0 = (g % per_image) / p.tiles_w * M;
    let x0 = (g % p.tiles_w) * M;
    let plane = (g / per_image * p.cout + co) * p.height * p.width;
    for (var a = 0u; a < M; a++) {
      if (y0 + a >= p.height) { break; }
      for (var b = 0u; b < M; b++) {
        if (x0 + b < p.width) {
          var acc = b0;
          for (var k = 0u; k < ALPHA; k++) { acc += as_[a * ALPHA + k][q] * wino_at(b, k); }
          let o = plane + (y0 + a) * p.width + x0 + b;
          if (MASK) { acc = select(0.0, acc, mask[o] > 0.0); }
          y[o] = acc;
        }
      }
    }
  }
}

#include "lib/elementwise"
