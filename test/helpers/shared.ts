// ../shared (real weights and images) sits beside the repository; tests that need it skip with a
// message when it is absent.

import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const SHARED = join(REPO_ROOT, '..', 'shared');
export const TFJS_MODEL = join(SHARED, 'weights', 'vgg19-keras-tfjs', 'model.json');
export const IMAGES = join(SHARED, 'images');

export function sharedAvailable(what: string, path: string): boolean {
  if (existsSync(path)) return true;
  console.warn(`[skip] ${what}: ${path} is absent (../shared is not beside the repository)`);
  return false;
}
