// Winograd output transform for conv3x3 as conv3x3_winograd_output, storing vec4s: for widths that
// are multiples of 4, where a row of four tiles (4·M pixels from a multiple of 4·M) is M whole
// vec4s, each inside or outside the image. One invocation per (co, 4 tiles of a row).
struct Params { n: u32, cout: u32, cout_pad: u32, height: u32, width: u32, tiles_w: u32, tiles_h: u32, tile0: u32, tiles: u32, tiles_pad: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> m: array<vec4f>;
@group(0) @binding(2) var<storage, read> bias: array<f32>;
@group(0) @binding(3) var<storage, read_write> y: array<vec4f>;
@group(0) @binding(4) var<storage, read> mask: array<vec4f>;
@group(0) @binding(5) var<storage, read> mt: array<f32>; // the same buffer as m
#include "lib/winograd_output"

fn apply(i: u32) {
  let tvecs = p.tiles_pad / 4u;
  let co = i / tvecs;
  let t4 = i % tvecs;
  if (t4 * 4u >= p.tiles) { return; }
  let out = output_tiles(co, t4);
  for (var a = 0u; a < M; a++) {
    if (out.y0 + a >= p.height) { break; }
    for (var k = 0u; k < ROW / 4u; k++) {
      if (out.x0 + 4u * k < p.width) {
        let o = (out.base + a * p.width) / 4u + k;
        var val = vec4f(out.rows[a][4u * k], out.rows[a][4u * k + 1u], out.rows[a][4u * k + 2u], out.rows[a][4u * k + 3u]);
        if (MASK) { val = select(vec4f(0.0), val, mask[o] > vec4f(0.0)); }
        y[o] = val;
      }
    }
  }
}

#include "lib/elementwise"
