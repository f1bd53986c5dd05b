// The bilinear sample of the warp out(x) = image(x + flow(x)), in one place so that warp_forward,
// its gradient warp_backward and the consistency check (flow_consistency) always agree: for output
// pixel `pixel` of a plane [height, width], the four taps (flat indices within the plane) and their
// weights. The sample point is clamped to [0, W − 1] × [0, H − 1] (a point outside reads the
// nearest border pixel). A flow component that is not finite (NaN or ±Inf, from a hostile flow)
// counts as 0 — tested on the bits, since a compiler may assume no NaN — so a finite image never
// warps to NaN: a pixel the consistency check gives c = 0 then weighs 0, not 0·NaN. The including
// shader declares `p` (height, width) and `flow` ([2, H, W], u then v).
struct Taps { index: vec4u, weight: vec4f }

// Whether v is finite, on its bits (all-ones exponent: NaN or ±Inf).
fn is_finite(v: f32) -> bool {
  return (bitcast<u32>(v) & 0x7f800000u) != 0x7f800000u;
}

fn finite_or_zero(v: f32) -> f32 {
  return select(0.0, v, is_finite(v));
}

fn warp_taps(pixel: u32) -> Taps {
  let plane = p.height * p.width;
  let col = pixel % p.width;
  let row = pixel / p.width;
  let sx = clamp(f32(col) + finite_or_zero(flow[pixel]), 0.0, f32(p.width - 1u));
  let sy = clamp(f32(row) + finite_or_zero(flow[plane + pixel]), 0.0, f32(p.height - 1u));
  let x0 = min(u32(floor(sx)), p.width - 1u);
  let y0 = min(u32(floor(sy)), p.height - 1u);
  let x1 = min(x0 + 1u, p.width - 1u);
  let y1 = min(y0 + 1u, p.height - 1u);
  let tx = sx - f32(x0);
  let ty = sy - f32(y0);
  return Taps(
    vec4u(y0 * p.width + x0, y0 * p.width + x1, y1 * p.width + x0, y1 * p.width + x1),
    vec4f((1.0 - tx) * (1.0 - ty), tx * (1.0 - ty), (1.0 - tx) * ty, tx * ty),
  );
}
