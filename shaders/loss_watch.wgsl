// Remembers, on the device, the first evaluation whose total loss is not finite, so that a run
// that reads its losses only now and then still learns where it diverged. losses: content, style,
// TV, total; record: [first such step (0: none yet), its loss]. One invocation.
struct Params { step: f32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> losses: array<f32>;
@group(0) @binding(2) var<storage, read_write> record: array<f32>;

// By the bits: a compiler may fold x != x away.
fn finite(x: f32) -> bool {
  return (bitcast<u32>(x) & 0x7f800000u) != 0x7f800000u;
}

@compute @workgroup_size(1)
fn main() {
  if (record[0] == 0.0 && !finite(losses[3])) {
    record[0] = p.step;
    record[1] = losses[3];
  }
}
