// Adds one band of an 8-bit RGBA image (pixels packed 4 bytes per u32, row-major, the band's
// rows × cols starting at input pixel (row0, col0)) to its area-filtered reduction, a planar
// [3, out_h, out_w] f32 RGB 0..1 image: the same separable box filter as resize_axis.wgsl.
// One invocation per output pixel the band can touch; bands run one after another and add up.
// y holds output rows [y_row0, y_row0 + y_rows) of each plane (all of them unless the image is
// larger than one binding: then src/kernels/image_reduce.ts fills it band by band).
struct Params {
  n: u32, // out_rows × out_cols: the output pixels this dispatch updates
  in_w: u32,
  in_h: u32,
  out_w: u32,
  out_h: u32,
  row0: u32,
  rows: u32,
  col0: u32,
  cols: u32,
  out_row0: u32,
  out_col0: u32,
  out_cols: u32,
  y_row0: u32,
  y_rows: u32,
}
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> band: array<u32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;

// Output sample o covers input [lo, hi) along an axis; [first, last) are the input pixels it
// overlaps that lie in the band's range [start, start + count) (empty when none do).
struct Span { lo: f32, hi: f32, first: u32, last: u32 }

fn span(o: u32, len_in: u32, len_out: u32, start: u32, count: u32) -> Span {
  // Written exactly as resize_axis.wgsl so every band sees the same footprint (scale 1: a copy).
  let scale = f32(len_in) / f32(len_out);
  let lo = f32(o) * scale;
  let hi = lo + scale;
  let first = max(u32(floor(lo)), start);
  let last = min(min(u32(ceil(hi)), len_in), start + count);
  return Span(lo, hi, first, max(first, last));
}

fn weight(s: Span, j: u32) -> f32 {
  return min(s.hi, f32(j + 1u)) - max(s.lo, f32(j));
}

fn apply(i: u32) {
  let oy = p.out_row0 + i / p.out_cols;
  let ox = p.out_col0 + i % p.out_cols;
  let ys = span(oy, p.in_h, p.out_h, p.row0, p.rows);
  let xs = span(ox, p.in_w, p.out_w, p.col0, p.cols);
  var sum = vec3f(0.0);
  for (var j = ys.first; j < ys.last; j++) {
    let row = (j - p.row0) * p.cols;
    var along = vec3f(0.0);
    for (var k = xs.first; k < xs.last; k++) {
      along += weight(xs, k) * unpack4x8unorm(band[row + k - p.col0]).rgb;
    }
    sum += weight(ys, j) * along;
  }
  let area = (f32(p.in_w) / f32(p.out_w)) * (f32(p.in_h) / f32(p.out_h));
  let plane = p.out_w * p.y_rows;
  let at = (oy - p.y_row0) * p.out_w + ox;
  y[at] += sum.r / area;
  y[plane + at] += sum.g / area;
  y[2u * plane + at] += sum.b / area;
}

#include "lib/elementwise"
