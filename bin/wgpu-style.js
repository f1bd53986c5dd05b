#!/usr/bin/env node
// Runs the TypeScript CLI directly (tsx), so `npx wgpu-style` needs no build step.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/main.ts');
