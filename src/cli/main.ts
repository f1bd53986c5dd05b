// wgpu-style's command line: parses the command and hands over. Everything printed for a person
// is here or in the command modules beside it.

import { readFileSync } from 'node:fs';
import { DEMO_DEFAULTS, demoCommand, DEVICE_OPTIONS_HELP, infoCommand } from './demo.js';
import { userMessage } from './errors.js';
import { batchCommand } from './batch.js';
import { flowCommand } from './flow.js';
import { quitOnSigterm } from './interrupt.js';
import { STYLIZE_HELP, stylizeCommand } from './stylize.js';
import { guardStandardStreams } from './streams.js';
import { videoCommand } from './video.js';
import { weightsCommand } from './weights.js';
import { workerCommand } from './worker.js';

const HELP = `wgpu-style — neural style transfer on WebGPU

${STYLIZE_HELP}

Other commands:
  wgpu-style info [options]          Show the WebGPU adapter, its limits and features
  wgpu-style demo [options]          Run a VGG-sized 3×3 convolution + ReLU on the device, timed
  wgpu-style weights <command>       Fetch, convert and inspect VGG-19 weights (wgpu-style weights --help)
  wgpu-style video <in> <style> -o <out>
                                     Paint a video (or frames) without flicker (wgpu-style video --help)
  wgpu-style flow <a> <b> -o f.flo   Optical flow from a to b: Middlebury .flo and a colour PNG (flow --help)
  wgpu-style batch <files|folders> --style s.jpg -o out/   Many images in one process, or through a Redis queue (batch --help)
  wgpu-style worker --queue redis://host:port   Take queued batch images on this machine's GPU (worker --help)

Options for info and demo:
${DEVICE_OPTIONS_HELP}
  --size <px>        demo: image side in pixels (default ${DEMO_DEFAULTS.size})
  --channels <n>     demo: input and output channels (default ${DEMO_DEFAULTS.channels})

  -h, --help         Show this help
  -v, --version      Show the version

No GPU? Run \`npm run setup\`: on Debian/Ubuntu it installs Mesa's software Vulkan driver.`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'info':
      return infoCommand(rest);
    case 'demo':
      return demoCommand(rest);
    case 'weights':
      return weightsCommand(rest);
    case 'flow':
      return flowCommand(rest);
    case 'video':
      return videoCommand(rest);
    case 'batch':
      return batchCommand(rest);
    case 'worker':
      return workerCommand(rest);
    case '-v':
    case '--version':
      console.log(readVersion());
      return 0;
    case '-h':
    case '--help':
      console.log(HELP);
      return 0;
    case undefined:
      console.log(HELP);
      return 2;
    default:
      return stylizeCommand(argv);
  }
}

function readVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

guardStandardStreams();
// SIGTERM quits at once, as a second Ctrl-C does (the worker takes it over: interrupt.ts).
quitOnSigterm();
// Dawn keeps the process alive while its instance is referenced: exit explicitly.
main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    // A person's mistake is one line (exit 2); anything else is a bug, with its stack (exit 1).
    const message = userMessage(err);
    console.error(`wgpu-style: ${message ?? (err instanceof Error ? (err.stack ?? err.message) : String(err))}`);
    process.exit(message === null ? 1 : 2);
  },
);
