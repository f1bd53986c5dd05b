// Device-peak probe (bench only): C = A·B, row-major f32, M and N multiples of 8. One invocation
// computes an 8×8 block of C from registers (8 values of A, two vec4 of B per k), no workgroup memory.
struct Params { m: u32, n: u32, k: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<vec4f>;
@group(0) @binding(3) var<storage, read_write> c: array<vec4f>;

@compute @workgroup_size(8, 8)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let r0 = gid.y * 8u;
  let c4 = gid.x * 2u; // in vec4 units
  if (r0 >= p.m || c4 * 4u >= p.n) { return; }
  let n4 = p.n / 4u;
  var acc: array<array<vec4f, 2>, 8>;
  for (var k = 0u; k < p.k; k++) {
    let b0 = b[k * n4 + c4];
    let b1 = b[k * n4 + c4 + 1u];
    for (var i = 0u; i < 8u; i++) {
      let av = a[(r0 + i) * p.k + k];
      acc[i][0] += av * b0;
      acc[i][1] += av * b1;
    }
  }
  for (var i = 0u; i < 8u; i++) {
    c[(r0 + i) * n4 + c4] = acc[i][0];
    c[(r0 + i) * n4 + c4 + 1u] = acc[i][1];
  }
}
