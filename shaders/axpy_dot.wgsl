// One pass of the L-BFGS two-loop recursion, so that a history of m pairs costs about 2·m
// dispatches and no read-back. Each workgroup first finishes the inner product `fresh` whose
// per-workgroup partial sums the previous pass left in prev[0 .. prev_count) (0 when there are
// none; workgroup 0 also stores it in s[store]), then over its grid-strided slice of the n
// elements sets y ← b·y + c·(s[i] − fresh)·x (y is not read when b is 0) and, with `with_next`,
// writes the partial sum of z·y (Kahan-compensated) to next[workgroup].
struct Params { n: u32, prev_count: u32, with_next: u32, b: f32, c: f32, i: u32, store: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> s: array<f32>;
@group(0) @binding(2) var<storage, read> prev: array<f32>;
@group(0) @binding(3) var<storage, read> x: array<f32>;
@group(0) @binding(4) var<storage, read> z: array<f32>;
@group(0) @binding(5) var<storage, read_write> y: array<f32>;
@group(0) @binding(6) var<storage, read_write> next: array<f32>;

#include "lib/workgroup_reduce"

@compute @workgroup_size(WORKGROUP_REDUCE_SIZE)
fn main(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3u,
        @builtin(num_workgroups) nwg: vec3u) {
  var part = 0.0;
  for (var k = lid; k < p.prev_count; k += WORKGROUP_REDUCE_SIZE) {
    part += prev[k];
  }
  let fresh = workgroup_sum(lid, part);
  if (wid.x == 0u && lid == 0u && p.prev_count > 0u) {
    s[p.store] = fresh;
  }
  let a = p.c * (s[p.i] - fresh);
  var acc = Compensated(0.0, 0.0);
  for (var e = wid.x * WORKGROUP_REDUCE_SIZE + lid; e < p.n; e += nwg.x * WORKGROUP_REDUCE_SIZE) {
    var v = a * x[e];
    if (p.b != 0.0) {
      v += p.b * y[e];
    }
    y[e] = v;
    if (p.with_next != 0u) {
      add_compensated(&acc, z[e] * v);
    }
  }
  if (p.with_next != 0u) {
    let total = workgroup_sum(lid, acc.sum);
    if (lid == 0u) {
      next[wid.x] = total;
    }
  }
}
