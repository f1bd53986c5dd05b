import { describe, expect, it } from 'vitest';
import { createContext, GpuContext, GpuError, NoAdapterError } from '../src/gpu/index.js';
import { ShaderLibrary } from '../src/gpu/shaders.js';
import { UniformCache } from '../src/gpu/uniforms.js';
import { conv3x3Forward, mseForward, reluForward } from '../src/kernels/index.js';
import { useGpu } from './helpers/gpu.js';
import { randomArray } from './helpers/random.js';

describe('GPU runtime', () => {
  const gpu = useGpu();

  it('reports the adapter and the raised storage-binding limit', () => {
    const ctx = gpu();
    expect(ctx.adapter.vendor.length).toBeGreaterThan(0);
    expect(ctx.maxBindingBytes).toBe(ctx.device.limits.maxStorageBufferBindingSize);
    expect(ctx.maxBindingBytes).toBeGreaterThanOrEqual(128 * 2 ** 20);
  });

  it('a loop that repeats the same shapes stops allocating buffers and compiling pipelines after its first step', async () => {
    const ctx = gpu();
    const w = ctx.upload([8, 3, 3, 3], randomArray(216, 1));
    const target = ctx.zeros([1, 8, 9, 10]);
    const step = async () => {
      const x = ctx.upload([1, 3, 9, 10], randomArray(270, 2));
      const y = conv3x3Forward(ctx, x, w);
      const r = reluForward(ctx, y);
      const loss = mseForward(ctx, r, target);
      await loss.read();
      for (const t of [x, y, r, loss]) t.release();
    };
    await step();
    const after1 = { ...ctx.memory(), pipelines: ctx.pipelines.size };
    await step(); // the pool hands y's and r's equal-sized buffers back swapped: their bind groups are new once
    const bindGroups = ctx.bindGroupsMade;
    for (let i = 0; i < 49; i++) await step();
    const after51 = { ...ctx.memory(), pipelines: ctx.pipelines.size };
    expect(ctx.bindGroupsMade).toBe(bindGroups); // recording a repeated step makes no bind group
    expect(after51.created).toBe(after1.created);
    expect(after51.liveBytes).toBe(after1.liveBytes);
    expect(after51.peakBytes).toBe(after1.peakBytes);
    expect(after51.pipelines).toBe(after1.pipelines);
  });

  it('reuses a bind group only for the same pipeline, parameters, buffers, offsets and sizes', async () => {
    const ctx = gpu();
    const n = ctx.bindingAlignment * 2; // a chunk: a range may start at n
    const data = Float32Array.from({ length: 2 * n }, (_, i) => (i % 3) - 1);
    const x = ctx.upload([2 * n], data);
    const [group] = ctx.workgroupSize('relu_forward');
    const relu = (y: ReturnType<GpuContext['zeros']>, offset: number, count: number) =>
      ctx.dispatch({
        kernel: 'relu_forward',
        label: `relu(${offset}, ${count})`,
        params: { n: count },
        buffers: [ctx.range(x, offset, n), ctx.range(y, offset, n)],
        workgroups: [Math.ceil(count / group)],
      });
    const expected = (count: number) => Array.from(data, (v, i) => (i % n < count ? Math.max(v, 0) : 0));
    const run = async () => {
      const whole = ctx.zeros([2 * n]);
      relu(whole, 0, n);
      relu(whole, n, n); // the same sizes and parameters at another offset
      const half = ctx.zeros([2 * n]);
      relu(half, 0, n / 2); // other parameters, the same buffers as a group above but for `half`
      relu(half, n, n / 2);
      expect(Array.from(await whole.read())).toEqual(expected(n));
      expect(Array.from(await half.read())).toEqual(expected(n / 2));
      whole.release();
      half.release();
    };
    await run();
    await run(); // the pool hands equal-sized buffers back in turn: a second run may bind them swapped
    const made = ctx.bindGroupsMade;
    await run(); // after which every group is found
    expect(ctx.bindGroupsMade).toBe(made);
    x.release();
  });

  it('forgets bind groups when the uniform cache destroys blocks they bind', () => {
    const ctx = gpu();
    let evicted = 0;
    const uniforms = new UniformCache(ctx.device, () => evicted++, 2);
    for (let i = 0; i < 4; i++) uniforms.get(new Uint8Array(new Uint32Array([i, 0, 0, 0]).buffer));
    uniforms.afterSubmit(); // all four were used by the last submission: none goes
    expect(evicted).toBe(0);
    uniforms.afterSubmit(); // unused since: destroyed, and the bind groups told
    expect(evicted).toBe(1);
    uniforms.afterSubmit(); // nothing left to destroy: the bind groups stay
    expect(evicted).toBe(1);
  });

  it('turns a validation error into an exception naming the kernel and its shapes', async () => {
    const ctx = gpu();
    const notStorage = ctx.device.createBuffer({ size: 64, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    const y = ctx.empty([4, 4]);
    ctx.dispatch({
      kernel: 'relu_forward',
      label: 'relu_forward(x[4,4])',
      params: { n: 16 },
      buffers: [notStorage, y.buffer],
      workgroups: [1],
    });
    await expect(ctx.sync()).rejects.toThrow(/relu_forward\(x\[4,4\]\)/);
    await ctx.sync(); // the error was reported once and the context still works
  });

  it('refuses parameters the shader does not declare, naming the shader and the field, before recording anything', async () => {
    const ctx = gpu();
    const y = ctx.empty([4]);
    const dispatch = (params: object) => () =>
      ctx.dispatch({
        kernel: 'relu_forward',
        label: 'relu_forward(x[4])',
        params: params as { n: number },
        buffers: [y.buffer, y.buffer],
        workgroups: [1],
      });
    expect(dispatch({ n: 4, size: 4 })).toThrow('shader "relu_forward": Params has no field "size" (its fields: n)');
    expect(dispatch({})).toThrow('shader "relu_forward": Params field "n" is missing');
    await ctx.sync();
    y.release();
  });

  it('names the kernel when its WGSL does not compile', async () => {
    const ctx = gpu();
    const broken = new GpuContext(ctx.device, ctx.adapter, { relu_forward: '@compute @workgroup_size(1) fn main() { let x: u32 = 1.5; }' });
    broken.dispatch({ kernel: 'relu_forward', label: 'relu_forward(x[1])', buffers: [], workgroups: [1] });
    await expect(broken.sync()).rejects.toThrow(/relu_forward\(x\[1\]\)/);
  });

  it('holds a tensor past the binding limit, refuses one over the buffer limit with the largest image size that fits', () => {
    const ctx = gpu();
    // Past one binding is allowed (kernels run band by band: test/banding.test.ts)...
    const past = Math.floor(Math.sqrt(ctx.maxBindingBytes / 4 / 64)) + 1;
    ctx.empty([1, 64, past, past], 'conv1_1 output').release();
    // ...past one buffer is not, and the message names the largest square that fits (checked before allocating).
    const side = Math.floor(Math.sqrt(ctx.maxBufferBytes / 4 / 64));
    expect(() => ctx.empty([1, 64, side + 1, side + 1], 'conv1_1 output')).toThrow(
      new RegExp(
        `conv1_1 output: tensor of shape \\[1, 64, ${side + 1}, ${side + 1}\\].*\\(maxBufferSize\\).*largest square image that fits is ${side}×${side}`,
      ),
    );
    expect(() => ctx.empty([1, 64, side + 1, side + 1])).toThrow(
      expect.objectContaining({ largestSide: side, limitBytes: ctx.maxBufferBytes, limit: 'maxBufferSize' }),
    );
  });

  it('refuses a dispatch with more workgroups than a dimension allows', () => {
    const ctx = gpu();
    expect(() => ctx.dispatch({ kernel: 'relu_forward', label: 'huge', buffers: [], workgroups: [70000] })).toThrow(/exceeds 65535/);
  });

  it('refuses to use a tensor after release', () => {
    const ctx = gpu();
    const t = ctx.zeros([3]);
    t.release();
    expect(() => reluForward(ctx, t)).toThrow(/used after release/);
  });

  it('times each dispatch with timestamp queries when the adapter has them', async () => {
    const ctx = gpu();
    // Big enough (≈19 MFLOP) to stay well above the timestamp resolution.
    const x = ctx.upload([1, 16, 64, 64], randomArray(16 * 64 * 64, 3));
    const w = ctx.upload([16, 16, 3, 3], randomArray(16 * 16 * 9, 4));
    if (!ctx.profiler.supported) {
      expect(() => ctx.startProfiling()).toThrow(/timestamp-query/);
      return;
    }
    ctx.startProfiling();
    const y = conv3x3Forward(ctx, x, w);
    const r = reluForward(ctx, y);
    const timings = await ctx.stopProfiling();
    expect(timings.map((t) => t.kernel)).toEqual([ctx.subgroupsOf8 ? 'conv3x3_forward_subgroup' : 'conv3x3_forward', 'relu_forward']);
    expect(timings[0]!.label).toContain('[1,16,64,64]');
    for (const t of timings) expect(t.ms).toBeGreaterThanOrEqual(0);
    expect(timings[0]!.ms).toBeGreaterThan(0);
    for (const t of [x, w, y, r]) t.release();
  });
});

describe('device acquisition', () => {
  it("no adapter: a NoAdapterError carrying what was tried and the implementation's reason", async () => {
    const noAdapters = { requestAdapter: async () => null } as unknown as GPU;
    const attempt = createContext(noAdapters, { shaders: {}, tried: 'backend vulkan' });
    await expect(attempt).rejects.toThrow(NoAdapterError);
    await expect(attempt).rejects.toMatchObject({ tried: 'backend vulkan', detail: undefined, available: [] });
    const refusing = { requestAdapter: async () => Promise.reject(new Error('no suitable backends found')) } as unknown as GPU;
    await expect(createContext(refusing, { shaders: {}, tried: 'adapter matching "x"' })).rejects.toMatchObject({
      detail: 'no suitable backends found',
    });
    // Advice on installing drivers belongs to the edges (the CLI, the page), not to the core.
    await expect(attempt).rejects.not.toThrow(/npm run setup/);
  });

  it('GpuError is an Error', () => {
    expect(new GpuError('x')).toBeInstanceOf(Error);
  });
});

describe('shader library', () => {
  it('inlines each include once and names the including shader when one is missing', () => {
    const lib = new ShaderLibrary({
      'lib/a': 'fn a() {}',
      'lib/b': '#include "lib/a"\nfn b() {}',
      main: '#include "lib/a"\n#include "lib/b"\nfn main() {}',
      bad: '#include "lib/missing"',
    });
    const text = lib.get('main');
    expect(text.match(/fn a\(\)/g)).toHaveLength(1);
    expect(text).toContain('fn b()');
    expect(() => lib.get('bad')).toThrow(/shader "lib\/missing" not found \(included from bad\)/);
  });
});
