// Winograd input transform for conv3x3 (lib/winograd): v[ξ, ci, t] = (Bᵀ d B)[ξ] for the ALPHA×ALPHA
// patch d of x (NCHW, zero outside the image; ReLU'd with RELU_INPUT) at tile tile0 + t, tiles
// numbered (n, tile row, tile column); laid out [POINTS, Cin, tiles_pad]. One invocation per
// (ci, 4 tiles of a row), loading their shared window once (as vec4s with ALIGNED) and storing
// vec4s; tiles past the image or in [tiles, tiles_pad) are zeros.
struct Params { n: u32, cin: u32, height: u32, width: u32, tiles_w: u32, tiles_h: u32, tile0: u32, tiles: u32, tiles_pad: u32 }
override RELU_INPUT: bool = false;
override ALIGNED: bool = false;
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> x4: array<vec4f>; // the same buffer as x
@group(0) @binding(3) var<storage, read_write> v: array<vec4f>;

const M: u32 = 2u;
#include "lib/winograd"

const WINDOW: u32 = 4u * M + 2u; // columns of 4 neighbouring tiles' patches

// The ALPHA × WINDOW input pixels under tiles t4·4 .. t4·4+3, which lie in one tile row (the launcher
// pads tile rows to a multiple of 4 tiles); zeros outside the image and past the chunk's tiles.
fn input_window(ci: u32, t4: u32) -> array<f32, ALPHA * WINDOW> {
  var win: array<f32, ALPHA * WINDOW>;
  if (t4 * 4u >= p.tiles) { return win; }
  let g = p.tile0 + t4 * 4u;
  let per_image = p.tiles_w * p.tiles_h;
  let y0 = i32((g % per_image) / p.tiles_w * M) - 1;
  let c0 = (g % p.tiles_w) * M; // a multiple of 4
  let plane = (g / per_image * p.cin + ci) * p.height * p.width;
  let last_row = i32(p.height) - 1;
  let last_col = i32(p.width) - 1;
  for (var a = 0u; a < ALPHA; a++) {
    let iy = y0 + i32(a);
    let row_ok = iy >= 0 && iy <= last_row;
    let row = plane + u32(clamp(iy, 0, last_row)) * p.width;
    if (ALIGNED) { // width % 4 == 0: whole vec4s, each inside or outside the image
      for (var k = 0u; k < M + 2u; k++) {
        let cx = i32(c0) + 4 * (i32(k) - 1);
        var q = x4[(row + u32(clamp(cx, 0, last_col))) / 4u];
        if (RELU_INPUT) { q = max(q, vec4f(0.0)); }
        q = select(vec4f(0.0), q, row_ok && cx >= 0 && cx <= last_col);
        if (k == 0u) { win[a * WINDOW] = q.w; } else if (k == M + 1u) { win[a * WINDOW + WINDOW - 1u] = q.x; } else {
          for (var j = 0u; j < 4u; j++) { win[a * WINDOW + 1u + (k - 1u) * 4u + j] = q[j]; }
        }
      }
    } else {
      for (var b = 0u; b < WINDOW; b++) {
        let ix = i32(c0 + b) - 1;
        var val = x[row + u32(clamp(ix, 0, last_col))];
        if (RELU_INPUT) { val = max(val, 0.0); }
        win[a * WINDOW + b] = select(0.0, val, row_ok && ix >= 0 && ix <= last_col);
      }
    }
  }
  return win;
}

fn apply(i: u32) {
  let tvecs = p.tiles_pad / 4u;
  let ci = i / tvecs;
  let t4 = i % tvecs;
  let win = input_window(ci, t4);
  var d: array<vec4f, POINTS>; // the four tiles' patches
  for (var a = 0u; a < ALPHA; a++) {
    for (var b = 0u; b < ALPHA; b++) {
      for (var q = 0u; q < 4u; q++) { d[a * ALPHA + b][q] = win[a * WINDOW + q * M + b]; }
    }
  }
  var bd: array<vec4f, POINTS>; // Bᵀ d
  for (var a = 0u; a < ALPHA; a++) {
    for (var b = 0u; b < ALPHA; b++) {
      var s = vec4f(0.0);
      for (var k = 0u; k < ALPHA; k++) { s += wino_bt(a, k) * d[k * ALPHA + b]; }
      bd[a * ALPHA + b] = s;
    }
  }
  for (var a = 0u; a < ALPHA; a++) {
    for (var b = 0u; b < ALPHA; b++) {
      var s = vec4f(0.0);
      for (var k = 0u; k < ALPHA; k++) { s += bd[a * ALPHA + k] * wino_bt(b, k); }
      v[((a * ALPHA + b) * p.cin + ci) * tvecs + t4] = s;
    }
  }
}

#include "lib/elementwise"
