// The JSON header of a .bin weights file, and its validation: every field's type and range is
// checked before anything reads it, so a damaged or hand-made header is an error naming the field,
// never a crash further on.

import { VGG19_FEATURES, type InputConvention } from '../../vgg/index.js';
import { isCount, isCountList, isFiniteList, isRecord, type JsonRecord } from './checks.js';
import { show } from '../../util/quote.js';

export const FORMAT_VERSION = 1;

export interface TensorEntry {
  name: string;
  shape: number[];
  dtype: 'f32';
  /** Bytes from the start of the data section. */
  offset: number;
  byteLength: number;
}

export interface WeightsHeader {
  format: 'wgpu-style-weights';
  version: number;
  architecture: 'vgg19';
  /** Deepest VGG-19 module these weights can build. */
  upTo: number;
  input: InputConvention;
  provenance: Record<string, string>;
  tensors: TensorEntry[];
  dataBytes: number;
  sha256: string;
}

type Fail = (problem: string) => never;

/** Returns `value` as a header when every field is well-formed; otherwise calls `fail` with the first problem. */
export function checkHeader(value: unknown, fail: Fail): WeightsHeader {
  if (!isRecord(value)) fail(`the JSON header is ${show(value)}, not an object; the file is corrupt. Convert the weights again.`);
  const h = value as JsonRecord;
  const bad = (field: string, expected: string): never =>
    fail(
      `header field ${field} is ${show(fieldAt(h, field))}, expected ${expected}. The file is corrupt or not from this wgpu-style; convert the weights again.`,
    );
  if (h.format !== 'wgpu-style-weights') bad('format', '"wgpu-style-weights"');
  if (h.version !== FORMAT_VERSION) {
    fail(`format version ${show(h.version)} is not supported (this wgpu-style reads version ${FORMAT_VERSION}); convert the weights again`);
  }
  if (h.architecture !== 'vgg19') fail(`architecture ${show(h.architecture)} is not supported (expected "vgg19")`);
  if (!isCount(h.upTo) || h.upTo >= VGG19_FEATURES.length) bad('upTo', `a VGG-19 module index 0–${VGG19_FEATURES.length - 1}`);
  checkInput(h, bad);
  if (!isRecord(h.provenance) || !Object.values(h.provenance).every((v) => typeof v === 'string'))
    bad('provenance', 'an object of strings');
  if (!Array.isArray(h.tensors)) bad('tensors', 'a list');
  (h.tensors as unknown[]).forEach((t, i) => checkTensor(t, i, fail));
  if (!isCount(h.dataBytes)) bad('dataBytes', 'a byte count');
  if (typeof h.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(h.sha256)) bad('sha256', '64 hex digits');
  return h as unknown as WeightsHeader;
}

function checkInput(h: JsonRecord, bad: (field: string, expected: string) => never): void {
  if (!isRecord(h.input)) bad('input', 'an object (channelOrder, pixelScale, mean, std)');
  const input = h.input as JsonRecord;
  const sub = (name: string) => `input.${name}`;
  if (input.channelOrder !== 'RGB' && input.channelOrder !== 'BGR') bad(sub('channelOrder'), '"RGB" or "BGR"');
  if (typeof input.pixelScale !== 'number' || !(input.pixelScale > 0) || !Number.isFinite(input.pixelScale))
    bad(sub('pixelScale'), 'a number > 0');
  if (!isFiniteList(input.mean, 3)) bad(sub('mean'), 'three numbers');
  if (!isFiniteList(input.std, 3) || !input.std.every((s) => s > 0)) bad(sub('std'), 'three numbers > 0');
}

function checkTensor(t: unknown, i: number, fail: Fail): void {
  const bad = (problem: string): never => fail(`header tensors[${i}] ${problem}. The file is corrupt; convert the weights again.`);
  if (!isRecord(t)) bad(`is ${show(t)}, not an object`);
  const e = t as JsonRecord;
  if (typeof e.name !== 'string') bad(`has name ${show(e.name)}, expected a string`);
  if (!isCountList(e.shape)) bad(`(${show(e.name)}) has shape ${show(e.shape)}, expected a list of whole numbers`);
  if (typeof e.dtype !== 'string') bad(`(${show(e.name)}) has dtype ${show(e.dtype)}, expected "f32"`);
  if (!isCount(e.offset) || !isCount(e.byteLength))
    bad(`(${show(e.name)}) has byte range ${show(e.offset)}+${show(e.byteLength)}, expected whole numbers`);
}

/** `input.mean` -> h.input.mean, for messages about nested fields. */
function fieldAt(h: JsonRecord, path: string): unknown {
  return path.split('.').reduce<unknown>((v, key) => (isRecord(v) ? v[key] : undefined), h);
}
