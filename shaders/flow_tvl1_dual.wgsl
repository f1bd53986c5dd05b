// TV-L1 flow, the dual step of one iteration, in place on p [4, H, W]: for each flow component
// u_k, p_k = (p_k + tau/theta · ∇u_k) / (1 + tau/theta · huber), projected onto the unit disc
// (Huber-TV, Werlberger et al. 2009; huber = 0: plain TV, Chambolle's projection). ∇ by forward
// differences (0 past the last column / row). One invocation per pixel.
struct Params { n: u32, height: u32, width: u32, tau_theta: f32, huber: f32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> flow: array<f32>;
@group(0) @binding(2) var<storage, read_write> dual: array<f32>;

fn forward_gradient(k: u32, i: u32, col: u32, row: u32) -> vec2f {
  let base = k * p.n + i;
  var g = vec2f(0.0);
  if (col + 1u < p.width) { g.x = flow[base + 1u] - flow[base]; }
  if (row + 1u < p.height) { g.y = flow[base + p.width] - flow[base]; }
  return g;
}

fn apply(i: u32) {
  let col = i % p.width;
  let row = i / p.width;
  for (var k = 0u; k < 2u; k++) {
    let g = forward_gradient(k, i, col, row);
    let a = 2u * k * p.n + i;
    let b = a + p.n;
    var q = (vec2f(dual[a], dual[b]) + p.tau_theta * g) / (1.0 + p.tau_theta * p.huber);
    q /= max(1.0, length(q));
    dual[a] = q.x;
    dual[b] = q.y;
  }
}

#include "lib/elementwise"
