// A pickle reader that runs nothing. Python's pickle calls whatever GLOBAL names (`os.system` as
// easily as `collections.OrderedDict`); this one knows only the opcodes a saved state dict uses,
// and resolves a GLOBAL through the caller's table of allowed names. Anything else stops the
// reading with an error that names it; nothing in the file is ever executed.

import { show } from '../../util/quote.js';
import { ConvertError } from './convert-error.js';

/** An allowed global that REDUCE may call (with JS arguments, returning a JS value). */
export class PickleCallable {
  constructor(
    readonly qualname: string,
    readonly call: (args: unknown[]) => unknown,
  ) {}
}

/** Dicts that BUILD may give attributes to (an OrderedDict's `_metadata`): kept here, unused. */
export class PickleDict extends Map<unknown, unknown> {
  attributes: unknown = undefined;
}

export interface PickleOptions {
  /** The file, for messages. */
  source: string;
  /** The value GLOBAL "module name" stands for, or undefined to refuse it. */
  resolve: (module: string, name: string) => unknown;
  /** Explains a refused global (appended to the message). */
  refusal: (qualname: string) => string;
  /** BINPERSID's answer for a persistent id (PyTorch: storages). */
  persistentLoad?: (pid: unknown) => unknown;
}

/** The pickle ended before STOP: the caller may read more of the file and try again. */
export class PickleTruncatedError extends ConvertError {}

/** More memo entries than any state dict needs; a guard against a hand-made pickle's growth. */
const MAX_MEMO = 1 << 22;

class Machine {
  stack: unknown[] = [];
  marks: number[] = [];
  memo = new Map<number, unknown>();
  pos: number;
  done = false;

  constructor(
    readonly bytes: Uint8Array,
    at: number,
    readonly options: PickleOptions,
  ) {
    this.pos = at;
  }

  fail(problem: string): never {
    throw new ConvertError(`${this.options.source}: the pickle ${problem}; the file is corrupt or not a PyTorch state dict`);
  }

  take(n: number): Uint8Array {
    if (n < 0 || this.pos + n > this.bytes.byteLength)
      throw new PickleTruncatedError(
        `${this.options.source}: the pickle ends at byte ${this.bytes.byteLength} before its STOP; the file is truncated or corrupt. Download or save it again.`,
      );
    const out = this.bytes.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  uint(n: number): number {
    const b = this.take(n);
    let v = 0;
    for (let i = n - 1; i >= 0; i--) v = v * 256 + b[i]!;
    return v;
  }

  line(): string {
    const end = this.bytes.indexOf(0x0a, this.pos);
    if (end < 0) this.take(this.bytes.byteLength + 1 - this.pos); // reports the truncation
    const text = new TextDecoder('latin1').decode(this.take(end - this.pos));
    this.pos++;
    return text;
  }

  /** Nothing above the last MARK (or at all) to take. */
  private empty(): boolean {
    return this.stack.length <= (this.marks.at(-1) ?? 0);
  }

  pop(): unknown {
    if (this.empty()) this.fail('pops an empty stack');
    return this.stack.pop();
  }

  top(): unknown {
    if (this.empty()) this.fail('reads an empty stack');
    return this.stack[this.stack.length - 1];
  }

  /** The items pushed since the last MARK, which is removed. */
  popMark(): unknown[] {
    const mark = this.marks.pop();
    if (mark === undefined) this.fail('has no MARK where one is needed');
    return this.stack.splice(mark);
  }

  put(index: number): void {
    if (this.memo.size >= MAX_MEMO && !this.memo.has(index)) this.fail(`memoizes more than ${MAX_MEMO} values`);
    this.memo.set(index, this.top());
  }

  get(index: number): void {
    if (!this.memo.has(index)) this.fail(`reads memo entry ${index}, which was never stored`);
    this.stack.push(this.memo.get(index));
  }

  global(module: string, name: string): void {
    const value = this.options.resolve(module, name);
    if (value === undefined) {
      const qualname = `${module}.${name}`;
      throw new ConvertError(
        `${this.options.source}: refusing to load: the pickle calls ${show(qualname, 80)}, which ${this.options.refusal(qualname)} (nothing was run)`,
      );
    }
    this.stack.push(value);
  }

  reduce(): void {
    const args = this.pop();
    const callable = this.pop();
    if (!(callable instanceof PickleCallable)) this.fail('calls something that is not an allowed function');
    if (!Array.isArray(args)) this.fail(`calls ${callable.qualname} without an argument tuple`);
    this.stack.push(callable.call(args));
  }

  setItems(target: unknown, items: unknown[]): void {
    if (!(target instanceof Map) || items.length % 2) this.fail('sets dict items on something that is not a dict');
    for (let i = 0; i < items.length; i += 2) target.set(items[i], items[i + 1]);
  }

  append(target: unknown, items: unknown[]): void {
    if (!Array.isArray(target)) this.fail('appends to something that is not a list');
    for (const item of items) target.push(item);
  }
}

const dataView = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength);
const text = (b: Uint8Array, encoding: 'utf-8' | 'latin1') => new TextDecoder(encoding, { fatal: encoding === 'utf-8' }).decode(b);

/** Little-endian two's-complement integer of any length (LONG1): a number when it fits exactly, else a bigint. */
function long(b: Uint8Array): number | bigint {
  let v = 0n;
  for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]!);
  if (b.length > 0 && b[b.length - 1]! & 0x80) v -= 1n << BigInt(8 * b.length);
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

const c = (s: string) => s.charCodeAt(0);
const OPCODES = new Map<number, (m: Machine) => void>([
  [0x80, (m) => m.take(1)], // PROTO
  [0x95, (m) => m.take(8)], // FRAME: a length hint only
  [c('.'), (m) => (m.done = true)], // STOP
  [c('('), (m) => m.marks.push(m.stack.length)], // MARK
  [c('0'), (m) => m.pop()], // POP
  [c('1'), (m) => m.popMark()], // POP_MARK
  [c('2'), (m) => m.stack.push(m.top())], // DUP
  [c('N'), (m) => m.stack.push(null)],
  [0x88, (m) => m.stack.push(true)],
  [0x89, (m) => m.stack.push(false)],
  [c('J'), (m) => m.stack.push(dataView(m.take(4)).getInt32(0, true))], // BININT
  [c('K'), (m) => m.stack.push(m.uint(1))], // BININT1
  [c('M'), (m) => m.stack.push(m.uint(2))], // BININT2
  [0x8a, (m) => m.stack.push(long(m.take(m.uint(1))))], // LONG1
  [c('G'), (m) => m.stack.push(dataView(m.take(8)).getFloat64(0, false))], // BINFLOAT
  [c('X'), (m) => m.stack.push(utf8(m, m.take(m.uint(4))))], // BINUNICODE
  [0x8c, (m) => m.stack.push(utf8(m, m.take(m.uint(1))))], // SHORT_BINUNICODE
  [0x8d, (m) => m.stack.push(utf8(m, m.take(m.uint(8))))], // BINUNICODE8
  [c('T'), (m) => m.stack.push(text(m.take(m.uint(4)), 'latin1'))], // BINSTRING (Python 2's str)
  [c('U'), (m) => m.stack.push(text(m.take(m.uint(1)), 'latin1'))], // SHORT_BINSTRING
  [c('B'), (m) => m.stack.push(new Uint8Array(m.take(m.uint(4))))], // BINBYTES
  [c('C'), (m) => m.stack.push(new Uint8Array(m.take(m.uint(1))))], // SHORT_BINBYTES
  [c(')'), (m) => m.stack.push([])], // EMPTY_TUPLE
  [c('t'), (m) => m.stack.push(m.popMark())], // TUPLE
  [0x85, (m) => m.stack.push([m.pop()])], // TUPLE1
  [0x86, (m) => m.stack.push([m.pop(), m.pop()].reverse())], // TUPLE2
  [0x87, (m) => m.stack.push([m.pop(), m.pop(), m.pop()].reverse())], // TUPLE3
  [c(']'), (m) => m.stack.push([])], // EMPTY_LIST
  [c('l'), (m) => m.stack.push(m.popMark())], // LIST
  [c('a'), (m) => append(m)], // APPEND
  [c('e'), (m) => appends(m)], // APPENDS
  [c('}'), (m) => m.stack.push(new PickleDict())], // EMPTY_DICT
  [c('d'), (m) => dict(m)], // DICT
  [c('s'), (m) => setItem(m)], // SETITEM
  [c('u'), (m) => setItems(m)], // SETITEMS
  [c('c'), (m) => m.global(m.line(), m.line())], // GLOBAL
  [0x93, (m) => stackGlobal(m)], // STACK_GLOBAL
  [c('R'), (m) => m.reduce()], // REDUCE
  [c('b'), (m) => build(m)], // BUILD
  [c('Q'), (m) => persistent(m)], // BINPERSID
  [c('q'), (m) => m.put(m.uint(1))], // BINPUT
  [c('r'), (m) => m.put(m.uint(4))], // LONG_BINPUT
  [0x94, (m) => m.put(m.memo.size)], // MEMOIZE
  [c('h'), (m) => m.get(m.uint(1))], // BINGET
  [c('j'), (m) => m.get(m.uint(4))], // LONG_BINGET
]);

function utf8(m: Machine, b: Uint8Array): string {
  try {
    return text(b, 'utf-8');
  } catch {
    return m.fail('holds a string that is not UTF-8');
  }
}

function append(m: Machine): void {
  const item = m.pop();
  m.append(m.top(), [item]);
}

function appends(m: Machine): void {
  const items = m.popMark();
  m.append(m.top(), items);
}

function dict(m: Machine): void {
  const d = new PickleDict();
  m.setItems(d, m.popMark());
  m.stack.push(d);
}

function setItem(m: Machine): void {
  const value = m.pop();
  const key = m.pop();
  m.setItems(m.top(), [key, value]);
}

function setItems(m: Machine): void {
  const items = m.popMark();
  m.setItems(m.top(), items);
}

function stackGlobal(m: Machine): void {
  const name = m.pop();
  const module = m.pop();
  if (typeof module !== 'string' || typeof name !== 'string') m.fail('names a global with something other than strings');
  m.global(module, name);
}

function build(m: Machine): void {
  const state = m.pop();
  const target = m.top();
  if (!(target instanceof PickleDict)) m.fail('sets the state of something other than a dict');
  target.attributes = state;
}

function persistent(m: Machine): void {
  const pid = m.pop();
  if (!m.options.persistentLoad) m.fail('refers to data outside itself (a persistent id), which this file cannot have');
  m.stack.push(m.options.persistentLoad(pid));
}

/**
 * Reads one pickle starting at byte `at`; returns its value and the offset after its STOP.
 * Throws PickleTruncatedError when `bytes` ends first, ConvertError for anything refused.
 */
export function unpickle(bytes: Uint8Array, at: number, options: PickleOptions): { value: unknown; end: number } {
  const m = new Machine(bytes, at, options);
  while (!m.done) {
    const offset = m.pos;
    const code = m.take(1)[0]!;
    const op = OPCODES.get(code);
    if (!op) return m.fail(`uses opcode 0x${code.toString(16).padStart(2, '0')} at byte ${offset}, which no state dict needs`);
    op(m);
  }
  if (m.stack.length !== 1 || m.marks.length) m.fail('leaves its stack unbalanced at STOP');
  return { value: m.stack[0], end: m.pos };
}
