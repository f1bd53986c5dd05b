// Gram gradient: dX[b,i,k] = scale · Σ_j (dG[b,i,j] + dG[b,j,i]) · X[b,j,k], X viewed as
// [batch, C, N]. One invocation computes 4 rows i × 4 neighbouring columns k of dX.
struct Params { channels: u32, n: u32, scale: f32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> dg: array<f32>;
@group(0) @binding(3) var<storage, read_write> dx: array<f32>;

@compute @workgroup_size(8, 8, 1)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let c = p.channels;
  let k0 = gid.x * 4u;
  let i0 = gid.y * 4u;
  if (k0 >= p.n || i0 >= c) { return; }
  let xbase = gid.z * c * p.n;
  let gbase = gid.z * c * c;
  var rows: array<u32, 4>;
  for (var r = 0u; r < 4u; r++) { rows[r] = min(i0 + r, c - 1u); }
  var cols: array<u32, 4>;
  for (var s = 0u; s < 4u; s++) { cols[s] = min(k0 + s, p.n - 1u); }
  var acc: array<vec4f, 4>;
  for (var j = 0u; j < c; j++) {
    let xj = xbase + j * p.n;
    let xv = vec4f(x[xj + cols[0]], x[xj + cols[1]], x[xj + cols[2]], x[xj + cols[3]]);
    for (var r = 0u; r < 4u; r++) {
      let sym = dg[gbase + rows[r] * c + j] + dg[gbase + j * c + rows[r]];
      acc[r] += sym * xv;
    }
  }
  for (var r = 0u; r < 4u; r++) {
    if (i0 + r >= c) { break; }
    for (var s = 0u; s < 4u; s++) {
      if (k0 + s < p.n) { dx[xbase + (i0 + r) * p.n + k0 + s] = acc[r][s] * p.scale; }
    }
  }
}
