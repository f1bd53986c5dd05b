// The memory plan counts the images a scale holds as the pool allocates them (src/plan/memory-plan.ts,
// imageBytes; src/gpu/pool.ts, pooledBytes): one rule for both, so a change to how the pool rounds
// buffers reaches the plan. The rest of a scale's peak is counted on the pool itself (memory-model.ts).

import { describe, expect, it } from 'vitest';
import { countingContext } from '../src/gpu/counting.js';
import { imageBytes } from '../src/plan/memory-plan.js';

describe('the memory plan counts what the pool allocates', () => {
  it('counts the images (content, style images, masks) as the pool allocates them, odd sizes included', () => {
    // 3·4·w·h bytes is not a multiple of 16 where w·h is odd: the pool rounds each buffer up to 16.
    for (const [width, height, styles, masks] of [
      [301, 227, [{ width: 211, height: 173 }], 2],
      [
        255,
        191,
        [
          { width: 255, height: 191 },
          { width: 99, height: 77 },
        ],
        0,
      ],
    ] as const) {
      const ctx = countingContext({ bindingBytes: 2 ** 27, subgroups: false });
      ctx.empty([1, 3, height, width]);
      for (let i = 0; i < masks; i++) ctx.empty([1, 1, height, width]);
      for (const s of styles) ctx.empty([1, 3, s.height, s.width]);
      const unrounded = 12 * width * height + masks * 4 * width * height + styles.reduce((sum, s) => sum + 12 * s.width * s.height, 0);
      expect(ctx.memory().liveBytes).toBeGreaterThan(unrounded);
      expect(imageBytes({ styleMaskCount: masks }, width, height, styles), `${width}×${height}`).toBe(ctx.memory().liveBytes);
    }
  });
});
