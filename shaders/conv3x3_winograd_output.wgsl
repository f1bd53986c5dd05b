// Winograd output transform for conv3x3 (lib/winograd_output): four M×M output tiles of channel co,
// plus bias (HAS_BIAS), times [mask > 0] (MASK; mask has y's shape), stored where they lie inside
// y [N, Cout, H, W], one pixel at a time. One invocation per (co, 4 tiles of a row).
struct Params { n: u32, cout: u32, cout_pad: u32, height: u32, width: u32, tiles_w: u32, tiles_h: u32, tile0: u32, tiles: u32, tiles_pad: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> m: array<vec4f>;
@group(0) @binding(2) var<storage, read> bias: array<f32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;
@group(0) @binding(4) var<storage, read> mask: array<f32>;
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
    for (var j = 0u; j < ROW; j++) {
      if (out.x0 + j < p.width) {
        let o = out.base + a * p.width + j;
        var val = out.rows[a][j];
        if (MASK) { val = select(0.0, val, mask[o] > 0.0); }
        y[o] = val;
      }
    }
  }
}

#include "lib/elementwise"
