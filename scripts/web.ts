// npm run web [-- --port 8787] [--weights-dir DIR]: builds the page and serves it on 127.0.0.1.
import { parseArgs } from 'node:util';
import { startWebServer } from '../src/node/web-server.js';

const { values } = parseArgs({ options: { port: { type: 'string', default: '8787' }, 'weights-dir': { type: 'string' } } });
const { url } = await startWebServer({ port: Number(values.port), weightsDir: values['weights-dir'] });
console.log(`wgpu-style in the browser: open ${url} (Ctrl-C to stop). It needs a browser with WebGPU.`);
