// Plain-TypeScript float64 references for every kernel. Test oracles only: nothing in src/ uses them.

export type Shape4 = readonly [number, number, number, number];
type Arr = ArrayLike<number>;

export function conv3x3(x: Arr, [n, cin, h, w]: Shape4, weights: Arr, cout: number, bias?: Arr): Float64Array {
  const y = new Float64Array(n * cout * h * w);
  for (let b = 0; b < n; b++)
    for (let co = 0; co < cout; co++)
      for (let r = 0; r < h; r++)
        for (let c = 0; c < w; c++) {
          let s = bias ? bias[co]! : 0;
          for (let ci = 0; ci < cin; ci++)
            for (let ky = 0; ky < 3; ky++)
              for (let kx = 0; kx < 3; kx++) {
                const iy = r + ky - 1;
                const ix = c + kx - 1;
                if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
                s += weights[((co * cin + ci) * 3 + ky) * 3 + kx]! * x[((b * cin + ci) * h + iy) * w + ix]!;
              }
          y[((b * cout + co) * h + r) * w + c] = s;
        }
  return y;
}

/** dx, dw, db of sum(dy ⊙ conv3x3(x, w, b)). */
export function conv3x3Grads(x: Arr, [n, cin, h, w]: Shape4, weights: Arr, cout: number, dy: Arr) {
  const dx = new Float64Array(n * cin * h * w);
  const dw = new Float64Array(cout * cin * 9);
  const db = new Float64Array(cout);
  for (let b = 0; b < n; b++)
    for (let co = 0; co < cout; co++)
      for (let r = 0; r < h; r++)
        for (let c = 0; c < w; c++) {
          const g = dy[((b * cout + co) * h + r) * w + c]!;
          db[co]! += g;
          for (let ci = 0; ci < cin; ci++)
            for (let ky = 0; ky < 3; ky++)
              for (let kx = 0; kx < 3; kx++) {
                const iy = r + ky - 1;
                const ix = c + kx - 1;
                if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
                const xi = ((b * cin + ci) * h + iy) * w + ix;
                const wi = ((co * cin + ci) * 3 + ky) * 3 + kx;
                dx[xi]! += g * weights[wi]!;
                dw[wi]! += g * x[xi]!;
              }
        }
  return { dx, dw, db };
}

export function relu(x: Arr): Float64Array {
  return Float64Array.from(x, (v) => (v > 0 ? v : 0));
}

export function reluGrad(x: Arr, dy: Arr): Float64Array {
  return Float64Array.from(x, (v, i) => (v > 0 ? dy[i]! : 0));
}

function poolWinner(x: Arr, [, , h, w]: Shape4, plane: number, oy: number, ox: number): number {
  let best = (plane * h + 2 * oy) * w + 2 * ox;
  for (const [dy, dx] of [
    [0, 1],
    [1, 0],
    [1, 1],
  ] as const) {
    const i = (plane * h + 2 * oy + dy) * w + 2 * ox + dx;
    if (x[i]! > x[best]!) best = i;
  }
  return best;
}

export function maxPool(x: Arr, shape: Shape4): Float64Array {
  const [n, c, h, w] = shape;
  const oh = Math.floor(h / 2);
  const ow = Math.floor(w / 2);
  const y = new Float64Array(n * c * oh * ow);
  for (let p = 0; p < n * c; p++)
    for (let oy = 0; oy < oh; oy++) for (let ox = 0; ox < ow; ox++) y[(p * oh + oy) * ow + ox] = x[poolWinner(x, shape, p, oy, ox)]!;
  return y;
}

export function maxPoolGrad(x: Arr, shape: Shape4, dy: Arr): Float64Array {
  const [n, c, h, w] = shape;
  const oh = Math.floor(h / 2);
  const ow = Math.floor(w / 2);
  const dx = new Float64Array(n * c * h * w);
  for (let p = 0; p < n * c; p++)
    for (let oy = 0; oy < oh; oy++) for (let ox = 0; ox < ow; ox++) dx[poolWinner(x, shape, p, oy, ox)]! += dy[(p * oh + oy) * ow + ox]!;
  return dx;
}

export function gram(x: Arr, [n, c, h, w]: Shape4): Float64Array {
  const k = h * w;
  const g = new Float64Array(n * c * c);
  for (let b = 0; b < n; b++)
    for (let i = 0; i < c; i++)
      for (let j = 0; j < c; j++) {
        let s = 0;
        for (let t = 0; t < k; t++) s += x[(b * c + i) * k + t]! * x[(b * c + j) * k + t]!;
        g[(b * c + i) * c + j] = s / (c * h * w);
      }
  return g;
}

export function gramGrad(x: Arr, [n, c, h, w]: Shape4, dg: Arr): Float64Array {
  const k = h * w;
  const dx = new Float64Array(n * c * k);
  for (let b = 0; b < n; b++)
    for (let i = 0; i < c; i++)
      for (let j = 0; j < c; j++) {
        const sym = (dg[(b * c + i) * c + j]! + dg[(b * c + j) * c + i]!) / (c * h * w);
        for (let t = 0; t < k; t++) dx[(b * c + i) * k + t]! += sym * x[(b * c + j) * k + t]!;
      }
  return dx;
}

export function mse(a: Arr, b: Arr): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i]! - b[i]!) ** 2;
  return s / a.length;
}

export function mseGrad(a: Arr, b: Arr, dLoss = 1): Float64Array {
  return Float64Array.from(a, (v, i) => ((2 * (v - b[i]!)) / a.length) * dLoss);
}

export function tv(x: Arr, [n, c, h, w]: Shape4): number {
  let sx = 0;
  let sy = 0;
  for (let p = 0; p < n * c; p++)
    for (let r = 0; r < h; r++)
      for (let col = 0; col < w; col++) {
        const i = (p * h + r) * w + col;
        if (col + 1 < w) sx += Math.abs(x[i + 1]! - x[i]!);
        if (r + 1 < h) sy += Math.abs(x[i + w]! - x[i]!);
      }
  const nx = n * c * h * (w - 1);
  const ny = n * c * (h - 1) * w;
  return 0.5 * ((nx ? sx / nx : 0) + (ny ? sy / ny : 0));
}

export function tvGrad(x: Arr, [n, c, h, w]: Shape4, dLoss = 1): Float64Array {
  const g = new Float64Array(x.length);
  const wx = w > 1 ? 0.5 / (n * c * h * (w - 1)) : 0;
  const wy = h > 1 ? 0.5 / (n * c * (h - 1) * w) : 0;
  for (let p = 0; p < n * c; p++)
    for (let r = 0; r < h; r++)
      for (let col = 0; col < w; col++) {
        const i = (p * h + r) * w + col;
        if (col + 1 < w) {
          const s = Math.sign(x[i + 1]! - x[i]!) * wx;
          g[i]! -= s;
          g[i + 1]! += s;
        }
        if (r + 1 < h) {
          const s = Math.sign(x[i + w]! - x[i]!) * wy;
          g[i]! -= s;
          g[i + w]! += s;
        }
      }
  return g.map((v) => v * dLoss);
}

/** Adam as in PyTorch's torch.optim.Adam (no weight decay, no amsgrad), float64. */
export function adam(
  param: Float64Array,
  grads: Float64Array[],
  lr: number | ((step: number) => number),
  beta1 = 0.9,
  beta2 = 0.999,
  eps = 1e-8,
): Float64Array {
  const lrAt = typeof lr === 'number' ? () => lr : lr;
  const p = Float64Array.from(param);
  const m = new Float64Array(p.length);
  const v = new Float64Array(p.length);
  grads.forEach((g, t) => {
    const step = t + 1;
    for (let i = 0; i < p.length; i++) {
      m[i] = beta1 * m[i]! + (1 - beta1) * g[i]!;
      v[i] = beta2 * v[i]! + (1 - beta2) * g[i]! * g[i]!;
      const denom = Math.sqrt(v[i]!) / Math.sqrt(1 - beta2 ** step) + eps;
      p[i]! -= (lrAt(step) / (1 - beta1 ** step)) * (m[i]! / denom);
    }
  });
  return p;
}

export function dot(a: Arr, b: Arr): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

export function avgPool(x: Arr, [n, c, h, w]: Shape4): Float64Array {
  const oh = Math.floor(h / 2);
  const ow = Math.floor(w / 2);
  const y = new Float64Array(n * c * oh * ow);
  for (let p = 0; p < n * c; p++)
    for (let oy = 0; oy < oh; oy++)
      for (let ox = 0; ox < ow; ox++) {
        const base = (p * h + 2 * oy) * w + 2 * ox;
        y[(p * oh + oy) * ow + ox] = 0.25 * (x[base]! + x[base + 1]! + x[base + w]! + x[base + w + 1]!);
      }
  return y;
}

export function avgPoolGrad([n, c, h, w]: Shape4, dy: Arr): Float64Array {
  const oh = Math.floor(h / 2);
  const ow = Math.floor(w / 2);
  const dx = new Float64Array(n * c * h * w);
  for (let p = 0; p < n * c; p++)
    for (let r = 0; r < 2 * oh; r++)
      for (let col = 0; col < 2 * ow; col++) dx[(p * h + r) * w + col] = 0.25 * dy[(p * oh + (r >> 1)) * ow + (col >> 1)]!;
  return dx;
}

export function channelAffine(
  x: Arr,
  [n, , h, w]: Shape4,
  perm: readonly number[],
  a: readonly number[],
  b: readonly number[],
  lo = -Infinity,
  hi = Infinity,
): Float64Array {
  const plane = h * w;
  const y = new Float64Array(n * 3 * plane);
  for (let i = 0; i < n; i++)
    for (let c = 0; c < 3; c++)
      for (let p = 0; p < plane; p++)
        y[(i * 3 + c) * plane + p] = Math.min(hi, Math.max(lo, a[c]! * x[(i * 3 + perm[c]!) * plane + p]! + b[c]!));
  return y;
}

/** One axis of an area (shrink) / half-pixel linear (enlarge) resample, as resize_axis.wgsl. */
function resampleWeights(lenIn: number, lenOut: number, o: number): Array<[number, number]> {
  const scale = lenIn / lenOut;
  if (scale > 1) {
    const lo = o * scale;
    const hi = lo + scale;
    const taps: Array<[number, number]> = [];
    for (let j = Math.floor(lo); j < Math.min(Math.ceil(hi), lenIn); j++) taps.push([j, (Math.min(hi, j + 1) - Math.max(lo, j)) / scale]);
    return taps;
  }
  const src = Math.min(Math.max((o + 0.5) * scale - 0.5, 0), lenIn - 1);
  const j0 = Math.floor(src);
  const t = src - j0;
  return [
    [j0, 1 - t],
    [Math.min(j0 + 1, lenIn - 1), t],
  ];
}

export function resize(x: Arr, [n, c, h, w]: Shape4, height: number, width: number): Float64Array {
  const y = new Float64Array(n * c * height * width);
  for (let p = 0; p < n * c; p++)
    for (let oy = 0; oy < height; oy++)
      for (let ox = 0; ox < width; ox++) {
        let s = 0;
        for (const [iy, wy] of h === height ? [[oy, 1] as [number, number]] : resampleWeights(h, height, oy))
          for (const [ix, wx] of w === width ? [[ox, 1] as [number, number]] : resampleWeights(w, width, ox))
            s += wy * wx * x[(p * h + iy) * w + ix]!;
        y[(p * height + oy) * width + ox] = s;
      }
  return y;
}

export function originalColors(styled: Arr, content: Arr, [n, , h, w]: Shape4): Float64Array {
  const plane = h * w;
  const out = new Float64Array(styled.length);
  for (let i = 0; i < n; i++)
    for (let p = 0; p < plane; p++) {
      const at = (arr: Arr, c: number) => arr[(i * 3 + c) * plane + p]!;
      const y = 0.299 * at(styled, 0) + 0.587 * at(styled, 1) + 0.114 * at(styled, 2);
      const iq = 0.595716 * at(content, 0) - 0.274453 * at(content, 1) - 0.321263 * at(content, 2);
      const q = 0.211456 * at(content, 0) - 0.522591 * at(content, 1) + 0.311135 * at(content, 2);
      const rgb = [y + 0.9563 * iq + 0.621 * q, y - 0.2721 * iq - 0.6474 * q, y - 1.107 * iq + 1.7046 * q];
      rgb.forEach((v, c) => (out[(i * 3 + c) * plane + p] = Math.min(1, Math.max(0, v))));
    }
  return out;
}
