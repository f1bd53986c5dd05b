// A reader that goes away (`wgpu-style … --json | head -n 1`, a closed terminal) must not cost the
// run its result: from the first failed write on, that stream is left alone and the run goes on
// to write its image. Without a listener, Node turns the EPIPE into an uncaught exception.

const closed = new Set<NodeJS.WritableStream>();

export function guardStandardStreams(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', () => {
      if (closed.has(stream)) return;
      closed.add(stream);
      if (stream === process.stdout && isOpen(process.stderr))
        process.stderr.write('wgpu-style: note: standard output was closed; going on without printing to it\n');
    });
  }
}

/** False once a write to `stream` has failed (its reader is gone). */
export function isOpen(stream: NodeJS.WritableStream): boolean {
  return !closed.has(stream);
}
