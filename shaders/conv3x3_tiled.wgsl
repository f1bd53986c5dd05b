// 3×3 convolution (see lib/conv3x3: formula, fusions, input gradient on flipped weights) as a tiled
// implicit GEMM for GPUs: a workgroup computes CO_TILE output channels × a TILE_H × TILE_W pixel
// tile, staging CI_CHUNK input channels of the tile (with its 1-pixel halo) and their weights in
// workgroup memory; each invocation accumulates CO_R channels × ROWS_R rows × 4 pixels in registers.
// No subgroup operations: any subgroup size, or none.
#include "lib/conv3x3"

// A variant (src/kernels/conv3x3_tiled.ts) sets these; WG must equal the product below.
const TILE_W: u32 = 16u;
const TILE_H: u32 = 8u;
const CO_TILE: u32 = 64u;
const CI_CHUNK: u32 = 4u;
const CO_R: u32 = 8u;
const ROWS_R: u32 = 2u;
const WG: u32 = 128u;

const PX_GROUPS: u32 = TILE_W / 4u;
const ROW_GROUPS: u32 = TILE_H / ROWS_R;
const HALO_H: u32 = TILE_H + 2u;
// A staged row holds TILE_W + 2 pixels padded to whole vec4s, so that pixel group g reads its
// 6-pixel window as the vec4s g and g + 1.
const PITCH4: u32 = PX_GROUPS + 1u;
const IN_VEC4S: u32 = CI_CHUNK * HALO_H * PITCH4;
const CO4: u32 = CO_TILE / 4u;
const W_VEC4S: u32 = CI_CHUNK * 9u * CO4;
const_assert WG == (CO_TILE / CO_R) * PX_GROUPS * ROW_GROUPS;
const_assert TILE_W % 4u == 0u && CO_R % 4u == 0u && CO_TILE % CO_R == 0u && TILE_H % ROWS_R == 0u;

// xs[(ci · HALO_H + row) · PITCH4 + col / 4][col % 4] = in(x[n, c0 + ci, ty0 + row - 1, tx0 + col - 1]).
var<workgroup> xs: array<vec4f, IN_VEC4S>;
// ws[(ci · 9 + ky · 3 + kx) · CO4 + co / 4][co % 4] = w[co0 + co, c0 + ci, ky, kx]: 4 channels a load.
var<workgroup> ws: array<vec4f, W_VEC4S>;

// Zero outside the image and past the last channel, so partial tiles need no test in the inner loop.
fn stage_inputs(n: u32, c0: u32, tx0: u32, ty0: u32, lid: u32) {
  let row_len = PITCH4 * 4u;
  for (var e = lid; e < IN_VEC4S * 4u; e += WG) {
    let col = e % row_len;
    let row = (e / row_len) % HALO_H;
    let ci = c0 + e / (row_len * HALO_H);
    let iy = i32(ty0 + row) - 1;
    let ix = i32(tx0 + col) - 1;
    var v = 0.0;
    if (ci < p.cin && iy >= 0 && iy < i32(p.height) && ix >= 0 && ix < i32(p.width)) {
      v = x[((n * p.cin + ci) * p.height + u32(iy)) * p.width + u32(ix)];
    }
    if (RELU_INPUT) { v = max(v, 0.0); }
    xs[e / 4u][e % 4u] = v;
  }
}

// e runs over (channel, ci · 9 + tap) in the weights' own order, so neighbouring invocations read
// neighbouring weights.
fn stage_weights(c0: u32, co0: u32, lid: u32) {
  for (var e = lid; e < W_VEC4S * 4u; e += WG) {
    let co = e / (CI_CHUNK * 9u);
    let r = e % (CI_CHUNK * 9u);
    var v = 0.0;
    if (co0 + co < p.cout && c0 + r / 9u < p.cin) { v = w[((co0 + co) * p.cin + c0) * 9u + r]; }
    ws[r * CO4 + co / 4u][co % 4u] = v;
  }
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  let tiles_x = (p.width + TILE_W - 1u) / TILE_W;
  let tx0 = (wid.x % tiles_x) * TILE_W;
  let ty0 = (wid.x / tiles_x) * TILE_H;
  let co0 = wid.y * CO_TILE;
  let n = wid.z;
  // Pixel group fastest: neighbouring invocations read neighbouring pixels and the same weights.
  let pg = lid % PX_GROUPS;
  let rg = (lid / PX_GROUPS) % ROW_GROUPS;
  let cg = lid / (PX_GROUPS * ROW_GROUPS);

  var acc: array<array<vec4f, ROWS_R>, CO_R>;
  for (var c0 = 0u; c0 < p.cin; c0 += CI_CHUNK) {
    stage_inputs(n, c0, tx0, ty0, lid);
    stage_weights(c0, co0, lid);
    workgroupBarrier();
    for (var ci = 0u; ci < CI_CHUNK; ci++) {
      // Staged row t of this invocation's ROWS_R + 2 serves output row rr through kernel row t - rr.
      for (var t = 0u; t < ROWS_R + 2u; t++) {
        let at = (ci * HALO_H + rg * ROWS_R + t) * PITCH4 + pg;
        let a = xs[at];
        let b = xs[at + 1u];
        let v0 = a;
        let v1 = vec4f(a.yzw, b.x);
        let v2 = vec4f(a.zw, b.xy);
        for (var rr = 0u; rr < ROWS_R; rr++) {
          if (t < rr || t > rr + 2u) { continue; }
          let k = (ci * 9u + (t - rr) * 3u) * CO4 + cg * (CO_R / 4u);
          for (var c4 = 0u; c4 < CO_R / 4u; c4++) {
            let w0 = ws[k + c4];
            let w1 = ws[k + CO4 + c4];
            let w2 = ws[k + 2u * CO4 + c4];
            for (var c = 0u; c < 4u; c++) {
              acc[c4 * 4u + c][rr] += w0[c] * v0 + w1[c] * v1 + w2[c] * v2;
            }
          }
        }
      }
    }
    workgroupBarrier(); // the next chunk's staging overwrites what slower invocations still read
  }

  for (var j = 0u; j < CO_R; j++) {
    let co = co0 + cg * CO_R + j;
    if (co >= p.cout) { break; }
    var b = 0.0;
    if (HAS_BIAS) { b = bias[co]; }
    for (var rr = 0u; rr < ROWS_R; rr++) {
      let row = ty0 + rg * ROWS_R + rr;
      if (row >= p.height) { break; }
      let out = ((n * p.cout + co) * p.height + row) * p.width;
      for (var k = 0u; k < 4u; k++) {
        let col = tx0 + pg * 4u + k;
        if (col < p.width) {
          var v = acc[j][rr][k] + b;
          if (MASK) { v = select(0.0, v, mask[out + col] > 0.0); }
          y[out + col] = v;
        }
      }
    }
  }
}
