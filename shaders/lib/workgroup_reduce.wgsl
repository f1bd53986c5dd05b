// Pieces every reduction shares: a Kahan-compensated running sum for an invocation's grid-strided
// slice, and the sum or max of one value per invocation over a workgroup of WORKGROUP_REDUCE_SIZE
// invocations, a tree in workgroup memory whose result every invocation gets. Call the workgroup
// functions in uniform control flow, from a shader whose @workgroup_size is WORKGROUP_REDUCE_SIZE.
const WORKGROUP_REDUCE_SIZE: u32 = 256u;
var<workgroup> reduce_tree: array<f32, WORKGROUP_REDUCE_SIZE>;

struct Compensated { sum: f32, error: f32 }

fn add_compensated(acc: ptr<function, Compensated>, v: f32) {
  let y = v - (*acc).error;
  let t = (*acc).sum + y;
  (*acc).error = (t - (*acc).sum) - y;
  (*acc).sum = t;
}

fn workgroup_sum(lid: u32, v: f32) -> f32 {
  reduce_tree[lid] = v;
  workgroupBarrier();
  for (var half = WORKGROUP_REDUCE_SIZE / 2u; half > 0u; half >>= 1u) {
    if (lid < half) {
      reduce_tree[lid] += reduce_tree[lid + half];
    }
    workgroupBarrier();
  }
  let total = reduce_tree[0];
  workgroupBarrier();
  return total;
}

fn workgroup_max(lid: u32, v: f32) -> f32 {
  reduce_tree[lid] = v;
  workgroupBarrier();
  for (var half = WORKGROUP_REDUCE_SIZE / 2u; half > 0u; half >>= 1u) {
    if (lid < half) {
      reduce_tree[lid] = max(reduce_tree[lid], reduce_tree[lid + half]);
    }
    workgroupBarrier();
  }
  let largest = reduce_tree[0];
  workgroupBarrier();
  return largest;
}
