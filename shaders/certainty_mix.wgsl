// A video frame's starting image: out = c·warped + (1 − c)·content, the certainty c [1, 1, H, W]
// broadcast over batch and channels (element i of a chunk starting at flat index `offset` reads
// c[(offset + i) mod plane]), so disoccluded pixels (c = 0) come from the content. One invocation per element.
struct Params { n: u32, plane: u32, offset: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> warped: array<f32>;
@group(0) @binding(2) var<storage, read> content: array<f32>;
@group(0) @binding(3) var<storage, read> certainty: array<f32>;
@group(0) @binding(4) var<storage, read_write> out: array<f32>;

fn apply(i: u32) {
  let c = certainty[(p.offset + i) % p.plane];
  out[i] = c * warped[i] + (1.0 - c) * content[i];
}

#include "lib/elementwise"
