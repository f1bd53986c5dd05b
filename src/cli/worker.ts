// `wgpu-style worker --queue redis://…`: takes the images of queued batches, one at a time on this
// machine's GPU (start one per GPU), keeping the weights and the style session warm between them.
// Ctrl-C lets the image in progress finish, then stops. SIGTERM (Kubernetes deleting the pod)
// stops the image within a step, writes its checkpoint and puts its job back on the queue, where
// another worker takes it at once; then exit 0. A second Ctrl-C or SIGTERM quits at once (the
// image is taken over from its last checkpoint once its lock runs out).

import type { OptionSpec } from '../plan/options.js';
import { queueConnection } from '../batch/connection.js';
import { BatchRunner } from '../batch/runner.js';
import { startWorker, type RunningWorker } from '../batch/worker.js';
import { QUEUE_OPTIONS } from './batch.js';
import { UsageError } from './errors.js';
import { takeSigterm } from './interrupt.js';
import { optionsHelp, parserTable, readOptions, RUN_OPTIONS } from './options.js';
import { parseCommand } from './parse.js';
import { byteProgress } from './progress.js';

const WORKER_OPTIONS = {
  ...QUEUE_OPTIONS,
  lockSeconds: {
    kind: 'number',
    min: 0,
    above: true,
    default: 30,
    arg: '<s>',
    group: 'Queue',
    help: ['A job whose worker stops renewing its lock (killed) is taken over', 'by another after this long (default)'],
  },
  stalledSeconds: {
    kind: 'number',
    min: 0,
    above: true,
    default: 15,
    arg: '<s>',
    group: 'Queue',
    help: ['How often to look for such stalled jobs (default)'],
  },
  maxStalls: {
    kind: 'int',
    min: 1,
    default: 3,
    arg: '<n>',
    group: 'Queue',
    help: ['A job whose worker died this many times is failed (default)'],
  },
  weights: RUN_OPTIONS.weights,
  offline: RUN_OPTIONS.offline,
  backend: RUN_OPTIONS.backend,
  adapter: RUN_OPTIONS.adapter,
} as const satisfies Record<string, OptionSpec>;

const OPTIONS = Object.entries(WORKER_OPTIONS) as Array<[string, OptionSpec]>;

export const WORKER_HELP = `Usage: wgpu-style worker --queue <redis-url> [options]

Takes images from the queue that \`wgpu-style batch … --queue\` fills, and segments of the videos
\`wgpu-style video … --queue\` puts there, one at a time, and writes each result where the producer
said (a folder every worker and the producer can reach). Start one worker per GPU. The style
settings come with each job; the weights are this worker's own. Ctrl-C lets the job in progress
finish; SIGTERM puts it back on the queue at once (an image with its checkpoint), then exits 0.

${optionsHelp(OPTIONS, ['Queue', 'Weights', 'GPU'])}`;

export async function workerCommand(args: string[]): Promise<number> {
  const parsed = parseCommand({ args, options: parserTable(OPTIONS), allowPositionals: false }, 'worker');
  const values = parsed.values as Record<string, string | boolean | undefined>;
  if (values.help) {
    console.log(WORKER_HELP);
    return 0;
  }
  const { run } = readOptions(values, OPTIONS);
  const o = run as unknown as {
    queue?: string;
    queueName: string;
    queueCa?: string;
    lockSeconds: number;
    stalledSeconds: number;
    maxStalls: number;
  } & typeof run;
  if (!o.queue) throw new UsageError('worker: give the queue to take images from: --queue redis://host:port');
  const log = (m: string) => console.error(`worker ${process.pid}: ${m}`);
  const connection = queueConnection(o.queue, '--queue', log, { caFile: o.queueCa, caFlag: '--queue-ca' });
  const runner = await BatchRunner.open({
    weights: o.weights,
    offline: o.offline,
    gpu: { backend: o.backend, adapter: o.adapter },
    log,
    onDownload: byteProgress('downloading weights'),
  });
  const settings = { queueName: o.queueName, lockSeconds: o.lockSeconds, stalledSeconds: o.stalledSeconds, maxStalls: o.maxStalls };
  const worker = startWorker(runner, connection, settings, {
    log,
    onJobStart: (d) => log(`${d.job.input} -> ${d.job.output}`),
    onJobEnd: (d, status, detail) => log(`${d.name}: ${status} (${detail})`),
  });
  log(`waiting for images on ${connection.shown} (queue ${o.queueName})`);
  await untilStopped(worker, log);
  runner.close();
  return 0;
}

/** Waits for the first Ctrl-C (finish the image) or SIGTERM (stop it, put it back); a second signal of either kind quits at once. */
async function untilStopped(worker: RunningWorker, log: (m: string) => void): Promise<void> {
  await new Promise<void>((done) => {
    const first = (how: 'finish' | 'stop') => {
      process.removeListener('SIGINT', onSigint);
      process.once('SIGINT', () => process.exit(130));
      takeSigterm(() => process.exit(143));
      if (how === 'finish') log('stopping after the image in progress (Ctrl-C again to quit at once)');
      else log('SIGTERM: stopping the image in progress at its next step, its checkpoint kept, its job back on the queue');
      void (how === 'finish' ? worker.finishAndClose() : worker.stopAndClose()).then(done);
    };
    const onSigint = () => first('finish');
    process.once('SIGINT', onSigint);
    takeSigterm(() => first('stop'));
  });
  takeSigterm(null);
}
