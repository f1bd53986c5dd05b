// Device-peak probe (bench only): y = x over flat vec4 arrays, to measure memory bandwidth.
// One invocation per vec4.
struct Params { n: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<vec4f>;
@group(0) @binding(2) var<storage, read_write> y: array<vec4f>;

fn apply(i: u32) {
  y[i] = x[i];
}

#include "lib/elementwise"
