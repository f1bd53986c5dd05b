// RGB <-> YIQ (NTSC): luminance Y and two chroma axes, nearly decorrelated for natural images.
const TO_YIQ = mat3x3f(0.299, 0.595716, 0.211456, 0.587, -0.274453, -0.522591, 0.114, -0.321263, 0.311135);
const TO_RGB = mat3x3f(1.0, 1.0, 1.0, 0.9563, -0.2721, -1.107, 0.621, -0.6474, 1.7046);

// RGB -> YIQ with the chroma from the differences g - r and b - r (the I and Q rows sum to 0): a
// grey pixel's chroma is exactly 0. The matrix product leaves a rounding error of ~1e-8 there that
// varies with the grey level, which histogram matching (--color-transfer) would spread over a
// reference's whole chroma range: a grey image speckled with colours instead of one even tint.
fn rgb_to_yiq(v: vec3f) -> vec3f {
  return vec3f((TO_YIQ * v).x, TO_YIQ[1].yz * (v.y - v.x) + TO_YIQ[2].yz * (v.z - v.x));
}
