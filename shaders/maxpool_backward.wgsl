// 2×2 max-pool gradient: each output gradient goes to exactly one input, the window's first
// maximum in row-major order (the forward's choice). One invocation per input element: it
// re-finds its window's winner and takes dy if it is that winner, else 0 (no atomics, deterministic).
#include "lib/pool2x2"
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> dy: array<f32>;
@group(0) @binding(3) var<storage, read_write> dx: array<f32>;

fn apply(i: u32) {
  let col = i % p.width;
  let row = (i / p.width) % p.height;
  let plane = i / (p.width * p.height);
  let ox = col / 2u;
  let oy = row / 2u;
  if (ox >= p.out_w || oy >= p.out_h) {
    dx[i] = 0.0;
    return;
  }
  let base = window_base(plane, oy, ox);
  // The window's first maximum in row-major order, unrolled (a loop over an array of candidates
  // made the kernel 3× slower on lavapipe: the array lives in memory there).
  var winner = base;
  var m = x[base];
  let x1 = x[base + 1u];
  if (x1 > m) { m = x1; winner = base + 1u; }
  let x2 = x[base + p.width];
  if (x2 > m) { m = x2; winner = base + p.width; }
  let x3 = x[base + p.width + 1u];
  if (x3 > m) { winner = base + p.width + 1u; }
  dx[i] = select(0.0, dy[(plane * p.out_h + oy) * p.out_w + ox], winner == i);
}

#include "lib/elementwise"
