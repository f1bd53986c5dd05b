// TensorFlow.js as a peer, on the same machine and shapes: its WebGPU backend on the same Dawn
// adapter (its GPU object installed as navigator.gpu) and its WASM backend (XNNPACK, SIMD, CPU).
// Kernels: conv3x3 forward (fused bias) and input gradient (conv2dTranspose), ReLU, max-pool,
// Gram; and a full style step with tf.grad + Adam. Layout NHWC, as tfjs prefers.

import { create, globals } from 'webgpu';
import { syntheticWeights } from '../src/io/weights/synthetic.js';
import { VGG19_FEATURES } from '../src/vgg/index.js';
import { summarize, type BenchRecord } from './record.js';
import { CONTENT_LAYER, flops, STYLE_LAYERS, type KernelCase } from './shapes.js';

type Tf = typeof import('@tensorflow/tfjs-core');
export type TfjsImpl = 'tfjs-webgpu' | 'tfjs-wasm';

let tfPromise: Promise<Tf> | null = null;
const keepDawn: unknown[] = [];

async function loadTf(): Promise<Tf> {
  tfPromise ??= (async () => {
    Object.assign(globalThis, globals);
    const gpu = create([]);
    keepDawn.push(gpu); // Dawn must stay referenced while in use
    Object.defineProperty(globalThis, 'navigator', { value: { gpu, userAgent: 'node' }, configurable: true });
    // The umbrella package registers every op's gradient (tfjs-core alone does not, for tf.grad).
    const tf = (await import('@tensorflow/tfjs')) as unknown as Tf;
    await import('@tensorflow/tfjs-backend-webgpu');
    await import('@tensorflow/tfjs-backend-wasm');
    return tf;
  })();
  return tfPromise;
}

export async function useBackend(impl: TfjsImpl): Promise<Tf> {
  const tf = await loadTf();
  const name = impl === 'tfjs-webgpu' ? 'webgpu' : 'wasm';
  if (!(await tf.setBackend(name))) throw new Error(`TensorFlow.js backend ${name} did not initialise`);
  await tf.ready();
  return tf;
}

/** Milliseconds of one call: tfjs's kernel time when it reports one, else wall time to completion. */
async function timeTf(tf: Tf, f: () => import('@tensorflow/tfjs-core').Tensor, runs: number): Promise<number[]> {
  const once = async () => {
    const started = performance.now();
    let out: import('@tensorflow/tfjs-core').Tensor | undefined;
    const info = await tf.time(() => {
      out = f();
    });
    await out!.data();
    const wall = performance.now() - started;
    out!.dispose();
    return typeof info.kernelMs === 'number' && info.kernelMs > 0 ? info.kernelMs : wall;
  };
  await once();
  await once();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) times.push(await once());
  return times;
}

export async function benchTfjsKernels(
  impl: TfjsImpl,
  cases: KernelCase[],
  size: number,
  runs: number,
  log: (s: string) => void,
): Promise<BenchRecord[]> {
  const tf = await useBackend(impl);
  const records: BenchRecord[] = [];
  for (const c of cases) {
    const [n, ch, h, w] = c.shape as [number, number, number, number];
    const x = tf.randomNormal([n, h, w, ch]);
    const ops: Array<[string, () => import('@tensorflow/tfjs-core').Tensor]> = [];
    const extra: Array<import('@tensorflow/tfjs-core').Tensor> = [];
    if (c.op === 'conv3x3') {
      const filter = tf.randomNormal([3, 3, ch, c.cout!]);
      const bias = tf.randomNormal([c.cout!]);
      const dy = tf.randomNormal([n, h, w, c.cout!]);
      extra.push(filter, bias, dy);
      ops.push([
        'forward',
        () =>
          tf.fused.conv2d({
            x: x as import('@tensorflow/tfjs-core').Tensor4D,
            filter: filter as import('@tensorflow/tfjs-core').Tensor4D,
            strides: 1,
            pad: 'same',
            bias,
          }),
      ]);
      ops.push([
        'input-grad',
        () =>
          tf.conv2dTranspose(
            dy as import('@tensorflow/tfjs-core').Tensor4D,
            filter as import('@tensorflow/tfjs-core').Tensor4D,
            [n, h, w, ch],
            1,
            'same',
          ),
      ]);
    } else if (c.op === 'relu') ops.push(['forward', () => tf.relu(x)]);
    else if (c.op === 'maxpool') ops.push(['forward', () => tf.maxPool(x as import('@tensorflow/tfjs-core').Tensor4D, 2, 2, 'valid')]);
    else if (c.op === 'gram')
      ops.push([
        'forward',
        () => tf.tidy(() => tf.div(tf.matMul(tf.reshape(x, [h * w, ch]), tf.reshape(x, [h * w, ch]), true, false), ch * h * w)),
      ]);
    for (const [pass, f] of ops) {
      const times = await timeTf(tf, f, runs);
      const record = summarize(
        { impl, op: c.op, pass, layer: c.layer, shape: c.cout ? [...c.shape, c.cout] : c.shape, size },
        times,
        flops(c, pass as 'forward'),
        null,
      );
      records.push(record);
      log(`  ${impl} ${c.op} ${pass} [${record.shape.join(',')}] ${record.medianMs.toFixed(3)} ms`);
    }
    x.dispose();
    for (const t of extra) t.dispose();
  }
  return records;
}

/** Seconds per full style step (seed loss, VGG-19 0..28, tf.grad, Adam). */
export async function timeTfjsStyleStep(impl: TfjsImpl, [height, width]: readonly [number, number], steps: number): Promise<number> {
  const tf = await useBackend(impl);
  const weights = syntheticWeights(3);
  const layers = VGG19_FEATURES.slice(0, 29).map((m) => {
    if (m.kind !== 'conv') return { m, filter: null, bias: null };
    const w = weights.tensors.get(`${m.name}.weight`)!.data; // [Cout, Cin, 3, 3] -> HWIO
    const hwio = tf.tidy(() => tf.transpose(tf.tensor4d(w, [m.cout, m.cin, 3, 3]), [2, 3, 1, 0]));
    return { m, filter: hwio as import('@tensorflow/tfjs-core').Tensor4D, bias: tf.tensor1d(weights.tensors.get(`${m.name}.bias`)!.data) };
  });
  const features = (image: import('@tensorflow/tfjs-core').Tensor4D) => {
    const out = new Map<number, import('@tensorflow/tfjs-core').Tensor4D>();
    let x = image;
    for (const { m, filter, bias } of layers) {
      if (m.kind === 'conv') x = tf.add(tf.conv2d(x, filter!, 1, 'same'), bias!) as import('@tensorflow/tfjs-core').Tensor4D;
      else if (m.kind === 'relu') x = tf.relu(x);
      else x = tf.maxPool(x, 2, 2, 'valid');
      out.set(m.index, x);
    }
    return out;
  };
  const gram = (f: import('@tensorflow/tfjs-core').Tensor4D) => {
    const [, h, w, c] = f.shape;
    const x = tf.reshape(f, [h * w, c]);
    return tf.div(tf.matMul(x, x, true, false), c * h * w);
  };
  const content = tf.randomNormal([1, height, width, 3]) as import('@tensorflow/tfjs-core').Tensor4D;
  const style = tf.randomNormal([1, height, width, 3]) as import('@tensorflow/tfjs-core').Tensor4D;
  const targets = tf.tidy(() => {
    const cf = features(content);
    const sf = features(style);
    return { content: tf.keep(cf.get(CONTENT_LAYER)!), grams: STYLE_LAYERS.map((l) => tf.keep(gram(sf.get(l)!))) };
  });
  const image = tf.variable(content.clone());
  const optimizer = tf.train.adam(0.01);
  const loss = () =>
    tf.tidy(() => {
      const f = features(image as unknown as import('@tensorflow/tfjs-core').Tensor4D);
      const c = tf.losses.meanSquaredError(targets.content, f.get(CONTENT_LAYER)!);
      const s = tf.addN(STYLE_LAYERS.map((l, i) => tf.losses.meanSquaredError(targets.grams[i]!, gram(f.get(l)!))));
      const dx = tf.sub(tf.slice(image, [0, 0, 1, 0], [-1, -1, width - 1, -1]), tf.slice(image, [0, 0, 0, 0], [-1, -1, width - 1, -1]));
      const dy = tf.sub(tf.slice(image, [0, 1, 0, 0], [-1, height - 1, -1, -1]), tf.slice(image, [0, 0, 0, 0], [-1, height - 1, -1, -1]));
      const tv = tf.mul(0.5, tf.add(tf.mean(tf.abs(dx)), tf.mean(tf.abs(dy))));
      return tf.addN([c, tf.mul(1e3, s), tf.mul(50, tv)]) as import('@tensorflow/tfjs-core').Scalar;
    });
  const step = async () => {
    const value = optimizer.minimize(loss, true);
    await value!.data();
    value!.dispose();
  };
  await step();
  const started = performance.now();
  for (let i = 0; i < steps; i++) await step();
  const seconds = (performance.now() - started) / 1000 / steps;
  tf.dispose([content, style, targets.content, ...targets.grams, image]);
  for (const l of layers) tf.dispose([l.filter, l.bias].filter((t): t is NonNullable<typeof t> => t !== null));
  optimizer.dispose();
  return seconds;
}
