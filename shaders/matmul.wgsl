// out = alpha·op(A)·op(B) + beta·D + diag·I for row-major matrices, op(A) [m, k], op(B) [k, n]
// (op = transpose where trans_a / trans_b is 1; D [m, n] is read only when beta ≠ 0). One
// invocation computes a 4×4 block of out, rows of op(A) and columns of op(B) in registers.
struct Params { m: u32, n: u32, k: u32, trans_a: u32, trans_b: u32, alpha: f32, beta: f32, diag: f32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read> d: array<f32>;
@group(0) @binding(4) var<storage, read_write> out: array<f32>;

fn a_at(i: u32, kk: u32) -> f32 {
  if (p.trans_a != 0u) { return a[kk * p.m + i]; }
  return a[i * p.k + kk];
}

fn b_at(kk: u32, j: u32) -> f32 {
  if (p.trans_b != 0u) { return b[j * p.k + kk]; }
  return b[kk * p.n + j];
}

@compute @workgroup_size(8, 8, 1)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let i0 = gid.y * 4u;
  let j0 = gid.x * 4u;
  if (i0 >= p.m || j0 >= p.n) { return; }
  var ri: array<u32, 4>;
  var cj: array<u32, 4>;
  for (var r = 0u; r < 4u; r++) {
    ri[r] = min(i0 + r, p.m - 1u);
    cj[r] = min(j0 + r, p.n - 1u);
  }
  var acc: array<vec4f, 4>;
  for (var kk = 0u; kk < p.k; kk++) {
    let bv = vec4f(b_at(kk, cj[0]), b_at(kk, cj[1]), b_at(kk, cj[2]), b_at(kk, cj[3]));
    acc[0] += a_at(ri[0], kk) * bv;
    acc[1] += a_at(ri[1], kk) * bv;
    acc[2] += a_at(ri[2], kk) * bv;
    acc[3] += a_at(ri[3], kk) * bv;
  }
  for (var r = 0u; r < 4u; r++) {
    let i = i0 + r;
    if (i >= p.m) { break; }
    for (var s = 0u; s < 4u; s++) {
      let j = j0 + s;
      if (j >= p.n) { break; }
      var v = p.alpha * acc[r][s];
      if (p.beta != 0.0) { v += p.beta * d[i * p.n + j]; }
      if (i == j) { v += p.diag; }
      out[i * p.n + j] = v;
    }
  }
}
