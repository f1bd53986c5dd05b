// A kernel's `struct Params`, read once from its WGSL: field names, types and byte offsets under
// WGSL's uniform layout rules (scalars align to 4, vec2 to 8, vec3 and vec4 to 16; the block's
// size rounds up to 16), so that launchers pass fields by name and never pad by hand.

type Scalar = 'u32' | 'i32' | 'f32';

interface Field {
  name: string;
  scalar: Scalar;
  /** Components: 1 for a scalar, 2..4 for a vector. */
  count: number;
  offset: number;
}

/** Values by field name: a number for a scalar, `count` numbers for a vector. */
export type ParamValues = Readonly<Record<string, number | readonly number[]>>;

const STRUCT = /\bstruct\s+Params\s*\{([^}]*)\}/;
const SUFFIX: Record<string, Scalar> = { u: 'u32', i: 'i32', f: 'f32' };

/** `u32`, `f32`, `vec4f`, `vec2<u32>`, ... as a scalar type and a component count. */
function parseType(text: string): { scalar: Scalar; count: number } | null {
  const scalar = /^(u32|i32|f32)$/.exec(text);
  if (scalar) return { scalar: scalar[1] as Scalar, count: 1 };
  const short = /^vec([234])([uif])$/.exec(text);
  if (short) return { scalar: SUFFIX[short[2]!]!, count: Number(short[1]) };
  const long = /^vec([234])<\s*(u32|i32|f32)\s*>$/.exec(text);
  if (long) return { scalar: long[2] as Scalar, count: Number(long[1]) };
  return null;
}

export class ParamsLayout {
  private constructor(
    readonly shader: string,
    readonly fields: readonly Field[],
    /** Size of the uniform block, a multiple of 16. */
    readonly bytes: number,
  ) {}

  /** The layout of the `struct Params` in `wgsl` (includes expanded), or null when it has none. */
  static parse(shader: string, wgsl: string): ParamsLayout | null {
    const match = STRUCT.exec(wgsl.replace(/\/\/.*$/gm, ''));
    if (!match) return null;
    const fields: Field[] = [];
    let offset = 0;
    for (const declaration of match[1]!
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean)) {
      const parts = /^([A-Za-z_]\w*)\s*:\s*(.+)$/.exec(declaration);
      const type = parts && parseType(parts[2]!.trim());
      if (!parts || !type) {
        throw new Error(
          `shader "${shader}": Params field "${declaration}" is not a u32, i32 or f32 scalar or vector (the only kinds launchers can pass)`,
        );
      }
      const align = type.count === 1 ? 4 : type.count === 2 ? 8 : 16;
      offset = Math.ceil(offset / align) * align;
      fields.push({ name: parts[1]!, ...type, offset });
      offset += 4 * type.count;
    }
    return new ParamsLayout(shader, fields, Math.max(16, Math.ceil(offset / 16) * 16));
  }

  /** The uniform block for `values`, which must name every field and nothing else. */
  pack(values: ParamValues): Uint8Array {
    const names = this.fields.map((f) => f.name);
    const extra = Object.keys(values).find((name) => !names.includes(name));
    if (extra !== undefined) throw new Error(`shader "${this.shader}": Params has no field "${extra}" (its fields: ${names.join(', ')})`);
    const bytes = new Uint8Array(this.bytes);
    const view = new DataView(bytes.buffer);
    for (const field of this.fields) {
      const value = values[field.name];
      if (value === undefined) throw new Error(`shader "${this.shader}": Params field "${field.name}" is missing`);
      const components = typeof value === 'number' ? [value] : value;
      if (components.length !== field.count) {
        const want = field.count === 1 ? 'a number' : `${field.count} numbers`;
        throw new Error(`shader "${this.shader}": Params field "${field.name}" takes ${want}, got ${JSON.stringify(value)}`);
      }
      components.forEach((v, i) => this.write(view, field, field.offset + 4 * i, v));
    }
    return bytes;
  }

  private write(view: DataView, field: Field, at: number, value: number): void {
    if (field.scalar === 'f32') return view.setFloat32(at, value, true);
    const [min, max] = field.scalar === 'u32' ? [0, 0xffffffff] : [-(2 ** 31), 2 ** 31 - 1];
    if (!Number.isInteger(value) || value < min || value > max) {
      throw new Error(
        `shader "${this.shader}": Params field "${field.name}" (${field.scalar}) is ${value}; expected a whole number from ${min} to ${max}`,
      );
    }
    if (field.scalar === 'u32') view.setUint32(at, value, true);
    else view.setInt32(at, value, true);
  }
}
