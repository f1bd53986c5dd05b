// A mask image's weights: 8-bit RGBA pixels (4 bytes per u32, row-major) -> [1, 1, H, W] f32 in
// [0, 1], the luma of RGB (Rec. 601: 0.299, 0.587, 0.114) times alpha, so white opaque = 1 and
// black or transparent = 0. One invocation per pixel.
struct Params { n: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> pixels: array<u32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;

fn apply(i: u32) {
  let rgba = unpack4x8unorm(pixels[i]);
  y[i] = dot(rgba.rgb, vec3f(0.299, 0.587, 0.114)) * rgba.a;
}

#include "lib/elementwise"
