// The plan made from the content's header, before any image is decoded, says how far a huge image
// may be reduced while it decodes (src/node/stylize.ts, readImages). A setting the user must fix
// (a UserError) only turns that reduction off: it is refused again, with its message, after the
// images, as it always was. Any other error is a bug and must surface at once, not after decoding.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { stylize } from '../src/node/stylize.js';
import { randomJpeg } from './helpers/jpeg-writer.js';

/** Settings with this many steps make the planner fail as a bug would (not with a UserError). */
const BUG_STEPS = 13;

vi.mock('../src/plan/plan-job.js', async (importOriginal) => {
  const original = await importOriginal<typeof import('../src/plan/plan-job.js')>();
  return {
    ...original,
    planJob: (...args: Parameters<typeof original.planJob>) => {
      if (args[0].steps === BUG_STEPS) throw new Error('a bug in the planner');
      return original.planJob(...args);
    },
  };
});

const work = mkdtempSync(join(tmpdir(), 'wgpu-style-plan-error-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

// A JPEG cut in half: its size is in the headers it keeps, but decoding it fails.
const jpeg = randomJpeg({ width: 16, height: 16, components: [{ id: 1, h: 1, v: 1, tq: 0 }], seed: 1 });
const content = join(work, 'cut.jpg');
writeFileSync(content, jpeg.subarray(0, jpeg.length >> 1));
const weights = join(work, 'none.bin');

describe('the plan made before decoding', () => {
  it('lets an error that is not the user’s through before any image is decoded', async () => {
    await expect(stylize({ content, styles: [content], weights, steps: BUG_STEPS })).rejects.toThrow('a bug in the planner');
  });

  it('keeps a setting the user must fix for after the images, as before', async () => {
    await expect(stylize({ content, styles: [content], weights, steps: 0 })).rejects.toThrow(/cut\.jpg: cannot decode the image/);
  });
});
