// Winograd input transform for conv3x3 (lib/winograd): v[ξ, ci, t] = (Bᵀ d B)[ξ] for the ALPHA×ALPHA
// patch d of x (NCHW, zero outside the image; ReLU'd with RELU_INPUT) at tile tile0 + t, tiles
// numbered (n, tile row, tile column); laid out [POINTS, Cin, tiles_pad]. One invocation per
// (ci, t); t in [tiles, tiles_pad) writes zeros.
struct Params { n: u32, cin: u32, height: u32, width: u32, tiles_w: u32, tiles_h: u32, tile0: u32, tiles: u32, tiles_pad: u32 }
override RELU_INPUT: bool = false;
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> v: array<f32>;

const M: u32 = 2u;
#include "lib/winograd"

fn apply(i: u32) {
  let ci = i / p.tiles_pad;
  let t = i % p.tiles_pad;
  var d: array<f32, POINTS>;
  if (t < p.tiles) {
    let g = p.tile0 + t;
    let per_image = p.tiles_w * p.tiles_h;
    let n = g / per_image;
    let y0 = i32((g % per_image) / p.tiles_w * M) - 1;
    let x0 = i32((g % p.tiles_w) * M) - 1;
    let plane = (n * p.cin + ci) * p.height * p.width;
    let last_row = i32(p.height) - 1;
    let last_col = i32(p.width) - 1;
    for (var a = 0u; a < ALPHA; a++) {
      let iy = y0 + i32(a);
      let row = plane + u32(clamp(iy, 0, last_row)) * p.width;
      for (var b = 0u; b < ALPHA; b++) {
        let ix = x0 + i32(b);
        var val = x[row + u32(clamp(ix, 0, last_col))];
        if (RELU_INPUT) { val = max(val, 0.0); }
        d[a * ALPHA + b] = select(0.0, val, iy >= 0 && iy <= last_row && ix >= 0 && ix <= last_col);
      }
    }
  }
  var bd: array<f32, POINTS>; // Bᵀ d
  for (var a = 0u; a < ALPHA; a++) {
    for (var b = 0u; b < ALPHA; b++) {
      var s = 0.0;
      for (var k = 0u; k < ALPHA; k++) { s += wino_bt(a, k) * d[k * ALPHA + b]; }
      bd[a * ALPHA + b] = s;
    }
  }
  for (var a = 0u; a < ALPHA; a++) {
    for (var b = 0u; b < ALPHA; b++) {
      var s = 0.0;
      for (var k = 0u; k < ALPHA; k++) { s += bd[a * ALPHA + k] * wino_bt(b, k); }
      v[((a * ALPHA + b) * p.cin + ci) * p.tiles_pad + t] = s;
    }
  }
}

#include "lib/elementwise"
