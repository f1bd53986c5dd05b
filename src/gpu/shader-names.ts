// Generated from shaders/ by scripts/gen-shader-names.ts; do not edit.

export const SHADER_NAMES = [
  'adam_step',
  'avgpool_backward',
  'avgpool_forward',
  'axpby',
  'axpy_dot',
  'bench_copy',
  'bench_matmul',
  'certainty_long_term',
  'certainty_mix',
  'channel_affine_backward',
  'channel_affine_forward',
  'color_yiq',
  'conv3x3_flip_weights',
  'conv3x3_forward',
  'conv3x3_forward_subgroup',
  'conv3x3_tiled',
  'conv3x3_weight_grad',
  'conv3x3_winograd_gemm',
  'conv3x3_winograd_gemm_subgroup',
  'conv3x3_winograd_input',
  'conv3x3_winograd_output',
  'conv3x3_winograd_output_vec4',
  'conv3x3_winograd_weights',
  'dot',
  'flow_consistency',
  'flow_grey',
  'flow_smooth',
  'flow_tvl1_dual',
  'flow_tvl1_primal',
  'flow_upsample',
  'flow_warp_data',
  'gram_backward',
  'gram_backward_subgroup',
  'gram_forward',
  'gram_forward_subgroup',
  'gram_reduce',
  'gram_symmetrize',
  'histogram_cdf',
  'histogram_quantiles',
  'histogram_remap',
  'image_reduce',
  'loss_watch',
  'mask_luma',
  'mask_scale',
  'matmul',
  'matrix_trace',
  'matrix_trace_backward',
  'maxpool_backward',
  'maxpool_backward_vec4',
  'maxpool_forward',
  'moments_backward',
  'moments_forward',
  'moments_std',
  'moments_std_backward',
  'mse_backward',
  'mse_forward',
  'norms',
  'original_colors',
  'reduce_sum',
  'relu_backward',
  'relu_forward',
  'resize_axis',
  'scale_by_power',
  'temporal_loss_backward',
  'temporal_loss_forward',
  'tv_backward',
  'tv_forward',
  'warp_backward',
  'warp_forward',
] as const;

/** A kernel: a shader in shaders/ (the file name without .wgsl). */
export type ShaderName = (typeof SHADER_NAMES)[number];

type Vec4 = readonly [number, number, number, number];

/** Each kernel's `struct Params` fields by name: a number per scalar, a tuple per vector. */
export interface ShaderParams {
  adam_step: { n: number; lr: number; beta1: number; beta2: number; eps: number; bc1: number; bc2: number };
  avgpool_backward: { n: number; height: number; width: number; out_h: number; out_w: number };
  avgpool_forward: { n: number; height: number; width: number; out_h: number; out_w: number };
  axpby: { n: number; a: number; b: number };
  axpy_dot: { n: number; prev_count: number; with_next: number; b: number; c: number; i: number; store: number };
  bench_copy: { n: number };
  bench_matmul: { m: number; n: number; k: number };
  certainty_long_term: { n: number };
  certainty_mix: { n: number; plane: number; offset: number };
  channel_affine_backward: { n: number; plane: number; inverse: Vec4; a: Vec4 };
  channel_affine_forward: { n: number; plane: number; lo: number; hi: number; perm: Vec4; a: Vec4; b: Vec4 };
  color_yiq: { n: number; plane: number; to_rgb: number };
  conv3x3_flip_weights: { n: number; cin: number; cout: number };
  conv3x3_forward: { batch: number; cin: number; cout: number; height: number; width: number };
  conv3x3_forward_subgroup: { batch: number; cin: number; cout: number; height: number; width: number };
  conv3x3_tiled: { batch: number; cin: number; cout: number; height: number; width: number };
  conv3x3_weight_grad: { batch: number; cin: number; cout: number; height: number; width: number };
  conv3x3_winograd_gemm: { cin: number; cout_pad: number; tiles_pad: number };
  conv3x3_winograd_gemm_subgroup: { cin: number; cout_pad: number; tiles_pad: number };
  conv3x3_winograd_input: { n: number; cin: number; height: number; width: number; tiles_w: number; tiles_h: number; tile0: number; tiles: number; tiles_pad: number };
  conv3x3_winograd_output: { n: number; cout: number; cout_pad: number; height: number; width: number; tiles_w: number; tiles_h: number; tile0: number; tiles: number; tiles_pad: number };
  conv3x3_winograd_output_vec4: { n: number; cout: number; cout_pad: number; height: number; width: number; tiles_w: number; tiles_h: number; tile0: number; tiles: number; tiles_pad: number };
  conv3x3_winograd_weights: { n: number; cin: number; cout: number; cout_pad: number };
  dot: { n: number; scale: number };
  flow_consistency: { n: number; height: number; width: number };
  flow_grey: { n: number; channels: number };
  flow_smooth: { n: number; height: number; width: number };
  flow_tvl1_dual: { n: number; height: number; width: number; tau_theta: number; huber: number };
  flow_tvl1_primal: { n: number; height: number; width: number; lambda_theta: number; theta: number };
  flow_upsample: { n: number; height: number; width: number; coarse_h: number; coarse_w: number };
  flow_warp_data: { n: number; height: number; width: number };
  gram_backward: { channels: number; n: number; scale: number };
  gram_backward_subgroup: { channels: number; n: number };
  gram_forward: { channels: number; n: number; scale: number };
  gram_forward_subgroup: { channels: number; n: number; chunk: number; splits: number; scale: number };
  gram_reduce: { n: number; entries: number; splits: number };
  gram_symmetrize: { n: number; channels: number; scale: number };
  histogram_cdf: { plane: number; channel0: number };
  histogram_quantiles: { n: number; quantiles: number; bins: number };
  histogram_remap: { n: number; plane: number; offset: number; quantiles: number; bins: number };
  image_reduce: { n: number; in_w: number; in_h: number; out_w: number; out_h: number; row0: number; rows: number; col0: number; cols: number; out_row0: number; out_col0: number; out_cols: number; y_row0: number; y_rows: number };
  loss_watch: { step: number };
  mask_luma: { n: number };
  mask_scale: { n: number; plane: number; offset: number; root: number };
  matmul: { m: number; n: number; k: number; trans_a: number; trans_b: number; alpha: number; beta: number; diag: number };
  matrix_trace: { channels: number; scale: number; has_offset: number };
  matrix_trace_backward: { n: number; channels: number; scale: number };
  maxpool_backward: { n: number; height: number; width: number; out_h: number; out_w: number };
  maxpool_backward_vec4: { n: number; height: number; width: number; out_h: number; out_w: number };
  maxpool_forward: { n: number; height: number; width: number; out_h: number; out_w: number };
  moments_backward: { n: number; channels: number; pixels: number; orders: number; weighted: number; scale: number };
  moments_forward: { channels: number; pixels: number; orders: number; weighted: number; scale: number };
  moments_std: { n: number; eps: number };
  moments_std_backward: { n: number; eps: number };
  mse_backward: { n: number; coefficient: number };
  mse_forward: { n: number; scale: number };
  norms: { n: number; pairs: number; offset: number };
  original_colors: { n: number; plane: number };
  reduce_sum: { n: number; scale: number };
  relu_backward: { n: number };
  relu_forward: { n: number };
  resize_axis: { n: number; len_in: number; len_out: number; inner: number };
  scale_by_power: { n: number; exponent: number };
  temporal_loss_backward: { n: number; plane: number; offset: number; coefficient: number };
  temporal_loss_forward: { n: number; scale: number; plane: number; offset: number };
  tv_backward: { n: number; height: number; width: number; wx: number; wy: number };
  tv_forward: { n: number; scale: number; height: number; width: number; wx: number; wy: number };
  warp_backward: { n: number; height: number; width: number };
  warp_forward: { n: number; height: number; width: number };
}

/**
 * Each kernel's @workgroup_size: a number per dimension fixed in its WGSL, or [name, value] for
 * one given by a `const` (value unless a variant's consts specialise it). ShaderLibrary reads
 * the same from the text; this copy serves contexts without shader sources (src/gpu/counting.ts).
 */
export const WORKGROUP_SIZES: { readonly [K in ShaderName]: readonly [WorkgroupDim, WorkgroupDim, WorkgroupDim] } = {
  adam_step: [['ELEMENTWISE_WG', 256], 1, 1],
  avgpool_backward: [['ELEMENTWISE_WG', 256], 1, 1],
  avgpool_forward: [['ELEMENTWISE_WG', 256], 1, 1],
  axpby: [['ELEMENTWISE_WG', 256], 1, 1],
  axpy_dot: [['WORKGROUP_REDUCE_SIZE', 256], 1, 1],
  bench_copy: [['ELEMENTWISE_WG', 256], 1, 1],
  bench_matmul: [8, 8, 1],
  certainty_long_term: [['ELEMENTWISE_WG', 256], 1, 1],
  certainty_mix: [['ELEMENTWISE_WG', 256], 1, 1],
  channel_affine_backward: [['ELEMENTWISE_WG', 256], 1, 1],
  channel_affine_forward: [['ELEMENTWISE_WG', 256], 1, 1],
  color_yiq: [['ELEMENTWISE_WG', 256], 1, 1],
  conv3x3_flip_weights: [['ELEMENTWISE_WG', 256], 1, 1],
  conv3x3_forward: [['WG', 64], 1, 1],
  conv3x3_forward_subgroup: [['WG', 8], 1, 1],
  conv3x3_tiled: [['WG', 128], 1, 1],
  conv3x3_weight_grad: [['WG', 64], 1, 1],
  conv3x3_winograd_gemm: [['WG', 8], 1, 1],
  conv3x3_winograd_gemm_subgroup: [['WG', 8], 1, 1],
  conv3x3_winograd_input: [['ELEMENTWISE_WG', 256], 1, 1],
  conv3x3_winograd_output: [['ELEMENTWISE_WG', 256], 1, 1],
  conv3x3_winograd_output_vec4: [['ELEMENTWISE_WG', 256], 1, 1],
  conv3x3_winograd_weights: [['ELEMENTWISE_WG', 256], 1, 1],
  dot: [['WORKGROUP_REDUCE_SIZE', 256], 1, 1],
  flow_consistency: [['ELEMENTWISE_WG', 256], 1, 1],
  flow_grey: [['ELEMENTWISE_WG', 256], 1, 1],
  flow_smooth: [['ELEMENTWISE_WG', 256], 1, 1],
  flow_tvl1_dual: [['ELEMENTWISE_WG', 256], 1, 1],
  flow_tvl1_primal: [['ELEMENTWISE_WG', 256], 1, 1],
  flow_upsample: [['ELEMENTWISE_WG', 256], 1, 1],
  flow_warp_data: [['ELEMENTWISE_WG', 256], 1, 1],
  gram_backward: [8, 8, 1],
  gram_backward_subgroup: [['WG', 8], 1, 1],
  gram_forward: [8, 8, 1],
  gram_forward_subgroup: [['WG', 8], 1, 1],
  gram_reduce: [['ELEMENTWISE_WG', 256], 1, 1],
  gram_symmetrize: [['ELEMENTWISE_WG', 256], 1, 1],
  histogram_cdf: [['WORKGROUP_REDUCE_SIZE', 256], 1, 1],
  histogram_quantiles: [['ELEMENTWISE_WG', 256], 1, 1],
  histogram_remap: [['ELEMENTWISE_WG', 256], 1, 1],
  image_reduce: [['ELEMENTWISE_WG', 256], 1, 1],
  loss_watch: [1, 1, 1],
  mask_luma: [['ELEMENTWISE_WG', 256], 1, 1],
  mask_scale: [['ELEMENTWISE_WG', 256], 1, 1],
  matmul: [8, 8, 1],
  matrix_trace: [['WORKGROUP_REDUCE_SIZE', 256], 1, 1],
  matrix_trace_backward: [['ELEMENTWISE_WG', 256], 1, 1],
  maxpool_backward: [['ELEMENTWISE_WG', 256], 1, 1],
  maxpool_backward_vec4: [['ELEMENTWISE_WG', 256], 1, 1],
  maxpool_forward: [['ELEMENTWISE_WG', 256], 1, 1],
  moments_backward: [['ELEMENTWISE_WG', 256], 1, 1],
  moments_forward: [['WORKGROUP_REDUCE_SIZE', 256], 1, 1],
  moments_std: [['ELEMENTWISE_WG', 256], 1, 1],
  moments_std_backward: [['ELEMENTWISE_WG', 256], 1, 1],
  mse_backward: [['ELEMENTWISE_WG', 256], 1, 1],
  mse_forward: [['WORKGROUP_REDUCE_SIZE', 256], 1, 1],
  norms: [['WORKGROUP_REDUCE_SIZE', 256], 1, 1],
  original_colors: [['ELEMENTWISE_WG', 256], 1, 1],
  reduce_sum: [['WORKGROUP_REDUCE_SIZE', 256], 1, 1],
  relu_backward: [['ELEMENTWISE_WG', 256], 1, 1],
  relu_forward: [['ELEMENTWISE_WG', 256], 1, 1],
  resize_axis: [['ELEMENTWISE_WG', 256], 1, 1],
  scale_by_power: [['ELEMENTWISE_WG', 256], 1, 1],
  temporal_loss_backward: [['ELEMENTWISE_WG', 256], 1, 1],
  temporal_loss_forward: [['WORKGROUP_REDUCE_SIZE', 256], 1, 1],
  tv_backward: [['ELEMENTWISE_WG', 256], 1, 1],
  tv_forward: [['WORKGROUP_REDUCE_SIZE', 256], 1, 1],
  warp_backward: [['ELEMENTWISE_WG', 256], 1, 1],
  warp_forward: [['ELEMENTWISE_WG', 256], 1, 1],
};

export type WorkgroupDim = number | readonly [string, number];
