// `wgpu-style batch <files or folders…> --style s.jpg [--style t.jpg …] -o out/`: many images with
// one style setting, on this machine (src/batch/local.ts) or through a Redis queue (--queue, for
// `wgpu-style worker`s). Every style option applies to each image.

import { resolve } from 'node:path';
import type { OptionSpec } from '../plan/options.js';
import { runBatch, type BatchSummary } from '../batch/local.js';
import { prepareBatch, type BatchSpec } from '../batch/prepare.js';
import { DEFAULT_ATTEMPTS, DEFAULT_QUEUE_NAME } from '../batch/queue.js';
import { UsageError } from './errors.js';
import { stopOnCtrlC } from './interrupt.js';
import { cliOptions, GROUPS, optionsHelp, parserTable, readOptions, RUN_OPTIONS } from './options.js';
import { parseCommand } from './parse.js';
import { byteProgress, phasePrinter } from './progress.js';
import { duration, ProgressPrinter } from './report.js';
import { runQueuedBatch } from './batch-queue.js';
import { printSummary, SOME_FAILED } from './batch-report.js';

/** Options only the queue has (the worker takes them too). */
export const QUEUE_OPTIONS = {
  queue: {
    kind: 'text',
    arg: '<redis-url>',
    group: 'Queue',
    help: [
      'The Redis the queue is on: redis://host:port, rediss:// for TLS,',
      'redis://:password@host:port/0 (the password is never printed)',
    ],
  },

  queueName: { kind: 'text', default: DEFAULT_QUEUE_NAME, arg: '<name>', group: 'Queue', help: ['The BullMQ queue (default)'] },
  queueCa: {
    kind: 'text',
    arg: '<file>',
    group: 'Queue',
    help: [
      "With rediss://: the PEM file of the CA that signed the server's",
      "certificate (a private CA), trusted besides the system's CAs",
    ],
  },
} as const satisfies Record<string, OptionSpec>;

/** --wait and --attempts of a queued run: `whole` ('the batch'), `part` ('image'), `aPart` ('an image'). */
export function queueFollowOptions(whole: string, part: string, aPart: string) {
  return {
    wait: {
      kind: 'flag',
      default: false,
      group: 'Queue',
      help: [`With --queue: follow ${whole} to its end; exit 5 if ${aPart} failed`],
    },
    attempts: {
      kind: 'int',
      min: 1,
      default: DEFAULT_ATTEMPTS,
      arg: '<n>',
      group: 'Queue',
      help: [`With --queue: tries per ${part} before it is failed (default)`],
    },
  } as const satisfies Record<string, OptionSpec>;
}

const BATCH_OPTIONS = {
  output: {
    kind: 'text',
    default: 'out',
    arg: '<folder>',
    group: 'Output',
    help: ['Folder for the results, named after the inputs (default)'],
  },
  format: {
    kind: 'choice',
    values: ['png', 'jpg'],
    default: 'png',
    arg: 'png|jpg',
    group: 'Output',
    help: ["The results' format (default)"],
  },
  checkpointEvery: {
    ...RUN_OPTIONS.checkpointEvery,
    help: ['Also save the image in progress every n steps (in', '<folder>/.checkpoints; always on Ctrl-C) (default)'],
  },
  ...QUEUE_OPTIONS,
  ...queueFollowOptions('the batch', 'image', 'an image'),
} as const satisfies Record<string, OptionSpec>;

/** The style command's options but those of one output file, with the batch's own. */
function batchOptions(): Array<[string, OptionSpec]> {
  const dropped = new Set(['output', 'checkpoint', 'checkpointEvery', 'resume', 'saveEvery', 'json']);
  return [...cliOptions().filter(([key]) => !dropped.has(key)), ...Object.entries(BATCH_OPTIONS)];
}
const BATCH_GROUPS = [...GROUPS, 'Queue'];

export const BATCH_HELP = `Usage: wgpu-style batch <files or folders…> --style <image> [--style <image> …] -o <folder> [options]

Paints every image (the .png and .jpg files in each folder, sub-folders included) in the style of
the style image(s), in one process: the weights, the compiled kernels and the style's targets are
made once. Results go to the output folder, named after the inputs; its manifest.jsonl records
each image, so running the same command again skips what is done and redoes an image whose input or
settings changed. A file that cannot be read is reported and skipped. Ctrl-C writes the current
image's checkpoint (in <folder>/.checkpoints) and stops; the same command resumes it. With --queue
the images go to a Redis queue instead, for \`wgpu-style worker\`s on any machine that sees the same
folders (docs/batch.md). Exit status: 0 all done, 5 some images failed, 130 stopped, 2 bad input.

  --style <image>              A style image; repeat for several (see --style-blend)

${optionsHelp(batchOptions(), BATCH_GROUPS)}`;

export async function batchCommand(args: string[]): Promise<number> {
  const table = { ...parserTable(batchOptions()), style: { type: 'string' as const, multiple: true } };
  const parsed = parseCommand({ args, options: table, allowPositionals: true }, 'batch');
  const values = parsed.values as Record<string, string | boolean | string[] | undefined>;
  if (values.help) {
    console.log(BATCH_HELP);
    return 0;
  }
  const styles = (values.style as string[] | undefined) ?? [];
  const { settings, run } = readOptions(values as Record<string, string | boolean | undefined>, batchOptions());
  const extra = run as unknown as {
    output: string;
    format: 'png' | 'jpg';
    queue?: string;
    queueName: string;
    queueCa?: string;
    wait: boolean;
    attempts: number;
  };
  if (parsed.positionals.length === 0) throw new UsageError('batch: give image files or folders of them (see wgpu-style batch --help)');
  if (styles.length === 0 && settings.styleWeight !== 0) throw new UsageError('batch: give at least one --style image');
  // An --init image is a path, read by each image's run (stylize takes a path there).
  const init: unknown = settings.init;
  if (typeof init === 'string' && init !== 'content' && init !== 'random') Object.assign(settings, { init: resolve(init) });
  const spec: BatchSpec = {
    inputs: parsed.positionals,
    styles,
    outDir: extra.output,
    format: extra.format,
    settings,
    checkpointEvery: run.checkpointEvery,
    quality: run.quality,
    maxMegapixels: run.maxMegapixels,
    weights: run.weights && resolve(run.weights),
  };
  if (extra.queue)
    return runQueuedBatch(prepareBatch(spec), {
      ...{ url: extra.queue, name: extra.queueName, ca: extra.queueCa && resolve(extra.queueCa) },
      ...{ wait: extra.wait, attempts: extra.attempts },
    });
  if (extra.wait) throw new UsageError('--wait follows a queued batch: give --queue redis://… too');
  if (extra.queueCa) throw new UsageError('--queue-ca is for a queued batch: give --queue rediss://… too');
  return localBatch(spec, run);
}

async function localBatch(spec: BatchSpec, run: ReturnType<typeof readOptions>['run']): Promise<number> {
  const printer = new ProgressPrinter(false);
  const phases = phasePrinter(false);
  const interrupt = stopOnCtrlC('stopping: the image in progress keeps a checkpoint (Ctrl-C again to quit at once)');
  let summary: BatchSummary;
  try {
    summary = await runBatch(
      spec,
      {
        weights: spec.weights,
        offline: run.offline,
        gpu: { backend: run.backend, adapter: run.adapter },
        onDownload: byteProgress('downloading weights'),
      },
      {
        signal: interrupt.signal,
        log: (m) => console.error(m),
        onPlan: (items) => {
          const skipped = items.filter((i) => i.state === 'skip').length;
          console.error(`batch: ${items.length} images${skipped ? `, ${skipped} done before (skipped)` : ''}`);
        },
        onImageStart: (item, index, todo) => console.error(`[${index + 1}/${todo}] ${item.input} -> ${item.output}`),
        onProgress: (_item, p) => printer.progress(p),
        // A new size's tuning; each image's targets and steps would be three lines an image.
        onPhase: (_item, p) => p.phase === 'tuning' && phases(p),
        onImageEnd: (e, c) =>
          console.error(
            `[${c.finished}/${c.todo}] ${e.name}: ${e.status}${e.message ? ` (${e.message})` : ''}${c.etaSeconds === null ? '' : `; batch ETA ${duration(c.etaSeconds)}`}`,
          ),
      },
    );
  } finally {
    interrupt.dispose();
  }
  printSummary(summary.entries, summary.seconds);
  if (summary.stopped) {
    console.error('batch stopped; run the same command again to go on (done images are skipped, the stopped one resumes)');
    return 130;
  }
  return summary.entries.some((e) => e.status === 'failed') ? SOME_FAILED : 0;
}
