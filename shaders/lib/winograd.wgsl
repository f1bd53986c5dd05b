// Winograd minimal filtering F(M×M, 3×3) (Lavin & Gray 2015), M = 2 or 4 (the including shader
// declares `const M: u32`), tiles of ALPHA = M + 2 pixels: U = G g Gᵀ (weights), V = Bᵀ d B
// (input tiles), Y = Aᵀ (U ⊙ V summed over input channels) A (output tiles). Matrices row-major.
// F(4×4) uses the points 0, ±1, ±2, ∞; F(2×2) the points 0, ±1, ∞.
const ALPHA: u32 = M + 2u;
const POINTS: u32 = ALPHA * ALPHA;

const BT2 = array<f32, 16>(1.0, 0.0, -1.0, 0.0,
                           0.0, 1.0, 1.0, 0.0,
                           0.0, -1.0, 1.0, 0.0,
                           0.0, 1.0, 0.0, -1.0);
const G2 = array<f32, 12>(1.0, 0.0, 0.0,
                          0.5, 0.5, 0.5,
                          0.5, -0.5, 0.5,
                          0.0, 0.0, 1.0);
const AT2 = array<f32, 8>(1.0, 1.0, 1.0, 0.0,
                          0.0, 1.0, -1.0, -1.0);

const BT4 = array<f32, 36>(4.0, 0.0, -5.0, 0.0, 1.0, 0.0,
                           0.0, -4.0, -4.0, 1.0, 1.0, 0.0,
                           0.0, 4.0, -4.0, -1.0, 1.0, 0.0,
                           0.0, -2.0, -1.0, 2.0, 1.0, 0.0,
                           0.0, 2.0, -1.0, -2.0, 1.0, 0.0,
                           0.0, 4.0, 0.0, -5.0, 0.0, 1.0);
const G4 = array<f32, 18>(0.25, 0.0, 0.0,
                          -1.0 / 6.0, -1.0 / 6.0, -1.0 / 6.0,
                          -1.0 / 6.0, 1.0 / 6.0, -1.0 / 6.0,
                          1.0 / 24.0, 1.0 / 12.0, 1.0 / 6.0,
                          1.0 / 24.0, -1.0 / 12.0, 1.0 / 6.0,
                          0.0, 0.0, 1.0);
const AT4 = array<f32, 24>(1.0, 1.0, 1.0, 1.0, 1.0, 0.0,
                           0.0, 1.0, -1.0, 2.0, -2.0, 0.0,
                           0.0, 1.0, 1.0, 4.0, 4.0, 0.0,
                           0.0, 1.0, -1.0, 8.0, -8.0, 1.0);

// Bᵀ[i][j], i, j < ALPHA.
fn wino_bt(i: u32, j: u32) -> f32 {
  if (M == 2u) { return BT2[i * 4u + j]; }
  return BT4[i * 6u + j];
}

// G[i][k], i < ALPHA, k < 3.
fn wino_g(i: u32, k: u32) -> f32 {
  if (M == 2u) { return G2[i * 3u + k]; }
  return G4[i * 3u + k];
}

// Aᵀ[i][j], i < M, j < ALPHA.
fn wino_at(i: u32, j: u32) -> f32 {
  if (M == 2u) { return AT2[i * 4u + j]; }
  return AT4[i * 6u + j];
}
