// y = x · m(w): features x [N, C, H, W] times a region's map w [1, 1, H, W] broadcast over batch
// and channels, m(w) = w, or √w when `root` is 1 (the masked Gram: Gram(F ⊙ √w) = Σ_p w_p f_p f_pᵀ).
// Linear in x with w a constant, so it is its own backward (dx = dy · m(w)). `offset` is the flat
// index the chunk starts at (past one binding). One invocation per element.
struct Params { n: u32, plane: u32, offset: u32, root: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> w: array<f32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;

fn apply(i: u32) {
  let v = w[(p.offset + i) % p.plane];
  y[i] = x[i] * select(v, sqrt(v), p.root == 1u);
}

#include "lib/elementwise"
