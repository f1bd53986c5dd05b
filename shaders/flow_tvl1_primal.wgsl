// TV-L1 flow (Zach, Pock, Bischof 2007; Sánchez, Meinhardt-Llopis, Facciolo, IPOL 2013), the
// primal step of one iteration, in place on the flow u [2, H, W]: v = u + the thresholding of the
// linearised data term (data [3, H, W] = ∇I1w, rho_c), then u = v + theta·div(p) with p [4, H, W]
// the dual variables (p1 = (p[0], p[1]) for u1, p2 = (p[2], p[3]) for u2; backward differences,
// the adjoint of the forward-difference gradient). One invocation per pixel.
struct Params { n: u32, height: u32, width: u32, lambda_theta: f32, theta: f32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> data: array<f32>;
@group(0) @binding(2) var<storage, read> dual: array<f32>;
@group(0) @binding(3) var<storage, read_write> flow: array<f32>;

// div of the dual field (dual[a], dual[b]) at pixel i (col, row).
fn divergence(a: u32, b: u32, i: u32, col: u32, row: u32) -> f32 {
  var d = 0.0;
  if (col + 1u < p.width) { d += dual[a * p.n + i]; }
  if (col > 0u) { d -= dual[a * p.n + i - 1u]; }
  if (row + 1u < p.height) { d += dual[b * p.n + i]; }
  if (row > 0u) { d -= dual[b * p.n + i - p.width]; }
  return d;
}

fn apply(i: u32) {
  let col = i % p.width;
  let row = i / p.width;
  let g = vec2f(data[i], data[p.n + i]);
  let grad = dot(g, g);
  var u = vec2f(flow[i], flow[p.n + i]);
  let rho = data[2u * p.n + i] + dot(g, u);
  let lt = p.lambda_theta;
  if (rho < -lt * grad) {
    u += lt * g;
  } else if (rho > lt * grad) {
    u -= lt * g;
  } else if (grad > 1e-10) {
    u -= rho * g / grad;
  }
  flow[i] = u.x + p.theta * divergence(0u, 1u, i, col, row);
  flow[p.n + i] = u.y + p.theta * divergence(2u, 3u, i, col, row);
}

#include "lib/elementwise"
