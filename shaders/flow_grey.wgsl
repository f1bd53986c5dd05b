// Optical flow input: an image [1, C, H, W] (C = 3: RGB in 0..1; C = 1: grey in 0..1) as grey
// levels 0..255 (Rec. 601 luma), the range the TV-L1 parameters are stated for. One invocation
// per pixel.
struct Params { n: u32, channels: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> image: array<f32>;
@group(0) @binding(2) var<storage, read_write> grey: array<f32>;

fn apply(i: u32) {
  if (p.channels == 1u) {
    grey[i] = 255.0 * image[i];
    return;
  }
  grey[i] = 255.0 * (0.299 * image[i] + 0.587 * image[p.n + i] + 0.114 * image[2u * p.n + i]);
}

#include "lib/elementwise"
