// 2×2 max-pool gradient as maxpool_backward (each output gradient goes to its window's first
// maximum in row-major order), for widths that are multiples of 4: one invocation per vec4 of dx,
// which spans two windows of one row. It loads that row and the other row of its windows as
// vec4s, and the two windows' dy as a vec2, where maxpool_backward loads five values per element
// one lane at a time (on lavapipe 3× slower). Rows past the last window (odd heights) get zeros.
#include "lib/pool2x2"
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<vec4f>;
@group(0) @binding(2) var<storage, read> dy: array<vec2f>;
@group(0) @binding(3) var<storage, read_write> dx: array<vec4f>;

// The gradient of the window whose top row is (a, b) and bottom row (c, d) at the position
// `pick` (0..3 in row-major order): g if that position holds the first maximum, else 0.
fn routed(a: f32, b: f32, c: f32, d: f32, g: f32, pick: u32) -> f32 {
  var winner = 0u;
  var m = a;
  if (b > m) { m = b; winner = 1u; }
  if (c > m) { m = c; winner = 2u; }
  if (d > m) { winner = 3u; }
  return select(0.0, g, winner == pick);
}

fn apply(i: u32) {
  let vecs = p.width / 4u;
  let col4 = i % vecs;
  let row = (i / vecs) % p.height;
  let plane = i / (vecs * p.height);
  let oy = row / 2u;
  if (oy >= p.out_h) {
    dx[i] = vec4f(0.0);
    return;
  }
  let top = x[((plane * p.height + 2u * oy) * p.width) / 4u + col4];
  let bottom = x[((plane * p.height + 2u * oy + 1u) * p.width) / 4u + col4];
  let g = dy[((plane * p.out_h + oy) * p.out_w) / 2u + col4];
  let lower = row % 2u; // 0: this row is the windows' top row, 1: their bottom row
  dx[i] = vec4f(
    routed(top.x, top.y, bottom.x, bottom.y, g.x, 2u * lower),
    routed(top.x, top.y, bottom.x, bottom.y, g.x, 2u * lower + 1u),
    routed(top.z, top.w, bottom.z, bottom.w, g.y, 2u * lower),
    routed(top.z, top.w, bottom.z, bottom.w, g.y, 2u * lower + 1u),
  );
}

#include "lib/elementwise"
