// Pieces the histogram kernels share: a channel's position t in [0, bins] between its minimum and
// maximum, and the bin it falls in. range holds [min, max] per channel; a constant channel
// (max <= min) has every value in bin 0.
fn histogram_position(v: f32, lo: f32, hi: f32, bins: u32) -> f32 {
  if (hi <= lo) { return 0.0; }
  return clamp((v - lo) / (hi - lo) * f32(bins), 0.0, f32(bins));
}

fn histogram_bin(t: f32, bins: u32) -> u32 {
  return min(bins - 1u, u32(floor(t)));
}
