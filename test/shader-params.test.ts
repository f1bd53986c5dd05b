import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ParamsLayout } from '../src/gpu/params.js';
import { SHADER_NAMES } from '../src/gpu/shader-names.js';
import { ShaderLibrary } from '../src/gpu/shaders.js';
import { loadShaders } from '../src/node/shaders.js';
import { kernelNames, SHADER_NAMES_FILE, shaderNamesSource } from '../scripts/gen-shader-names.js';

const offsets = (layout: ParamsLayout | null) => layout?.fields.map((f) => [f.name, f.offset]);

describe('kernel names and parameters from shaders/', () => {
  it('src/gpu/shader-names.ts is generated from the current shaders (else run npx tsx scripts/gen-shader-names.ts)', () => {
    expect(readFileSync(SHADER_NAMES_FILE, 'utf8')).toBe(shaderNamesSource());
    expect([...SHADER_NAMES]).toEqual(kernelNames());
  });

  it('every kernel declares a Params struct launchers can fill and a workgroup size launchers can read', () => {
    const library = new ShaderLibrary(loadShaders());
    for (const name of SHADER_NAMES) {
      expect(library.params(name)?.fields.length, name).toBeGreaterThan(0);
      const size = library.workgroupSize(name);
      expect(
        size.every((d) => Number.isInteger(d) && d >= 1),
        `${name}: ${size}`,
      ).toBe(true);
    }
    expect(library.workgroupSize('relu_forward')).toEqual([256, 1, 1]); // lib/elementwise's const
    expect(library.workgroupSize('gram_forward')).toEqual([8, 8, 1]);
    expect(library.workgroupSize('bench_matmul')).toEqual([8, 8, 1]);
    expect(library.workgroupSize('conv3x3_forward_subgroup', { WG: 64 })).toEqual([64, 1, 1]);
  });
});

describe('Params layout (WGSL uniform rules)', () => {
  it('aligns vec4s to 16 bytes, vec2s to 8, and rounds the block up to 16 bytes', () => {
    const layout = ParamsLayout.parse('t', 'struct Params { n: u32, plane: u32, inverse: vec4u, a: vec4<f32> }');
    expect(offsets(layout)).toEqual([
      ['n', 0],
      ['plane', 4],
      ['inverse', 16],
      ['a', 32],
    ]);
    expect(layout!.bytes).toBe(48);
    const mixed = ParamsLayout.parse('t', 'struct Params {\n  k: i32, // a comment, with a comma\n  v: vec2f,\n  w: f32,\n}');
    expect(offsets(mixed)).toEqual([
      ['k', 0],
      ['v', 8],
      ['w', 16],
    ]);
    expect(mixed!.bytes).toBe(32);
    expect(ParamsLayout.parse('t', 'struct Params { n: u32 }')!.bytes).toBe(16);
    expect(ParamsLayout.parse('t', 'fn main() {}')).toBeNull();
  });

  it('packs named values little-endian at their offsets, padding with zeros', () => {
    const layout = ParamsLayout.parse('t', 'struct Params { n: u32, k: i32, x: f32, v: vec4u }')!;
    const bytes = layout.pack({ v: [1, 2, 3, 0], x: 0.5, k: -2, n: 7 });
    const view = new DataView(bytes.buffer);
    expect([view.getUint32(0, true), view.getInt32(4, true), view.getFloat32(8, true), view.getUint32(12, true)]).toEqual([7, -2, 0.5, 0]);
    expect(Array.from(new Uint32Array(bytes.buffer, 16, 4))).toEqual([1, 2, 3, 0]);
  });

  it('a missing, unknown or ill-typed field throws naming the shader and the field', () => {
    const library = new ShaderLibrary(loadShaders());
    const resize = { n: 4, len_in: 2, len_out: 4, inner: 1 };
    expect(library.packParams('resize_axis', resize)?.byteLength).toBe(16);
    const { inner: _, ...withoutInner } = resize;
    expect(() => library.packParams('resize_axis', withoutInner)).toThrow('shader "resize_axis": Params field "inner" is missing');
    expect(() => library.packParams('resize_axis', { ...resize, lenIn: 2 })).toThrow(
      'shader "resize_axis": Params has no field "lenIn" (its fields: n, len_in, len_out, inner)',
    );
    expect(() => library.packParams('resize_axis', { ...resize, n: -1 })).toThrow(/shader "resize_axis": Params field "n" \(u32\) is -1/);
    expect(() => library.packParams('resize_axis', undefined)).toThrow(/"n" is missing/);
    expect(() => library.packParams('channel_affine_backward', { n: 3, plane: 1, inverse: [0, 1, 2], a: [1, 1, 1, 0] })).toThrow(
      /"inverse" takes 4 numbers/,
    );
    expect(() => ParamsLayout.parse('t', 'struct Params { m: mat2x2f }')).toThrow(/shader "t": Params field "m: mat2x2f" is not/);
  });

  it('a workgroup size that is neither a number nor a const is refused by name', () => {
    const library = new ShaderLibrary({ k: '@compute @workgroup_size(SIZE) fn main() {}', none: 'fn f() {}' });
    expect(() => library.workgroupSize('k')).toThrow(
      'shader "k": @workgroup_size uses "SIZE", which is neither a number nor a const with a number value',
    );
    expect(() => library.workgroupSize('none')).toThrow('shader "none" has no @workgroup_size');
  });
});
