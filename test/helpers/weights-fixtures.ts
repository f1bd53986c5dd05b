// The committed weights fixtures (test/fixtures/weights, made by scripts/make-*-fixtures.py) and
// their manifests: each tensor's sha256 as the writer computed it.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './shared.js';

export const FIXTURES = join(REPO_ROOT, 'test', 'fixtures', 'weights');

export function fixture(name: string): Uint8Array {
  return new Uint8Array(readFileSync(join(FIXTURES, name)));
}

/** File name -> tensor name -> sha256 of its float32 little-endian values. */
export function manifest(kind: 'torch' | 'mxnet'): Record<string, Record<string, string>> {
  return JSON.parse(readFileSync(join(FIXTURES, `manifest-${kind}.json`), 'utf8')) as Record<string, Record<string, string>>;
}
