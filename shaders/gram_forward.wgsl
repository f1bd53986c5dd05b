// Gram matrix G[b,i,j] = scale · Σ_k X[b,i,k] · X[b,j,k] for X viewed as [batch, C, N] (N = H·W);
// scale = 1/(C·H·W). One invocation computes a 4×4 block of G, rows and columns of X in registers;
// G is symmetric, so only blocks on or above the diagonal are computed, each written twice.
struct Params { channels: u32, n: u32, scale: f32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> g: array<f32>;

@compute @workgroup_size(8, 8, 1)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let c = p.channels;
  let i0 = gid.y * 4u;
  let j0 = gid.x * 4u;
  if (i0 >= c || j0 >= c || j0 < i0) { return; }
  let base = gid.z * c * p.n;
  var ri: array<u32, 4>;
  var rj: array<u32, 4>;
  for (var r = 0u; r < 4u; r++) {
    ri[r] = base + min(i0 + r, c - 1u) * p.n;
    rj[r] = base + min(j0 + r, c - 1u) * p.n;
  }
  var acc: array<vec4f, 4>;
  for (var k = 0u; k < p.n; k++) {
    let b = vec4f(x[rj[0] + k], x[rj[1] + k], x[rj[2] + k], x[rj[3] + k]);
    acc[0] += x[ri[0] + k] * b;
    acc[1] += x[ri[1] + k] * b;
    acc[2] += x[ri[2] + k] * b;
    acc[3] += x[ri[3] + k] * b;
  }
  let out = gid.z * c * c;
  for (var r = 0u; r < 4u; r++) {
    if (i0 + r >= c) { break; }
    for (var s = 0u; s < 4u; s++) {
      if (j0 + s < c) {
        let v = acc[r][s] * p.scale;
        g[out + (i0 + r) * c + j0 + s] = v;
        g[out + (j0 + s) * c + i0 + r] = v;
      }
    }
  }
}
