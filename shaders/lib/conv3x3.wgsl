// Shared by conv3x3_forward and conv3x3_forward_subgroup: 3×3 convolution, stride 1, zero
// padding 1, NCHW, weights [Cout, Cin, 3, 3]:
// y[n,co,r,c] = (bias[co] + Σ_{ci,ky,kx} w[co,ci,ky,kx] · in(x[n,ci,r+ky-1,c+kx-1])) · m[n,co,r,c],
// in = ReLU when RELU_INPUT is set (the previous layer's ReLU, applied as the input is loaded),
// else the identity; m = [mask > 0] when MASK is set (the ReLU's gradient, applied as the input
// gradient of a RELU_INPUT conv is stored), else 1.
// One invocation computes CO_BLOCK output channels × PX_BLOCK neighbouring pixels of one row,
// holding a (PX_BLOCK + 2)-pixel input window in registers. Also the input gradient, run on
// flipped weights (src/kernels/conv3x3.ts). The window loads stay scalar: vec4 loads gained
// nothing here, unlike in the Gram kernels.
struct Params { batch: u32, cin: u32, cout: u32, height: u32, width: u32 }
override HAS_BIAS: bool = true;
override RELU_INPUT: bool = false;
override MASK: bool = false;
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> w: array<f32>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read_write> y: array<f32>;
@group(0) @binding(5) var<storage, read> mask: array<f32>; // the shape of y, with MASK

const CO_BLOCK: u32 = 8u;
const PX_VECS: u32 = 2u;
const PX_BLOCK: u32 = 4u * PX_VECS;
const WINDOW: u32 = PX_BLOCK + 2u;

alias Accumulators = array<array<vec4f, PX_VECS>, CO_BLOCK>;

// The input pixels x0-1 .. x0+PX_BLOCK of the row starting at x[xrow] (zero outside the image,
// and everywhere when !row_ok) as three vec4 groups, one per kernel column kx.
struct Taps { v0: array<vec4f, PX_VECS>, v1: array<vec4f, PX_VECS>, v2: array<vec4f, PX_VECS> }

fn input_taps(xrow: u32, x0: u32, row_ok: bool) -> Taps {
  let last_col = i32(p.width) - 1;
  var win: array<f32, WINDOW>;
  for (var k = 0u; k < WINDOW; k++) {
    let ix = i32(x0) + i32(k) - 1;
    var v = x[xrow + u32(clamp(ix, 0, last_col))];
    if (RELU_INPUT) { v = max(v, 0.0); }
    win[k] = select(0.0, v, row_ok && ix >= 0 && ix <= last_col);
  }
  var t: Taps;
  for (var q = 0u; q < PX_VECS; q++) {
    let b = q * 4u;
    t.v0[q] = vec4f(win[b], win[b + 1u], win[b + 2u], win[b + 3u]);
    t.v1[q] = vec4f(win[b + 1u], win[b + 2u], win[b + 3u], win[b + 4u]);
    t.v2[q] = vec4f(win[b + 2u], win[b + 3u], win[b + 4u], win[b + 5u]);
  }
  return t;
}

// Writes the block at (n, co0.., row, x0..) with bias and mask, skipping what lies outside.
fn store_outputs(acc: ptr<function, Accumulators>, n: u32, co0: u32, row: u32, x0: u32) {
  for (var j = 0u; j < CO_BLOCK; j++) {
    let co = co0 + j;
    if (co >= p.cout) { break; }
    var b = 0.0;
    if (HAS_BIAS) { b = bias[co]; }
    let out = ((n * p.cout + co) * p.height + row) * p.width + x0;
    for (var k = 0u; k < PX_BLOCK; k++) {
      if (x0 + k < p.width) {
        var v = (*acc)[j][k / 4u][k % 4u] + b;
        if (MASK) { v = select(0.0, v, mask[out + k] > 0.0); }
        y[out + k] = v;
      }
    }
  }
}
