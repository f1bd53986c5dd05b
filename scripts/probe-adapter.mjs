// Prints the WebGPU adapter Dawn offers, or exits 1 when there is none.
// Plain JavaScript so that setup can run it before anything is compiled.
import { create, globals } from 'webgpu';

Object.assign(globalThis, globals);
const gpu = create([]);
let adapter = null;
try {
  adapter = await gpu.requestAdapter();
} catch (err) {
  console.error(`[setup] requestAdapter failed: ${err.message}`);
}
if (!adapter) {
  console.error('[setup] Dawn found no WebGPU adapter');
  process.exit(1);
}
const info = adapter.info ?? {};
console.log(`[setup] adapter: ${info.vendor || '?'} / ${info.architecture || '?'} / ${info.description || info.device || '?'}`);
globalThis.__keepGpu = gpu;
process.exit(0);
