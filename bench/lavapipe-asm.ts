// What lavapipe's JIT makes of a conv variant's shaders: compiles one forward conv with
// GALLIVM_DEBUG=asm in a child process and counts, per compute shader, the instructions that tell
// where the time goes on a CPU: fused multiply-adds, vector registers past the 16 AVX2 has (AVX-512
// only), vector moves to and from the stack (spills), per-lane index extracts and inserts (loads
// lavapipe cannot vectorise), and bounds-check branches.
//   npx tsx bench/lavapipe-asm.ts [--variant sg-wino4-co64-t4] [--shape 64x16x16] [--cpu avx]
// --cpu avx runs lavapipe as on a CPU without AVX-512 (GALLIUM_OVERRIDE_CPU_CAPS=avx keeps AVX2).

import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    variant: { type: 'string', default: 'sg-wino4-co64-t4' },
    shape: { type: 'string', default: '64x16x16' },
    cpu: { type: 'string' },
    child: { type: 'boolean' },
  },
});
const [channels, height, width] = values.shape.split('x').map(Number) as [number, number, number];

if (values.child) {
  const { createNodeContext } = await import('../src/node/gpu.js');
  const { conv3x3Forward, convVariantsFor } = await import('../src/kernels/index.js');
  const ctx = await createNodeContext();
  const variant = convVariantsFor(ctx).find((v) => v.name === values.variant);
  if (!variant)
    throw new Error(
      `no variant ${values.variant} on this adapter: ${convVariantsFor(ctx)
        .map((v) => v.name)
        .join(', ')}`,
    );
  conv3x3Forward(ctx, ctx.zeros([1, channels, height, width]), ctx.zeros([channels, channels, 3, 3]), undefined, { variant }).release();
  await ctx.sync();
  process.exit(0);
}

const env: NodeJS.ProcessEnv = { ...process.env, GALLIVM_DEBUG: 'asm', MESA_SHADER_CACHE_DISABLE: 'true' };
if (values.cpu) env.GALLIUM_OVERRIDE_CPU_CAPS = values.cpu;
const args = ['--import', 'tsx', fileURLToPath(import.meta.url), '--child', '--variant', values.variant, '--shape', values.shape];
const child = spawnSync(process.execPath, args, { env, encoding: 'utf8', maxBuffer: 1 << 30 });
if (child.status !== 0) throw new Error(`the compile run failed: ${child.stderr.slice(-2000)}`);
const text = child.stdout + child.stderr;
// Each compute shader's body is the function llvmpipe names cs_co_variant (up to its .resume part).
const shaders = text
  .split(/^cs_co_variant:$/m)
  .slice(1)
  .map((s) => s.split(/^cs_co_variant\.resume:$/m)[0]!);
const count = (s: string, re: RegExp) => (s.match(re) ?? []).length;
console.log(
  `${values.variant} at ${values.shape}${values.cpu ? `, GALLIUM_OVERRIDE_CPU_CAPS=${values.cpu}` : ''}: ${shaders.length} shaders`,
);
console.log('lines   fma  vmulps  zmm  ymm16-31  stack-vec  vpextr  vpinsr  jae');
for (const s of shaders)
  console.log(
    [
      s.split('\n').length,
      count(s, /vfn?m(add|sub)/g),
      count(s, /vmulps/g),
      count(s, /zmm/g),
      count(s, /ymm(1[6-9]|2\d|3[01])/g),
      count(s, /vmov\w+\s+[^\n]*\(%r[sb]p\)[^\n]*[xyz]mm|vmov\w+\s+%[xyz]mm\d+, [-\w]*\(%r[sb]p\)/g),
      count(s, /vpextr/g),
      count(s, /vpinsr/g),
      count(s, /\bjae\b/g),
    ]
      .map((n, i) => String(n).padStart(i === 0 ? 5 : [4, 7, 4, 9, 10, 7, 7, 4][i - 1]!))
      .join(' '),
  );
