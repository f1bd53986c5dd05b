// Shared by the 2×2, stride-2 pooling kernels: NCHW viewed as (planes, H, W), output
// (planes, out_h, out_w); odd sizes floor (the last row/column is dropped, as in PyTorch).
// The including shader declares the uniform `p: Params`.
struct Params { n: u32, height: u32, width: u32, out_h: u32, out_w: u32 }

// Flat index of the top-left input of output (plane, oy, ox)'s window.
fn window_base(plane: u32, oy: u32, ox: u32) -> u32 {
  return (plane * p.height + 2u * oy) * p.width + 2u * ox;
}

// The same for the flat output index o.
fn output_window(o: u32) -> u32 {
  return window_base(o / (p.out_w * p.out_h), (o / p.out_w) % p.out_h, o % p.out_w);
}
