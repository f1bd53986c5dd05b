// Winograd weight transform for conv3x3 (lib/winograd): u[ξ, ci, co] = (G w[co, ci] Gᵀ)[ξ] for the
// ALPHA² points ξ, laid out [POINTS, Cin, cout_pad] so that the GEMM loads 4 output channels at
// once; channels co ≥ Cout are zeros. One invocation per (ci, 4 channels co), storing vec4s:
// neighbouring invocations take neighbouring channels co, so their stores are contiguous (with ci
// varying fastest they were a stride of cout_pad apart, and the transform took longer than the GEMM
// at 16×16 px on lavapipe).
struct Params { n: u32, cin: u32, cout: u32, cout_pad: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> w: array<f32>;
@group(0) @binding(2) var<storage, read_write> u: array<vec4f>;

const M: u32 = 2u;
#include "lib/winograd"

fn apply(i: u32) {
  let co4s = p.cout_pad / 4u;
  let co4 = i % co4s;
  let ci = i / co4s;
  var g: array<vec4f, 9>; // the taps of channels 4·co4 .. 4·co4+3
  for (var j = 0u; j < 4u; j++) {
    let co = co4 * 4u + j;
    if (co < p.cout) {
      for (var k = 0u; k < 9u; k++) { g[k][j] = w[(co * p.cin + ci) * 9u + k]; }
    }
  }
  var gg: array<vec4f, ALPHA * 3u>; // G g: ALPHA × 3
  for (var a = 0u; a < ALPHA; a++) {
    for (var c = 0u; c < 3u; c++) {
      gg[a * 3u + c] = wino_g(a, 0u) * g[c] + wino_g(a, 1u) * g[3u + c] + wino_g(a, 2u) * g[6u + c];
    }
  }
  for (var a = 0u; a < ALPHA; a++) {
    for (var b = 0u; b < ALPHA; b++) {
      let v = gg[a * 3u] * wino_g(b, 0u) + gg[a * 3u + 1u] * wino_g(b, 1u) + gg[a * 3u + 2u] * wino_g(b, 2u);
      u[((a * ALPHA + b) * p.cin + ci) * (p.cout_pad / 4u) + co4] = v;
    }
  }
}

#include "lib/elementwise"
